package lab_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/lab"
)

// cliAdvice is what only the command line may say: a crashlab command or a flag.
var cliAdvice = regexp.MustCompile("`crashlab|crashlab (up|down|start|reset|list|status|check|workshop|images|interview|triage|play|explain)\\b|(^|[\\s(`])--[a-z]")

// The service states facts; which command or flag helps is the CLI's to say,
// so its errors are known by a sentinel and name no command.
func TestErrorsStateFactsNotCommands(t *testing.T) {
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"too few incidents for the round", &lab.TooFewIncidentsError{Fit: 4}, lab.ErrTooFewIncidents},
		{"not started", lab.ErrNotStarted, lab.ErrNotStarted},
		{"changed since start", lab.ErrChangedSinceStart, lab.ErrChangedSinceStart},
		{"trainer resets", lab.ErrTrainerResets, lab.ErrTrainerResets},
		{"no triage", lab.ErrNoTriage, lab.ErrNoTriage},
		{"nothing to watch", lab.ErrNothingToWatch, lab.ErrNothingToWatch},
		{"none left", lab.ErrNoneLeft, lab.ErrNoneLeft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			assert.ErrorIs(t, tt.err, tt.is)
			assert.NotRegexp(t, cliAdvice, tt.err.Error())
		})
	}
}
