//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
	"github.com/crashlab/crashlab/workshop"
)

// TestWorkshopOnExistingCluster runs a graded room of two learners on a
// cluster that is not the lab's kind cluster (`make workshop-k8s-local`:
// ../shared/k8s-local, containerd 1.6, the lab's images imported): the
// trainer creates it with --context, the controller runs there from
// crashlab's own image, and each learner starts, fixes and passes a check
// through the controller with their own kubeconfig.
func TestWorkshopOnExistingCluster(t *testing.T) {
	kubeconfig, ctxName := os.Getenv("CRASHLAB_EXISTING_KUBECONFIG"), os.Getenv("CRASHLAB_EXISTING_CONTEXT")
	if kubeconfig == "" || ctxName == "" {
		t.Skip("CRASHLAB_EXISTING_KUBECONFIG and CRASHLAB_EXISTING_CONTEXT name the cluster (make workshop-k8s-local)")
	}
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	ctx := context.Background()
	const name = "existing"
	id := "orders-api-down-after-config"
	sc, err := catalog.Get(id)
	require.NoError(t, err)
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	folder, err := fixes.LoadScenario(root, sc)
	require.NoError(t, err)
	bin := "linux/" + runtime.GOARCH + "=" + filepath.Join(root, "bin", "crashlab")
	r := crashlab(t, kubeconfig, "--context", ctxName, "workshop", "create", "--name", name, "--learners", "2", "--incidents", id, "--crashlab-binary", bin)
	require.Equal(t, 0, r.code, r.err)
	t.Cleanup(func() { crashlab(t, kubeconfig, "--context", ctxName, "workshop", "delete", "--name", name) })
	dir := t.TempDir()
	r = crashlab(t, kubeconfig, "--context", ctxName, "workshop", "kubeconfigs", dir, "--name", name)
	require.Equal(t, 0, r.code, r.err)
	admin := attemptsClient(t, kubeconfig, ctxName)
	ws := workshop.Namespace(name)
	for _, learner := range []string{"learner-01", "learner-02"} {
		t.Run(learner, func(t *testing.T) {
			kc := filepath.Join(dir, learner+".kubeconfig")
			raw, err := clientcmd.LoadFromFile(kc)
			require.NoError(t, err)
			lc := newClient(t, kc, raw.CurrentContext)
			r := crashlab(t, kc, "start", id)
			require.Equal(t, 0, r.code, r.err)
			ns := namespaceOf(t, learner, id)
			require.NoError(t, fixes.Apply(ctx, lc, ns, scenarios.Values{}, folder.Passing()[0]))
			r = crashlab(t, kc, "-o", "json", "check", id, "--timeout", "4m")
			v := verdictOf(t, r)
			assert.True(t, v.Passed, "%s's fix through the controller: %+v", learner, v.Checks)
			a := attemptOf(t, admin, ws, attempts.Name(learner, id))
			assert.Equal(t, v1alpha1.CheckPassed, a.Status.Check.Result)
			assert.Equal(t, v1alpha1.PhaseFixed, a.Status.Phase)
			t.Logf("%s: %s, check by %s, pods %q", learner, a.Status.Phase, a.Status.Check.Holder, a.Status.Pods)
		})
	}
}
