package author

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/crashlab/crashlab/grader"
)

// TellMargin is how far above chance a guesser that never reads the pods
// may score across a catalogue before its rule counts as a tell.
const TellMargin = 0.10

// ChoiceQuestion is one choice question of an incident, with the choice its
// author meant (diagnosis.yaml's correct) and the page the learner reads
// before answering: the title and the briefing.
type ChoiceQuestion struct {
	Incident, Page string
	Q              grader.Question
	Intended       string
}

// Name is INCIDENT/QUESTION.
func (c ChoiceQuestion) Name() string { return c.Incident + "/" + c.Q.ID }

// Guesser scores each choice of a question without looking at the pods; it
// picks the highest score. Applies says whether it has a pick at all (a
// position guesser has none on a question with fewer choices). Wording is
// set for the guessers that read the text (the others read the position).
type Guesser struct {
	Name    string
	Wording bool
	Score   func(cq ChoiceQuestion, i int) float64
	Applies func(cq ChoiceQuestion) bool
}

// Credit is what a guesser earns on a question: 1/k when the intended
// choice is among the k choices tied for the best score, so that a tie
// cannot hide a tell (and a guesser that ties everything earns exactly
// chance).
func (g Guesser) Credit(cq ChoiceQuestion) float64 {
	best, tied, hit := 0.0, 0, false
	for i, c := range cq.Q.Choices {
		s := g.Score(cq, i)
		switch {
		case tied == 0 || s > best:
			best, tied, hit = s, 1, c.ID == cq.Intended
		case s == best:
			tied++
			hit = hit || c.ID == cq.Intended
		}
	}
	if !hit {
		return 0
	}
	return 1 / float64(tied)
}

// Guessers are the guessers that never look at the pods: longest and
// shortest text, most words shared with the page (title and briefing),
// most technical terms, most because/so connectives, and one per position
// up to positions. An intended choice that is the longest, the most
// technical or the only one with a reason is found without any diagnosis.
func Guessers(positions int) []Guesser {
	always := func(ChoiceQuestion) bool { return true }
	length := func(cq ChoiceQuestion, i int) float64 { return float64(len([]rune(cq.Q.Choices[i].Text))) }
	gs := []Guesser{
		{Name: "longest text", Wording: true, Applies: always, Score: length},
		{Name: "shortest text", Wording: true, Applies: always, Score: func(cq ChoiceQuestion, i int) float64 { return -length(cq, i) }},
		{Name: "most words shared with the title and briefing", Wording: true, Applies: always, Score: func(cq ChoiceQuestion, i int) float64 {
			page := words(cq.Page)
			n := 0
			for w := range words(cq.Q.Choices[i].Text) {
				if page[w] {
					n++
				}
			}
			return float64(n)
		}},
		{Name: "most technical terms", Wording: true, Applies: always, Score: func(cq ChoiceQuestion, i int) float64 {
			return float64(len(technicalTerms(cq.Q.Choices[i].Text)))
		}},
		{Name: "most because/so connectives", Wording: true, Applies: always, Score: func(cq ChoiceQuestion, i int) float64 {
			return float64(connectives(cq.Q.Choices[i].Text))
		}},
	}
	for p := range positions {
		gs = append(gs, Guesser{
			Name:    fmt.Sprintf("position %d in scenario.yaml", p+1),
			Applies: func(cq ChoiceQuestion) bool { return len(cq.Q.Choices) > p },
			Score: func(_ ChoiceQuestion, i int) float64 {
				if i == p {
					return 1
				}
				return 0
			},
		})
	}
	return gs
}

// Tell is a guesser that beats chance by more than the margin.
type Tell struct {
	Guesser string
	// Right and Chance are the guesser's share of intended choices and
	// chance's, over Questions questions.
	Right, Chance float64
	Questions     int
	// Worst are the questions it scores on, best first.
	Worst []string
}

func (t Tell) String() string {
	return fmt.Sprintf("%q picks the intended choice %.1f%% of the time over %d questions, chance is %.1f%% (allowed up to %.1f%%): rewrite the choices so that the wrong ones are as long, specific and reasoned as the right one, and move the intended ones around. It scores on: %s",
		t.Guesser, 100*t.Right, t.Questions, 100*t.Chance, 100*(t.Chance+TellMargin), strings.Join(t.Worst, ", "))
}

// Over runs g over qs: its share of intended choices, chance's, and the
// questions it applies to, best credit first.
func (g Guesser) Over(qs []ChoiceQuestion) (right, chance float64, n int, worst []string) {
	type result struct {
		name   string
		credit float64
	}
	var results []result
	for _, cq := range qs {
		if !g.Applies(cq) {
			continue
		}
		c := g.Credit(cq)
		right += c
		chance += 1 / float64(len(cq.Q.Choices))
		results = append(results, result{cq.Name(), c})
	}
	if len(results) == 0 {
		return 0, 0, 0, nil
	}
	n = len(results)
	right, chance = right/float64(n), chance/float64(n)
	sort.SliceStable(results, func(a, b int) bool { return results[a].credit > results[b].credit })
	for _, r := range results {
		if r.credit > 0 && len(worst) < 12 {
			worst = append(worst, fmt.Sprintf("%s (%.2f)", r.name, r.credit))
		}
	}
	return right, chance, n, worst
}

// Tells are the guessers of gs that beat chance over qs by more than
// TellMargin.
func Tells(gs []Guesser, qs []ChoiceQuestion) []Tell {
	var out []Tell
	for _, g := range gs {
		right, chance, n, worst := g.Over(qs)
		if n > 0 && right > chance+TellMargin {
			out = append(out, Tell{Guesser: g.Name, Right: right, Chance: chance, Questions: n, Worst: worst})
		}
	}
	return out
}

// stopWords are left out when comparing a choice with the page: they are in
// every text and say nothing about the incident.
var stopWords = map[string]bool{
	"the": true, "and": true, "for": true, "are": true, "but": true, "not": true, "its": true, "it's": true,
	"with": true, "that": true, "this": true, "from": true, "into": true, "than": true, "then": true,
	"they": true, "them": true, "their": true, "there": true, "what": true, "which": true, "when": true,
	"where": true, "who": true, "why": true, "how": true, "has": true, "have": true, "had": true,
	"was": true, "were": true, "been": true, "being": true, "does": true, "did": true, "can": true,
	"cannot": true, "will": true, "would": true, "all": true, "any": true, "one": true, "own": true,
	"out": true, "off": true, "only": true, "still": true, "each": true, "every": true, "you": true,
	"your": true, "because": true, "since": true, "once": true, "before": true, "after": true,
}

var wordRE = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9_'.:/-]*[A-Za-z0-9]`)

// words are the distinct lower-case words of a text, of three letters or
// more and not stop words.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range wordRE.FindAllString(strings.ToLower(s), -1) {
		if len(w) >= 3 && !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

// technicalTerms are the tokens of a text (split on spaces, with the
// punctuation around them trimmed) that look like an identifier rather than
// English: a token with a digit (SIGKILL's 9, port 80, s3://), an acronym of
// two or more capitals (PID, SIGTERM, URL), CamelCase (ConfigMap,
// runAsNonRoot), anything in backticks, a token containing . / _ or = inside
// it (orders-db:5432, DATABASE_URL, postgres://), or a hyphenated identifier
// (warm-cache, orders-db).
func technicalTerms(s string) []string {
	var out []string
	for _, tok := range strings.Fields(s) {
		if strings.Contains(tok, "`") {
			out = append(out, tok)
			continue
		}
		tok = strings.TrimFunc(tok, func(r rune) bool { return strings.ContainsRune(`.,;:!?()[]{}"'`, r) })
		if tok == "" {
			continue
		}
		if technical(tok) {
			out = append(out, tok)
		}
	}
	return out
}

var hyphenatedRE = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)+$`)

func technical(tok string) bool {
	if strings.ContainsAny(tok, "0123456789./_=") || hyphenatedRE.MatchString(tok) {
		return true
	}
	upper, lowerThenUpper, letters := 0, false, 0
	prevLower := false
	for _, r := range tok {
		if unicode.IsLetter(r) {
			letters++
		}
		if unicode.IsUpper(r) {
			upper++
			if prevLower {
				lowerThenUpper = true
			}
		}
		prevLower = unicode.IsLower(r)
	}
	return (letters >= 2 && upper == letters) || lowerThenUpper
}

// connectiveRE finds the words that chain a reason to its consequence.
var connectiveRE = regexp.MustCompile(`(?i)\b(because|so|since|therefore|thus|hence|as a result|which means|means)\b`)

func connectives(s string) int { return len(connectiveRE.FindAllString(s, -1)) }

// Extremes are the wording guessers for which cq's intended choice is the
// one clear pick (the top score, with no tie): what a learner who reads
// only this question's choices could use.
func Extremes(cq ChoiceQuestion) []string {
	var out []string
	for _, g := range Guessers(0) {
		if g.Credit(cq) == 1 {
			out = append(out, g.Name)
		}
	}
	return out
}
