package content

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The drill shows a written question's answer among its wrong ones,
// shuffled; like the incidents' choices (scenarios/fixes/guessers_test.go),
// the answer must not be found by its length alone. Ties split the credit.
func TestWrittenAnswersAreNotFoundByLength(t *testing.T) {
	b, err := Drill()
	require.NoError(t, err)
	require.NotEmpty(t, b.Questions)
	for _, tc := range []struct {
		name string
		pick func(a, b int) bool // whether length a beats the best so far, b
	}{
		{"longest", func(a, b int) bool { return a > b }},
		{"shortest", func(a, b int) bool { return a < b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, chance float64
			var hits []string
			for _, q := range b.Questions {
				texts := append([]string{q.Answer}, q.Wrong...)
				best, tied, answerTied := len(texts[0]), 1, true
				for _, w := range texts[1:] {
					switch {
					case tc.pick(len(w), best):
						best, tied, answerTied = len(w), 1, false
					case len(w) == best:
						tied++
					}
				}
				if answerTied {
					got += 1 / float64(tied)
					hits = append(hits, fmt.Sprintf("%s (tied with %d)", q.ID, tied-1))
				}
				chance += 1 / float64(len(texts))
			}
			n := float64(len(b.Questions))
			got, chance = got/n, chance/n
			t.Logf("%-8s text: %5.1f%% right over %d questions, chance %5.1f%%", tc.name, 100*got, len(b.Questions), 100*chance)
			assert.LessOrEqual(t, got, chance+0.10, "picking the %s text finds the drill's answer %.1f%% of the time, chance is %.1f%%: make the wrong answers as long and specific as the right one in %s",
				tc.name, 100*got, 100*chance, strings.Join(hits, ", "))
		})
	}
}
