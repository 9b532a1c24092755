package content

import (
	_ "embed"
	"strings"
)

//go:embed learn.md
var learnMD string

// ObservedOn is the cluster the lab's facts were observed on by the e2e
// suite (see README, "Facts and where they were checked").
const ObservedOn = "kind v0.33.0, Kubernetes v1.34.4, containerd 2.3.4, runc 1.4.3"

// LearnPage is one page of `crashlab learn`.
type LearnPage struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Learn is the primer of content/learn.md, one page per "## " section; the
// text before the first section is the first page.
func Learn() []LearnPage {
	text := strings.ReplaceAll(learnMD, "OBSERVED_ON", ObservedOn)
	var pages []LearnPage
	cur := LearnPage{}
	flush := func() {
		cur.Text = strings.TrimSpace(cur.Text)
		if cur.Title != "" || cur.Text != "" {
			pages = append(pages, cur)
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		switch {
		case strings.HasPrefix(line, "# ") && len(pages) == 0 && cur.Title == "":
			cur.Title = strings.TrimSpace(strings.TrimPrefix(line, "# "))
		case strings.HasPrefix(line, "## "):
			flush()
			cur = LearnPage{Title: strings.TrimSpace(strings.TrimPrefix(line, "## "))}
		default:
			cur.Text += line
		}
	}
	flush()
	return pages
}
