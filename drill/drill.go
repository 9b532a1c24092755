// Package drill builds timed interview questions from the lab's content
// (content/drill.yaml: the triage sequence, exit codes, statuses, which
// command shows what, and hand-written questions), picks and shuffles them
// with a seed, and judges answers given by choice or typed.
package drill

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crashlab/crashlab/content"
)

// Wrong choices offered beside the right one.
const wrongChoices = 3

// Question is one question, ready to ask.
type Question struct {
	ID      string   `json:"id"`
	Topic   string   `json:"topic"`
	Prompt  string   `json:"prompt"`
	Choices []string `json:"choices"`
	Right   int      `json:"right"` // index into Choices
	// Forms are, per choice, typed answers that name it; a typed answer
	// names a choice when it contains every word of one of its forms.
	Forms [][]string `json:"-"`
	Why   string     `json:"why,omitempty"`
	// Runtime names the runtime the question is about, where runtimes differ.
	Runtime string `json:"runtime,omitempty"`
	// Source says where the fact was seen: observed on the lab's node, or
	// documented.
	Source string `json:"source"`
}

// Free is true when the right answer can be typed without seeing the
// choices (it has typed forms): such questions are asked as free recall
// when answers are typed.
func (q Question) Free() bool { return len(q.Forms) > q.Right && len(q.Forms[q.Right]) > 0 }

// Letter names the i-th choice: a, b, c, ...
func Letter(i int) string { return string(rune('a' + i)) }

// Pool builds every question the bank allows, in a fixed order, each with
// its right answer first and every candidate wrong answer after it. Pick
// chooses among them.
func Pool(b content.DrillBank) []Question {
	source := func(s string) string {
		if s == "observed" {
			return "observed on " + b.ObservedOn
		}
		return "documented; not re-observed by the lab"
	}
	var out []Question

	// The triage sequence: what comes first, and what comes after each step.
	steps := make([]string, len(b.Triage))
	stepForms := make([][]string, len(b.Triage))
	for i, s := range b.Triage {
		steps[i], stepForms[i] = s.Step, s.Accept
	}
	order := func(right int, exclude int) ([]string, [][]string) {
		choices, forms := []string{steps[right]}, [][]string{stepForms[right]}
		for i := range steps {
			if i != right && i != exclude {
				choices, forms = append(choices, steps[i]), append(forms, stepForms[i])
			}
		}
		return choices, forms
	}
	c, f := order(0, -1)
	out = append(out, Question{ID: "triage-first", Topic: "triage", Prompt: "A service is paged for CrashLoopBackOff. What do you run first?",
		Choices: c, Forms: f, Why: fmt.Sprintf("`%s` shows %s.", b.Triage[0].Step, b.Triage[0].Shows), Source: "the lab's triage sequence"})
	for i := 0; i+1 < len(b.Triage); i++ {
		c, f := order(i+1, i)
		out = append(out, Question{ID: fmt.Sprintf("triage-after-%d", i+1), Topic: "triage",
			Prompt:  fmt.Sprintf("In the triage, what comes right after `%s`?", b.Triage[i].Step),
			Choices: c, Forms: f, Why: fmt.Sprintf("`%s` shows %s.", b.Triage[i+1].Step, b.Triage[i+1].Shows), Source: "the lab's triage sequence"})
	}

	// Exit codes, both ways.
	for _, e := range b.ExitCodes {
		meaning := Question{ID: fmt.Sprintf("exit-%d-means", e.Code), Topic: "exit codes",
			Prompt: fmt.Sprintf("A container's last state shows exit code %d. What does it say?", e.Code), Runtime: e.Runtime, Source: source(e.Source),
			Choices: []string{e.Meaning}, Forms: [][]string{e.Terms}}
		which := Question{ID: fmt.Sprintf("exit-%d-which", e.Code), Topic: "exit codes",
			Prompt: fmt.Sprintf("Which exit code: %s?", e.Meaning), Runtime: e.Runtime, Source: source(e.Source),
			Choices: []string{strconv.Itoa(e.Code)}, Forms: [][]string{{strconv.Itoa(e.Code)}}}
		for _, o := range b.ExitCodes {
			if o.Code == e.Code || slices.Contains(e.NotWith, o.Code) || slices.Contains(o.NotWith, e.Code) {
				continue
			}
			meaning.Choices, meaning.Forms = append(meaning.Choices, o.Meaning), append(meaning.Forms, o.Terms)
			which.Choices, which.Forms = append(which.Choices, strconv.Itoa(o.Code)), append(which.Forms, []string{strconv.Itoa(o.Code)})
		}
		meaning.Why = fmt.Sprintf("%d: %s.", e.Code, e.Meaning)
		if e.Note != "" {
			meaning.Why += " " + strings.ToUpper(e.Note[:1]) + e.Note[1:] + "."
		}
		which.Why = meaning.Why
		out = append(out, meaning, which)
	}

	// Statuses and reasons, both ways.
	for _, s := range b.Statuses {
		meaning := Question{ID: "status-" + strings.ToLower(s.Name) + "-means", Topic: "statuses",
			Prompt: fmt.Sprintf("What does %s say?", s.Name), Runtime: s.Runtime, Source: source(s.Source),
			Choices: []string{s.Meaning}, Forms: [][]string{nil}}
		which := Question{ID: "status-" + strings.ToLower(s.Name) + "-which", Topic: "statuses",
			Prompt: fmt.Sprintf("Which status or reason says: %s?", s.Meaning), Runtime: s.Runtime, Source: source(s.Source),
			Choices: []string{s.Name}, Forms: [][]string{{s.Name}}}
		for _, o := range b.Statuses {
			if o.Name == s.Name {
				continue
			}
			meaning.Choices, meaning.Forms = append(meaning.Choices, o.Meaning), append(meaning.Forms, nil)
			which.Choices, which.Forms = append(which.Choices, o.Name), append(which.Forms, []string{o.Name})
		}
		meaning.Why = fmt.Sprintf("%s: %s.", s.Name, s.Meaning)
		which.Why = meaning.Why
		out = append(out, meaning, which)
	}

	// Which command shows what.
	for i, cmd := range b.Commands {
		q := Question{ID: fmt.Sprintf("command-%d", i+1), Topic: "commands",
			Prompt: fmt.Sprintf("Which command shows %s?", cmd.Shows), Source: "kubectl",
			Choices: []string{cmd.Command}, Forms: [][]string{cmd.Accept}, Why: fmt.Sprintf("`%s` shows %s.", cmd.Command, cmd.Shows)}
		for _, o := range b.Commands {
			if o.Command != cmd.Command && o.Shows != cmd.Shows {
				q.Choices, q.Forms = append(q.Choices, o.Command), append(q.Forms, o.Accept)
			}
		}
		out = append(out, q)
	}

	// The questions written out.
	for _, w := range b.Questions {
		q := Question{ID: w.ID, Topic: w.Topic, Prompt: w.Prompt, Why: w.Why, Runtime: w.Runtime, Source: source(w.Source),
			Choices: append([]string{w.Answer}, w.Wrong...), Forms: [][]string{w.Accept}}
		for range w.Wrong {
			q.Forms = append(q.Forms, nil)
		}
		out = append(out, q)
	}
	return out
}

// Pick chooses count questions of the pool (all of them when count is 0 or
// more than the pool has), keeps the right answer and three wrong ones
// each, and shuffles questions and choices. The same seed picks the same
// questions in the same order with the same choices.
func Pick(pool []Question, seed uint64, count int) []Question {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := rng.Perm(len(pool))
	if count <= 0 || count > len(pool) {
		count = len(pool)
	}
	out := make([]Question, 0, count)
	for _, i := range idx[:count] {
		q := pool[i]
		type choice struct {
			text  string
			forms []string
			right bool
		}
		wrong := make([]choice, 0, len(q.Choices)-1)
		for j := 1; j < len(q.Choices); j++ {
			wrong = append(wrong, choice{q.Choices[j], formsAt(q.Forms, j), false})
		}
		rng.Shuffle(len(wrong), func(a, b int) { wrong[a], wrong[b] = wrong[b], wrong[a] })
		all := append([]choice{{q.Choices[0], formsAt(q.Forms, 0), true}}, wrong[:min(wrongChoices, len(wrong))]...)
		rng.Shuffle(len(all), func(a, b int) { all[a], all[b] = all[b], all[a] })
		q.Choices, q.Forms = nil, nil
		for j, c := range all {
			q.Choices = append(q.Choices, c.text)
			q.Forms = append(q.Forms, c.forms)
			if c.right {
				q.Right = j
			}
		}
		out = append(out, q)
	}
	return out
}

func formsAt(forms [][]string, i int) []string {
	if i < len(forms) {
		return forms[i]
	}
	return nil
}

// Choose judges a choice made from the list.
func (q Question) Choose(i int) bool { return i == q.Right }

// Judge judges a typed answer: the letter of a choice, the text of a choice,
// or words that name exactly one choice (a typed answer that names two is
// not an answer). It returns the choice named, -1 for none.
func (q Question) Judge(answer string) (right bool, chose int) {
	a := normalize(answer)
	if a == "" {
		return false, -1
	}
	if len(a) == 1 && a[0] >= 'a' && int(a[0]-'a') < len(q.Choices) {
		i := int(a[0] - 'a')
		return i == q.Right, i
	}
	chose = -1
	for i, c := range q.Choices {
		named := normalize(c) == a
		for _, f := range formsAt(q.Forms, i) {
			named = named || containsWords(a, normalize(f))
		}
		if named {
			if chose >= 0 {
				return false, -1
			}
			chose = i
		}
	}
	return chose >= 0 && chose == q.Right, chose
}

func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, "`'\" .")
	return strings.Join(strings.Fields(s), " ")
}

// containsWords is true when every word of form stands in s as a word of
// its own: "137" is not in "1370", "error" is not in "starterror".
func containsWords(s, form string) bool {
	words := strings.Fields(form)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		re := regexp.MustCompile(`(^|[^a-z0-9])` + regexp.QuoteMeta(w) + `($|[^a-z0-9])`)
		if !re.MatchString(s) {
			return false
		}
	}
	return true
}

// Result is one question asked and how it went.
type Result struct {
	Question Question      `json:"question"`
	Given    string        `json:"given,omitempty"` // as typed, or the letter chosen
	Chose    int           `json:"chose"`           // the choice given, -1 for none
	Right    bool          `json:"right"`
	TimedOut bool          `json:"timedOut,omitempty"`
	Took     time.Duration `json:"took,omitempty"`
}

// Score counts the right answers.
func Score(rs []Result) (right, total int) {
	for _, r := range rs {
		if r.Right {
			right++
		}
	}
	return right, len(rs)
}
