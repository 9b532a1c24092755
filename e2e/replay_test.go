//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/replay"
)

// investigationReplay runs a scripted investigation with kubectl, as a
// learner would (the pods, describe, the previous log, a change made before
// understanding, then the right fix), and checks that `crashlab replay`
// reads it back from the API server's audit log: each command recognised,
// in order, the evidence-bearing look marked, the writes before a diagnosis
// listed with what they changed, the lab's own commands from its record, and
// nothing of the lab's own requests or the cluster's components.
func investigationReplay(t *testing.T, kubeconfig string, c kubernetes.Interface, spec scenarioSpec) {
	kubectlPath, err := exec.LookPath("kubectl")
	require.NoError(t, err, "the replay is of kubectl commands")
	s := spec.s
	const learner = "replay"
	ns := namespaceOf(t, learner, s.ID)
	t.Cleanup(func() { _ = cluster.DeleteNamespace(context.Background(), c, ns, 0) })
	// The right fix, as a learner would type it: a fix of the fixes folder
	// made of one strategic merge patch of the workload.
	var fixPatch json.RawMessage
	for _, fx := range spec.folder.Passing() {
		if len(fx.Steps) != 1 || fx.Steps[0].Action != "patch" {
			continue
		}
		var p struct {
			Kind, Name string
			Patch      json.RawMessage
		}
		require.NoError(t, json.Unmarshal(fx.Steps[0].Spec, &p))
		if p.Kind == s.Workload.Kind && p.Name == s.Workload.Name && !strings.Contains(string(p.Patch), "{{") {
			fixPatch = p.Patch
			break
		}
	}
	require.NotNil(t, fixPatch, "%s has an accepted fix that is one patch of its workload", s.ID)
	kubectl := func(args ...string) string {
		t.Helper()
		// A person reads an answer before typing the next command; the
		// audit log does not say which kubectl process sent a request, so
		// the replay tells commands apart by their shape and by a pause
		// (replay.Window): two typed within it can read as one.
		time.Sleep(replay.Window + time.Second)
		out, err := exec.Command(kubectlPath, append([]string{"--kubeconfig", kubeconfig, "--context", cluster.ContextName, "-n", ns}, args...)...).CombinedOutput()
		require.NoError(t, err, "kubectl %v: %s", args, out)
		return string(out)
	}

	r := crashlab(t, kubeconfig, "--learner", learner, "start", s.ID, "--wait")
	require.Equal(t, 0, r.code)
	require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "status", s.ID).code)
	pod := strings.TrimSpace(kubectl("get", "pods", "-o", "jsonpath={.items[0].metadata.name}"))
	require.NotEmpty(t, pod)
	kubectl("describe", "pod", pod)
	kubectl("logs", pod, "--previous", "-c", s.Workload.Container)
	workload := strings.ToLower(s.Workload.Kind) + "/" + s.Workload.Name
	kubectl("rollout", "restart", workload)
	require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "hint", s.ID).code)
	// While the attempt is open, the replay does not say where the cause is.
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "replay", s.ID)
	require.Equal(t, 0, r.code, r.err)
	var open lab.Replay
	require.NoError(t, json.Unmarshal([]byte(r.out), &open))
	assert.False(t, open.Revealed)
	assert.Empty(t, open.Expert)
	assert.Equal(t, -1, open.Summary.EvidenceEntry)
	assert.NotEmpty(t, open.Summary.WritesBefore, "the change made before understanding is said at once")
	kubectl("patch", workload, "--type", "strategic", "-p", string(fixPatch))
	r = crashlab(t, kubeconfig, "--learner", learner, "check", s.ID, "--timeout", "3m")
	require.Equal(t, 0, r.code, "the right fix passes")
	assert.Contains(t, r.out, "crashlab replay "+s.ID, "a passing check points at the whole replay")

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "replay", s.ID)
	require.Equal(t, 0, r.code, r.err)
	var got lab.Replay
	require.NoError(t, json.Unmarshal([]byte(r.out), &got))

	var looks []replay.Look
	var labCmds []string
	index := map[string]int{}
	for i, e := range got.Timeline.Entries {
		for _, q := range e.Requests {
			assert.False(t, replay.IsLabRequest(replay.Event{UserAgent: q.UserAgent}), "the lab's own request %s is not the learner's", q)
			assert.False(t, replay.IsSystemUser(q.User), "a component's request %s is not the learner's", q)
		}
		switch e.Source {
		case replay.SourceKubectl:
			assert.True(t, e.Recognised, "%s", e.Command)
			looks = append(looks, e.Look)
			index[e.Look.Action] = i
		case replay.SourceLab:
			labCmds = append(labCmds, e.Command)
		}
	}
	kind := strings.ToLower(s.Workload.Kind)
	want := []replay.Look{
		{Action: replay.ActionGet, Kind: "pod"},
		{Action: replay.ActionDescribe, Kind: "pod", Name: pod},
		{Action: replay.ActionLogs, Kind: "pod", Name: pod, Previous: true, Container: s.Workload.Container},
		{Action: replay.ActionRolloutRestart, Kind: kind, Name: s.Workload.Name},
		{Action: replay.ActionPatch, Kind: kind, Name: s.Workload.Name},
	}
	assert.Equal(t, want, looks, "the kubectl commands, recognised and in order: %s", r.out)
	assert.Equal(t, []string{"crashlab start", "crashlab status", "crashlab hint", "crashlab check"}, labCmds, "the lab's commands, from its record")

	sum := got.Summary
	assert.True(t, sum.EvidenceSeen)
	if logs, ok := index[replay.ActionLogs]; assert.True(t, ok) {
		assert.Equal(t, logs, sum.EvidenceEntry, "the previous log is the first look that shows the evidence")
	}
	assert.False(t, sum.Diagnosed)
	assert.ElementsMatch(t, []int{index[replay.ActionRolloutRestart], index[replay.ActionPatch]}, sum.WritesBefore, "without a diagnosis every write was made before understanding")
	var changed []string
	for _, ch := range got.Timeline.Entries[index[replay.ActionPatch]].Changes {
		changed = append(changed, ch.Path)
	}
	assert.Contains(t, strings.Join(changed, " "), "secretKeyRef", "the fix's write shows what it changed")
	var missed []string
	for _, i := range sum.Missed {
		missed = append(missed, got.Expert[i].Look+" "+got.Expert[i].ObjectKind())
	}
	assert.Contains(t, missed, "get secret", "the Secret was never looked at")

	text := crashlab(t, kubeconfig, "--learner", learner, "replay", s.ID)
	require.Equal(t, 0, text.code)
	assert.Contains(t, text.out, "kubectl logs "+pod)

	// progress -o json carries the same investigation in a few numbers.
	var count progressInvestigationJSON
	for _, e := range got.Timeline.Entries {
		switch {
		case e.Source == replay.SourceLab:
			count.LabCommands++
		case e.Write:
			count.Writes++
		default:
			count.Looks++
		}
	}
	inv := progressInvestigation(t, kubeconfig, learner, s.ID)
	require.NotNil(t, inv, "progress -o json shows the investigation of a started incident")
	assert.Equal(t, count.Looks, inv.Looks)
	assert.Equal(t, count.Writes, inv.Writes)
	assert.Equal(t, count.LabCommands, inv.LabCommands)
	assert.Equal(t, len(sum.WritesBefore), inv.WritesBeforeDiagnosis)
	assert.True(t, inv.Revealed)
	if assert.NotNil(t, inv.EvidenceSeen) {
		assert.True(t, *inv.EvidenceSeen)
	}
	assert.Equal(t, "crashlab replay "+s.ID, inv.Command)
}

// progressInvestigationJSON is the part of an incident's investigation in
// `progress -o json` the test reads.
type progressInvestigationJSON struct {
	Looks                 int    `json:"looks"`
	Writes                int    `json:"writes"`
	LabCommands           int    `json:"labCommands"`
	WritesBeforeDiagnosis int    `json:"writesBeforeDiagnosis"`
	Revealed              bool   `json:"revealed"`
	EvidenceSeen          *bool  `json:"evidenceSeen"`
	Command               string `json:"command"`
}

// progressInvestigation is the investigation `progress -o json` shows for
// the learner's incident id.
func progressInvestigation(t *testing.T, kubeconfig, learner, id string) *progressInvestigationJSON {
	t.Helper()
	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "progress")
	require.Equal(t, 0, r.code, r.err)
	var p struct {
		Incidents []struct {
			ID            string                     `json:"id"`
			Investigation *progressInvestigationJSON `json:"investigation"`
		} `json:"incidents"`
		InvestigationNote string `json:"investigationNote"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &p), r.out)
	for _, inc := range p.Incidents {
		if inc.ID == id {
			return inc.Investigation
		}
	}
	t.Fatalf("progress has no incident %s: %s (note: %s)", id, r.out, p.InvestigationNote)
	return nil
}

// replayElsewhere: on a cluster whose requests the lab cannot read (here,
// the lab's cluster named as an existing one), replay says so in one line.
func replayElsewhere(t *testing.T, kubeconfig, contextName, learner, id string) {
	r := crashlab(t, kubeconfig, "--context", contextName, "--learner", learner, "replay", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "does not record API requests")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.err), "\n")+1, "one line: %q", r.err)

	// progress still works there, and says why it shows no investigation.
	r = crashlab(t, kubeconfig, "--context", contextName, "--learner", learner, "-o", "json", "progress")
	require.Equal(t, 0, r.code, r.err)
	assert.Contains(t, r.out, "keeps no audit log")
	assert.NotContains(t, r.out, `"investigation":`)
}
