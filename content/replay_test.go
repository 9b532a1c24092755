package content

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crashlab/crashlab/replay"
)

func TestReplayMarksTheEvidenceAndEarlyChanges(t *testing.T) {
	page := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	v := ReplayView{
		Scenario: "orders-api-down-after-config",
		Page:     page,
		Revealed: true,
		Timeline: replay.Timeline{Page: page, Entries: []replay.Entry{
			{Since: 5 * time.Second, Command: "kubectl get pods", Repeats: 2},
			{Since: 70 * time.Second, Command: "kubectl rollout restart deployment/orders-api", Write: true},
			{Since: 95 * time.Second, Command: "kubectl logs orders-api-x --previous"},
			{Since: 2 * time.Minute, Command: "kubectl get secret orders-db", Code: 403},
			{Since: 3 * time.Minute, Command: "kubectl patch deployment/orders-api", Write: true, Changes: []replay.Change{
				{Path: "spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key", Op: replay.OpSet, Value: "database_url"},
				{Path: "data.password", Op: replay.OpSet, Hidden: true},
			}},
		}},
		Expert: []replay.Step{{Look: "get", Kind: "pod"}, {Look: "logs", Previous: true, Evidence: true, Shows: "the app's own words"}},
		Summary: replay.Summary{
			Steps: []replay.StepResult{
				{Step: replay.Step{Look: "get", Kind: "pod"}, Taken: true, Since: 5 * time.Second, Entry: 0, Rank: 1},
				{Step: replay.Step{Look: "logs", Previous: true, Evidence: true, Shows: "the app's own words"}, Taken: true, Since: 95 * time.Second, Entry: 2, Rank: 2},
			},
			InOrder: true, EvidenceSeen: true, EvidenceAfter: 95 * time.Second, EvidenceEntry: 2, WritesBefore: []int{1, 4},
		},
	}
	var b strings.Builder
	Replay(&b, v)
	out := b.String()
	lines := strings.Split(out, "\n")
	assert.Contains(t, lines, "*  +1m35s  kubectl logs orders-api-x --previous", out)
	assert.Contains(t, lines, "!  +1m10s  kubectl rollout restart deployment/orders-api", out)
	assert.Contains(t, out, "kubectl get pods  (×3)")
	assert.Contains(t, out, "[refused: 403]")
	assert.Contains(t, out, "set spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key = database_url")
	assert.Contains(t, out, "set data.password (value not recorded)")
	assert.Contains(t, out, "read the logs of the previous run — the app's own words (shows the evidence): taken at +1m35s")
	assert.Contains(t, out, "You first saw the evidence 1m35s after the page.")
	assert.Contains(t, out, "2 time(s) without a passing diagnosis")

	v.Revealed = false
	b.Reset()
	Replay(&b, v)
	assert.NotContains(t, b.String(), "*  +1m35s", "an open attempt is not told where the evidence is")
	assert.NotContains(t, b.String(), "the app's own words")
	assert.Contains(t, b.String(), "once your fix passes or you give up")
	assert.Contains(t, b.String(), "!  +1m10s")

	v.Summary = replay.Summary{Steps: []replay.StepResult{{Step: replay.Step{Look: "logs", Previous: true, Evidence: true}, Entry: -1}}, EvidenceEntry: -1, Diagnosed: true}
	b.Reset()
	ReplaySummary(&b, v)
	assert.Contains(t, b.String(), "not taken")
	assert.Contains(t, b.String(), "You never took a look that shows the evidence")
	assert.NotContains(t, b.String(), "changed the cluster")

	// The legend names only the marks shown.
	b.Reset()
	Replay(&b, ReplayView{Scenario: "x", Page: page, Timeline: replay.Timeline{Page: page, Entries: []replay.Entry{{Since: time.Second, Command: "kubectl get pods"}}}, Summary: replay.Summary{EvidenceEntry: -1}})
	assert.NotContains(t, b.String(), "! a change")
	assert.NotContains(t, b.String(), "* the first look")

	// The interviewer's report speaks of the candidate.
	v.Who = "The candidate"
	b.Reset()
	ReplaySummary(&b, v)
	assert.Contains(t, b.String(), "The candidate never took a look that shows the evidence")
	assert.NotContains(t, b.String(), "You ")
}
