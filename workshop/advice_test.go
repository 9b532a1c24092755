package workshop

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes/fake"
)

// cliAdvice is what only the command line may say: a crashlab command or a flag.
var cliAdvice = regexp.MustCompile("`crashlab|crashlab (up|down|start|reset|list|status|check|workshop|images|interview|triage|play|explain)\\b|(^|[\\s(`])--[a-z]")

// The package states facts; which command or flag helps is the CLI's to say,
// so every error it returns is known by a sentinel and names no command.
func TestErrorsStateFactsNotCommands(t *testing.T) {
	_, noWorkshop := Learners(context.Background(), fake.NewClientset(), "room")
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"no learners in the plan", Plan{Name: "room", Incidents: []string{"x"}}.Validate(), ErrNeedsLearners},
		{"no incidents in the plan", Plan{Name: "room", Learners: []string{"ana"}}.Validate(), ErrNeedsIncidents},
		{"no such workshop", noWorkshop, ErrNoWorkshop},
		{"workshop without learners", factf(ErrNoLearners, "workshop %q has no learners", "room"), ErrNoLearners},
		{"learner of another workshop", factf(ErrLearnerTaken, "learner %s's namespace %s belongs to workshop %q", "ana", "crashlab-ana-x", "other"), ErrLearnerTaken},
		{"unknown learner", &UnknownLearnerError{Workshop: "room", Learner: "bob"}, ErrUnknownLearner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			assert.ErrorIs(t, tt.err, tt.is)
			assert.NotRegexp(t, cliAdvice, tt.err.Error())
		})
	}
}
