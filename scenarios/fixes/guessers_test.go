package fixes_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// tellMargin is how far above chance a guesser that never reads the pods may
// score across the catalogue before its rule counts as a tell.
const tellMargin = 0.10

// choiceQuestion is one choice question of an incident, with the choice its
// author meant (diagnosis.yaml's correct) and the page the learner reads
// before answering: the title and the briefing.
type choiceQuestion struct {
	scenario, page string
	q              grader.Question
	intended       string
}

func (c choiceQuestion) name() string { return c.scenario + "/" + c.q.ID }

// guesser scores each choice of a question without looking at the pods; it
// picks the highest score. applies says whether it has a pick at all (a
// position guesser has none on a question with fewer choices).
type guesser struct {
	name    string
	score   func(cq choiceQuestion, i int) float64
	applies func(cq choiceQuestion) bool
}

// credit is what a guesser earns on a question: 1/k when the intended choice
// is among the k choices tied for the best score, so that a tie cannot hide a
// tell (and a guesser that ties everything earns exactly chance).
func (g guesser) credit(cq choiceQuestion) float64 {
	best, tied, hit := 0.0, 0, false
	for i, c := range cq.q.Choices {
		s := g.score(cq, i)
		switch {
		case tied == 0 || s > best:
			best, tied, hit = s, 1, c.ID == cq.intended
		case s == best:
			tied++
			hit = hit || c.ID == cq.intended
		}
	}
	if !hit {
		return 0
	}
	return 1 / float64(tied)
}

// catalogueChoiceQuestions is every choice question of every incident of the
// built-in catalogue, with the intended choice from the folder's
// diagnosis.yaml (read from disk: fixes/ never reaches the binary).
func catalogueChoiceQuestions(t *testing.T) []choiceQuestion {
	t.Helper()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	var out []choiceQuestion
	for _, s := range catalog.All() {
		d, err := fixes.LoadDiagnosis(filepath.Join(fixes.Dir(root, s.ID), fixes.DiagnosisFile))
		require.NoError(t, err, s.ID)
		require.NoError(t, d.Validate(s.Questions), s.ID)
		for _, q := range s.Questions {
			if len(q.Choices) == 0 {
				continue
			}
			out = append(out, choiceQuestion{scenario: s.ID, page: s.Title + "\n" + s.Briefing, q: q, intended: d.Correct[q.ID]})
		}
	}
	require.NotEmpty(t, out, "the catalogue has choice questions")
	return out
}

// TestChoicesHaveNoTells runs guessers that never look at the pods over every
// choice question of the catalogue: longest and shortest text, most words
// shared with the page (title and briefing), most technical terms, most
// because/so connectives, and one per position in scenario.yaml. None may
// beat chance (the mean of 1/len(choices)) by more than tellMargin: an
// intended choice that is the longest, the most technical, the only one with
// a reason, or usually first, is found without any diagnosis.
func TestChoicesHaveNoTells(t *testing.T) {
	qs := catalogueChoiceQuestions(t)
	always := func(choiceQuestion) bool { return true }
	length := func(cq choiceQuestion, i int) float64 { return float64(len([]rune(cq.q.Choices[i].Text))) }
	guessers := []guesser{
		{name: "longest text", applies: always, score: length},
		{name: "shortest text", applies: always, score: func(cq choiceQuestion, i int) float64 { return -length(cq, i) }},
		{name: "most words shared with the title and briefing", applies: always, score: func(cq choiceQuestion, i int) float64 {
			page := words(cq.page)
			n := 0
			for w := range words(cq.q.Choices[i].Text) {
				if page[w] {
					n++
				}
			}
			return float64(n)
		}},
		{name: "most technical terms", applies: always, score: func(cq choiceQuestion, i int) float64 {
			return float64(len(technicalTerms(cq.q.Choices[i].Text)))
		}},
		{name: "most because/so connectives", applies: always, score: func(cq choiceQuestion, i int) float64 {
			return float64(connectives(cq.q.Choices[i].Text))
		}},
	}
	most := 0
	for _, cq := range qs {
		most = max(most, len(cq.q.Choices))
	}
	for p := range most {
		guessers = append(guessers, guesser{
			name:    fmt.Sprintf("position %d in scenario.yaml", p+1),
			applies: func(cq choiceQuestion) bool { return len(cq.q.Choices) > p },
			score: func(_ choiceQuestion, i int) float64 {
				if i == p {
					return 1
				}
				return 0
			},
		})
	}

	for _, g := range guessers {
		t.Run(g.name, func(t *testing.T) {
			type result struct {
				name   string
				credit float64
			}
			var got, chance float64
			var results []result
			for _, cq := range qs {
				if !g.applies(cq) {
					continue
				}
				c := g.credit(cq)
				got += c
				chance += 1 / float64(len(cq.q.Choices))
				results = append(results, result{cq.name(), c})
			}
			require.NotEmpty(t, results)
			n := float64(len(results))
			got, chance = got/n, chance/n
			t.Logf("%-48s %5.1f%% right over %d questions, chance %5.1f%%", g.name, 100*got, len(results), 100*chance)
			if got <= chance+tellMargin {
				return
			}
			sort.SliceStable(results, func(a, b int) bool { return results[a].credit > results[b].credit })
			var worst []string
			for _, r := range results {
				if r.credit > 0 && len(worst) < 12 {
					worst = append(worst, fmt.Sprintf("%s (%.2f)", r.name, r.credit))
				}
			}
			assert.Failf(t, "a guesser finds the intended choices without looking at the pods",
				"%q picks the intended choice %.1f%% of the time over %d questions, chance is %.1f%% (allowed up to %.1f%%): rewrite the choices so that the wrong ones are as long, specific and reasoned as the right one, and move the intended ones around. It scores on: %s",
				g.name, 100*got, len(results), 100*chance, 100*(chance+tellMargin), strings.Join(worst, ", "))
		})
	}
}

// The e2e suite's terminal test finds a choice on the screen by the first 40
// characters of its text, so those differ within a question.
func TestChoiceTextsDifferInTheirFirstWords(t *testing.T) {
	for _, cq := range catalogueChoiceQuestions(t) {
		seen := map[string]string{}
		for _, c := range cq.q.Choices {
			key := c.Text
			if len(key) > 40 {
				key = key[:40]
			}
			assert.NotEmpty(t, c.Text, "%s: choice %s has no text", cq.name(), c.ID)
			if other, ok := seen[key]; ok {
				assert.Failf(t, "two choices start alike", "%s: %s and %s both start %q", cq.name(), other, c.ID, key)
			}
			seen[key] = c.ID
		}
	}
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
