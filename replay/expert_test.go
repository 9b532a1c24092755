package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		name string
		path []Step
		err  error
		msg  string
	}{
		{"fine", []Step{{Look: "get", Kind: "pods"}, {Look: "logs", Previous: true, Evidence: true}}, nil, ""},
		{"short kinds", []Step{{Look: "describe", Kind: "po"}, {Look: "get", Kind: "deploy", Name: "web", Evidence: true}}, nil, ""},
		{"empty", nil, ErrEmptyPath, ""},
		{"no evidence", []Step{{Look: "get", Kind: "pod"}}, ErrNoEvidence, ""},
		{"unknown look", []Step{{Look: "stare", Evidence: true}}, ErrUnknownLook, `expert step 1: unknown look "stare"`},
		{"a write is no look", []Step{{Look: "edit", Kind: "deployment", Evidence: true}}, ErrUnknownLook, ""},
		{"unknown kind", []Step{{Look: "get", Kind: "pod"}, {Look: "get", Kind: "gizmo", Evidence: true}}, ErrUnknownKind, "expert step 2"},
		{"get needs a kind", []Step{{Look: "get", Evidence: true}}, nil, "look get needs a kind"},
		{"previous only for logs", []Step{{Look: "describe", Kind: "pod", Previous: true, Evidence: true}}, nil, "previous is for logs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePath(tt.path)
			if tt.err == nil && tt.msg == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			}
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestStepMatches(t *testing.T) {
	tests := []struct {
		name string
		step Step
		look Look
		want bool
	}{
		{"get pods by list", Step{Look: "get", Kind: "pod"}, Look{Action: ActionGet, Kind: "pod"}, true},
		{"get pods by one pod", Step{Look: "get", Kind: "pods"}, Look{Action: ActionGet, Kind: "pod", Name: pod}, true},
		{"get pods by get all", Step{Look: "get", Kind: "pod"}, Look{Action: ActionGet, Kind: "all"}, true},
		{"get secret by name", Step{Look: "get", Kind: "secret", Name: "orders-db"}, Look{Action: ActionGet, Kind: "secret", Name: "orders-db"}, true},
		{"get secret: a list shows no keys", Step{Look: "get", Kind: "secret", Name: "orders-db"}, Look{Action: ActionGet, Kind: "secret"}, false},
		{"get secret: another one", Step{Look: "get", Kind: "secret", Name: "orders-db"}, Look{Action: ActionGet, Kind: "secret", Name: "orders-database"}, false},
		{"describe secret is not get", Step{Look: "get", Kind: "secret", Name: "orders-db"}, Look{Action: ActionDescribe, Kind: "secret", Name: "orders-db"}, false},
		{"describe any pod", Step{Look: "describe", Kind: "pod"}, Look{Action: ActionDescribe, Kind: "pod", Name: pod}, true},
		{"describe a pod of the workload", Step{Look: "describe", Kind: "pod", Name: "orders-api"}, Look{Action: ActionDescribe, Kind: "pod", Name: pod}, true},
		{"describe a pod of another workload", Step{Look: "describe", Kind: "pod", Name: "orders"}, Look{Action: ActionDescribe, Kind: "pod", Name: "ordersx-1"}, false},
		{"describe deployment is not describe pod", Step{Look: "describe", Kind: "pod"}, Look{Action: ActionDescribe, Kind: "deployment", Name: "orders-api"}, false},
		{"describe deploy short name", Step{Look: "describe", Kind: "deploy", Name: "orders-api"}, Look{Action: ActionDescribe, Kind: "deployment", Name: "orders-api"}, true},
		{"logs --previous", Step{Look: "logs", Previous: true}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true}, true},
		{"logs without --previous", Step{Look: "logs", Previous: true}, Look{Action: ActionLogs, Kind: "pod", Name: pod}, false},
		{"any logs", Step{Look: "logs"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true}, true},
		{"logs of the init container", Step{Look: "logs", Container: "wait-db"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Container: "wait-db"}, true},
		{"logs of the app, not the init container", Step{Look: "logs", Container: "wait-db"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Container: "app"}, false},
		{"events", Step{Look: "events"}, Look{Action: ActionEvents, Kind: "event"}, true},
		{"events of the pod", Step{Look: "events", Name: "orders-api"}, Look{Action: ActionEvents, Kind: "event", Name: pod}, true},
		{"get events is not get pods", Step{Look: "get", Kind: "pod"}, Look{Action: ActionEvents, Kind: "event"}, false},
		{"get nodes", Step{Look: "get", Kind: "node"}, Look{Action: ActionGet, Kind: "node"}, true},
		{"describe node for get nodes", Step{Look: "get", Kind: "node"}, Look{Action: ActionDescribe, Kind: "node", Name: "n"}, false},
		{"a lab command", Step{Look: "get", Kind: "pod"}, Look{Action: "status"}, false},
		{"top pods", Step{Look: "top", Kind: "pod"}, Look{Action: ActionTop, Kind: "pod"}, true},
		{"rollout history", Step{Look: "rollout-history", Kind: "deploy", Name: "web"}, Look{Action: ActionRolloutHistory, Kind: "deployment", Name: "web"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.step.Matches(tt.look))
		})
	}
}

// The expert path of orders-api-down-after-config.
var ordersPath = []Step{
	{Look: "get", Kind: "pod"},
	{Look: "describe", Kind: "pod"},
	{Look: "logs", Previous: true, Evidence: true},
	{Look: "get", Kind: "secret", Name: "orders-db", Evidence: true},
}

func TestCompareFixture(t *testing.T) {
	tl := fixtureTimeline(t, LabCommand{Time: page.Add(250 * time.Second), Command: "diagnose"})
	diagnosed := page.Add(250 * time.Second)
	s := Compare(tl, ordersPath, diagnosed)

	var ranks []int
	var since []time.Duration
	for _, r := range s.Steps {
		assert.True(t, r.Taken)
		ranks = append(ranks, r.Rank)
		since = append(since, r.Since)
	}
	assert.Equal(t, []int{1, 2, 3, 4}, ranks)
	assert.Equal(t, []time.Duration{12304512 * time.Microsecond, 31010203 * time.Microsecond, 58400001 * time.Microsecond, 231050 * time.Millisecond}, since)
	assert.True(t, s.InOrder)
	assert.True(t, s.EvidenceSeen)
	assert.Equal(t, 58400001*time.Microsecond, s.EvidenceAfter)
	assert.Equal(t, 2, s.EvidenceEntry)
	assert.Empty(t, s.Missed)
	assert.True(t, s.Diagnosed)
	// The wrong edit came before the diagnosis; the right one, the restart
	// and the delete after it.
	require.Len(t, s.WritesBefore, 1)
	assert.Equal(t, "kubectl edit deployment orders-api", tl.Entries[s.WritesBefore[0]].Command)

	undiagnosed := Compare(tl, ordersPath, time.Time{})
	assert.False(t, undiagnosed.Diagnosed)
	assert.Len(t, undiagnosed.WritesBefore, 4, "every write counts when the diagnosis did not pass")
}

func TestCompare(t *testing.T) {
	at := func(sec float64) time.Time { return page.Add(time.Duration(sec * float64(time.Second))) }
	entry := func(sec float64, l Look) Entry {
		return Entry{Time: at(sec), Source: SourceKubectl, Look: l, Code: 200}
	}
	logsPrev := Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true}
	getPods := Look{Action: ActionGet, Kind: "pod"}
	describe := Look{Action: ActionDescribe, Kind: "pod", Name: pod}
	tests := []struct {
		name      string
		entries   []Entry
		ranks     []int
		inOrder   bool
		evidence  time.Duration
		missed    []int
		noEvidece bool
	}{
		{"nothing done", nil, []int{0, 0, 0, 0}, true, 0, []int{0, 1, 2, 3}, true},
		{"straight to the logs", []Entry{entry(5, logsPrev)}, []int{0, 0, 1, 0}, true, 5 * time.Second, []int{0, 1, 3}, false},
		{"out of order", []Entry{entry(5, logsPrev), entry(9, getPods), entry(12, describe)}, []int{2, 3, 1, 0}, false, 5 * time.Second, []int{3}, false},
		{"repeats count once, at the first", []Entry{entry(1, getPods), entry(2, getPods), entry(8, describe), entry(20, logsPrev)}, []int{1, 2, 3, 0}, true, 20 * time.Second, []int{3}, false},
		{"a failed look shows nothing", []Entry{func() Entry { e := entry(3, logsPrev); e.Code = 400; return e }(), entry(30, logsPrev)}, []int{0, 0, 1, 0}, true, 30 * time.Second, []int{0, 1, 3}, false},
		{"the lab's commands are no looks", []Entry{{Time: at(1), Source: SourceLab, Look: Look{Action: "status"}}}, []int{0, 0, 0, 0}, true, 0, []int{0, 1, 2, 3}, true},
		{"a raw request of another client counts", []Entry{{Time: at(4), Source: SourceClient, Look: logsPrev}}, []int{0, 0, 1, 0}, true, 4 * time.Second, []int{0, 1, 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compare(Timeline{Page: page, Entries: tt.entries}, ordersPath, time.Time{})
			var ranks []int
			for _, r := range s.Steps {
				ranks = append(ranks, r.Rank)
				assert.Equal(t, r.Rank > 0, r.Taken)
			}
			assert.Equal(t, tt.ranks, ranks)
			assert.Equal(t, tt.inOrder, s.InOrder)
			assert.Equal(t, !tt.noEvidece, s.EvidenceSeen)
			assert.Equal(t, tt.evidence, s.EvidenceAfter)
			assert.Equal(t, tt.missed, s.Missed)
		})
	}
}
