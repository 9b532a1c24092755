//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

var patchOpts = metav1.PatchOptions{}

// changeWorkload changes the incident's workload as a learner who fixes
// before answering would (a template edit, what `kubectl rollout restart`
// does; a Job's template cannot change, so its parallelism), and says
// whether it did: a bare pod's spec can hardly be changed at all.
func changeWorkload(t *testing.T, c kubernetes.Interface, ns string, s scenarios.Scenario) bool {
	t.Helper()
	ctx := context.Background()
	const tmpl = `{"spec":{"template":{"metadata":{"annotations":{"e2e.crashlab.dev/changed":"yes"}}}}}`
	var err error
	switch s.Workload.Kind {
	case podstate.KindDeployment:
		_, err = c.AppsV1().Deployments(ns).Patch(ctx, s.Workload.Name, types.MergePatchType, []byte(tmpl), patchOpts)
	case podstate.KindStatefulSet:
		_, err = c.AppsV1().StatefulSets(ns).Patch(ctx, s.Workload.Name, types.MergePatchType, []byte(tmpl), patchOpts)
	case podstate.KindJob:
		_, err = c.BatchV1().Jobs(ns).Patch(ctx, s.Workload.Name, types.MergePatchType, []byte(`{"spec":{"parallelism":2}}`), patchOpts)
	case podstate.KindCronJob:
		_, err = c.BatchV1().CronJobs(ns).Patch(ctx, s.Workload.Name, types.MergePatchType, []byte(`{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"e2e.crashlab.dev/changed":"yes"}}}}}}}`), patchOpts)
	default:
		return false
	}
	require.NoError(t, err, "change %s %s", s.Workload.Kind, s.Workload.Name)
	return true
}
