package fixes_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/author"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// catalogueChoiceQuestions is every choice question of every incident of the
// built-in catalogue, with the intended choice from the folder's
// diagnosis.yaml (read from disk: fixes/ never reaches the binary).
func catalogueChoiceQuestions(t *testing.T) []author.ChoiceQuestion {
	t.Helper()
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	var out []author.ChoiceQuestion
	for _, s := range catalog.All() {
		d, err := fixes.LoadDiagnosis(filepath.Join(fixes.Dir(root, s.ID), fixes.DiagnosisFile))
		require.NoError(t, err, s.ID)
		require.NoError(t, d.Validate(s.Questions), s.ID)
		for _, q := range s.Questions {
			if len(q.Choices) == 0 {
				continue
			}
			out = append(out, author.ChoiceQuestion{Incident: s.ID, Page: s.Title + "\n" + s.Briefing, Q: q, Intended: d.Correct[q.ID]})
		}
	}
	require.NotEmpty(t, out, "the catalogue has choice questions")
	return out
}

// TestChoicesHaveNoTells runs guessers that never look at the pods over every
// choice question of the catalogue (author.Guessers: longest and shortest
// text, most words shared with the page, most technical terms, most
// because/so connectives, and one per position in scenario.yaml). None may
// beat chance (the mean of 1/len(choices)) by more than author.TellMargin: an
// intended choice that is the longest, the most technical, the only one with
// a reason, or usually first, is found without any diagnosis.
func TestChoicesHaveNoTells(t *testing.T) {
	qs := catalogueChoiceQuestions(t)
	most := 0
	for _, cq := range qs {
		most = max(most, len(cq.Q.Choices))
	}
	for _, g := range author.Guessers(most) {
		t.Run(g.Name, func(t *testing.T) {
			right, chance, n, _ := g.Over(qs)
			require.NotZero(t, n)
			t.Logf("%-48s %5.1f%% right over %d questions, chance %5.1f%%", g.Name, 100*right, n, 100*chance)
			for _, tell := range author.Tells([]author.Guesser{g}, qs) {
				assert.Fail(t, "a guesser finds the intended choices without looking at the pods", tell.String())
			}
		})
	}
}

// The e2e suite's terminal test finds a choice on the screen by the first 40
// characters of its text, so those differ within a question.
func TestChoiceTextsDifferInTheirFirstWords(t *testing.T) {
	for _, cq := range catalogueChoiceQuestions(t) {
		seen := map[string]string{}
		for _, c := range cq.Q.Choices {
			key := c.Text
			if len(key) > 40 {
				key = key[:40]
			}
			assert.NotEmpty(t, c.Text, "%s: choice %s has no text", cq.Name(), c.ID)
			if other, ok := seen[key]; ok {
				assert.Failf(t, "two choices start alike", "%s: %s and %s both start %q", cq.Name(), other, c.ID, key)
			}
			seen[key] = c.ID
		}
	}
}
