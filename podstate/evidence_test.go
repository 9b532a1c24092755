package podstate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvidence(t *testing.T) {
	neverRan := missingKeyFacts()
	neverRan.Pods[0].Containers[0].Last = &Termination{Reason: "StartError", ExitCode: 128, FinishedAt: t0}
	noLast := missingKeyFacts()
	noLast.Pods[0].Containers[0].Last = nil
	noLast.Pods[0].Containers[1].Last = nil

	tests := []struct {
		name         string
		facts        Facts
		container    string // "app" unless set
		anyContainer bool   // evaluate on every container ("")
		pred         string
		want         bool
	}{
		{name: "lastReason matches", pred: "lastReason=Error", want: true},
		{name: "lastReason differs", pred: "lastReason=OOMKilled", want: false},
		{name: "lastReason of another container is ignored", pred: "lastReason=OOMKilled", want: false},
		{name: "lastReason on any container when container is empty", anyContainer: true, pred: "lastReason=OOMKilled", want: true},
		{name: "lastReason without a termination", facts: noLast, pred: "lastReason=Error", want: false},
		{name: "lastExitCode matches", pred: "lastExitCode=1", want: true},
		{name: "lastExitCode differs", pred: "lastExitCode=137", want: false},
		{name: "lastExitCode without a termination", facts: noLast, pred: "lastExitCode=0", want: false},
		{name: "waitingReason matches", pred: "waitingReason=CrashLoopBackOff", want: true},
		{name: "waitingReason differs", pred: "waitingReason=CreateContainerConfigError", want: false},
		{name: "waitingMessage contains, case-insensitive", pred: "waitingMessage~BACK-OFF", want: true},
		{name: "waitingMessage does not contain", pred: "waitingMessage~image", want: false},
		{name: "log contains, case-insensitive", pred: "log~database_url", want: true},
		{name: "log does not contain", pred: "log~out of memory", want: false},
		{name: "lastMessage contains", pred: "lastMessage~config check", want: true},
		{name: "lastMessage does not contain", pred: "lastMessage~oom", want: false},
		{name: "lastMessage without a termination", facts: noLast, pred: "lastMessage~", want: false},
		{name: "event reason present", pred: "event=BackOff", want: true},
		{name: "event reason absent", pred: "event=Killing", want: false},
		{name: "eventMessage contains", pred: "eventMessage~restarting FAILED", want: true},
		{name: "eventMessage does not contain", pred: "eventMessage~liveness probe", want: false},
		{name: "missingSecretKey holds", pred: "missingSecretKey", want: true},
		{name: "missingSecretKey on a container without missing keys", container: "sidecar", pred: "missingSecretKey", want: false},
		{name: "neverStarted on a process that ran", pred: "neverStarted", want: false},
		{name: "neverStarted on a StartError", facts: neverRan, pred: "neverStarted", want: true},
		{name: "neverStarted without a termination", facts: noLast, pred: "neverStarted", want: false},
		{name: "negation of a true predicate", pred: "!lastReason=Error", want: false},
		{name: "negation of a false predicate", pred: "!lastReason=OOMKilled", want: true},
		{name: "double negation", pred: "!!missingSecretKey", want: true},
		{name: "value may contain the other operator", pred: "log~is not set", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			if f.Pods == nil {
				f = missingKeyFacts()
			}
			container := tt.container
			if container == "" {
				container = "app"
			}
			if tt.anyContainer {
				container = ""
			}
			got, err := Evidence(f, container, tt.pred)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEvidenceRejectsUnknownOrMalformedPredicates(t *testing.T) {
	tests := []struct {
		name    string
		pred    string
		wantErr string
	}{
		{name: "unknown key", pred: "exitReason=Error", wantErr: "unknown evidence"},
		{name: "empty predicate", pred: "", wantErr: "unknown evidence"},
		{name: "equality where only contains is supported", pred: "log=DATABASE_URL", wantErr: "unknown evidence"},
		{name: "contains where only equality is supported", pred: "lastReason~Err", wantErr: "unknown evidence"},
		{name: "flag predicate with a value", pred: "missingSecretKey=DATABASE_URL", wantErr: "unknown evidence"},
		{name: "neverStarted with a value", pred: "neverStarted=true", wantErr: "unknown evidence"},
		{name: "negated typo is still an error", pred: "!lastReasn=Error", wantErr: "unknown evidence"},
		{name: "lastExitCode not a number", pred: "lastExitCode=one", wantErr: "number"},
		{name: "lastExitCode empty", pred: "lastExitCode=", wantErr: "number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []Facts{{}, missingKeyFacts()} {
				_, err := Evidence(f, "app", tt.pred)
				require.Error(t, err, "even on facts where it would not matter")
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}
