//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
)

// explainPod runs `crashlab explain POD -n NS -o json` as a user would.
func explainPod(t *testing.T, kubeconfig, learner, ns, pod string) lab.PodExplanation {
	t.Helper()
	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "explain", pod, "-n", ns)
	require.Equal(t, 0, r.code, "explain %s/%s: %s", ns, pod, r.err)
	var e lab.PodExplanation
	require.NoError(t, json.Unmarshal([]byte(r.out), &e), r.out)
	return e
}

// explainBroken checks `explain POD` on a scenario's broken pod: for the
// learner, who has not solved it, the command refuses (its report names the
// cause) and points at `hint`; the report itself, read in-process as the
// command reads it for any other pod, agrees with the facts the lab reads
// itself: the same family, the cause named with quoted evidence and a next
// step, and for a container that ended the exit code of its last
// termination. Pods move (a crash-looping container runs for a moment
// between back-offs), so a differing family is read again.
func explainBroken(t *testing.T, kubeconfig, learner string, c kubernetes.Interface, ns string, target podstate.Target) {
	t.Helper()
	pods := podsOf(t, c, ns)
	require.NotEmpty(t, pods)
	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "explain", pods[0].Name, "-n", ns)
	assert.Equal(t, 1, r.code, "explain POD on an unsolved incident's pod refuses: %s", r.out)
	assert.Empty(t, r.out, "and prints no report")
	assert.Contains(t, r.err, "crashlab hint", "it points at hint instead")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.err), "\n")+1, "in one line: %q", r.err)
	var e lab.PodExplanation
	var want string
	for attempt := 0; attempt < 8; attempt++ {
		f, err := podstate.NewObserver(c).Observe(t.Context(), target)
		require.NoError(t, err)
		require.NotEmpty(t, f.Pods)
		// The pod that shows the failure: a second replica may still be
		// being created.
		pod := f.Pods[0]
		for _, p := range f.Pods {
			if p.Family() != podstate.FamilyStarting {
				pod = p
				break
			}
		}
		want = pod.Family()
		e, err = lab.ExplainPod(t.Context(), c, ns, pod.Name)
		require.NoError(t, err)
		// A crash loop whose last start failed on the node (runc's cgroup
		// errors under load) has no exit code of the app's to name; the
		// report says so, and the next crash brings the app's own back.
		if e.Family == want && (want != podstate.FamilyCrashLoop || e.LastExitCode != nil) {
			break
		}
		time.Sleep(3 * time.Second)
	}
	assert.Equal(t, want, e.Family, "explain and the lab's own reader agree on the family: %+v", e)
	if want == podstate.FamilyHealthy {
		// An incident that shows only when a pod stops (a shell as PID 1)
		// runs healthy: explain must say so, not invent a cause.
		assert.True(t, e.Healthy, "%+v", e)
		return
	}
	assert.False(t, e.Healthy, "a broken pod is not called healthy: %+v", e)
	assert.NotEmpty(t, e.Cause)
	assert.NotEmpty(t, e.Evidence, "the cause comes with what was read")
	assert.NotEmpty(t, e.Next, "and the next command")
	if e.Family == podstate.FamilyCrashLoop {
		assert.NotNil(t, e.LastExitCode, "a crash loop's explanation names the exit code: %+v", e)
		assert.NotContains(t, e.Cause, "back-off", "the cause, not the back-off message: %q", e.Cause)
	}
}

// explainHealthy checks `explain POD` on a Ready pod of a fixed scenario.
func explainHealthy(t *testing.T, kubeconfig, learner string, c kubernetes.Interface, ns string, target podstate.Target) {
	t.Helper()
	f, err := podstate.NewObserver(c).Observe(t.Context(), target)
	require.NoError(t, err)
	for _, p := range f.Pods {
		if p.Ready {
			e := explainPod(t, kubeconfig, learner, ns, p.Name)
			assert.True(t, e.Healthy, "a Ready pod is called healthy: %+v", e)
			assert.Equal(t, podstate.FamilyHealthy, e.Family)
			return
		}
	}
}
