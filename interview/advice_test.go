package interview

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cliAdvice is what only the command line may say: a crashlab command or a flag.
var cliAdvice = regexp.MustCompile("`crashlab|crashlab (up|down|start|reset|list|status|check|workshop|images|interview|triage|play|explain)\\b|(^|[\\s(`])--[a-z]")

// The package states facts; the flag a candidate's name is given with is the
// CLI's to name, so every error is known by a sentinel and names no flag.
func TestErrorsStateFactsNotCommands(t *testing.T) {
	tests := []struct {
		name      string
		candidate string
		is        error
	}{
		{"no candidate", "", ErrNoCandidate},
		{"unusable candidate", "Ada Lovelace", ErrBadCandidate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCandidate(tt.candidate)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.NotRegexp(t, cliAdvice, err.Error())
		})
	}
}
