package images

import (
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// cliAdvice is what only the command line may say: a crashlab command or a flag.
var cliAdvice = regexp.MustCompile("`crashlab|crashlab (up|down|start|reset|list|status|check|workshop|images|interview|triage|play|explain)\\b|(^|[\\s(`])--[a-z]")

// The package states facts; the flag for a plain-HTTP registry is the CLI's
// to name, so a failed push is known by ErrPush and names no flag.
func TestErrorsStateFactsNotCommands(t *testing.T) {
	cause := errors.New("unexpected status code 400 Bad Request")
	tests := []struct {
		name string
		err  error
		is   []error
	}{
		{"push refused", pushError("r:5000/crashlab/workload:abc", cause), []error{ErrPush, cause}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, is := range tt.is {
				assert.ErrorIs(t, tt.err, is)
			}
			assert.NotRegexp(t, cliAdvice, tt.err.Error())
		})
	}
}
