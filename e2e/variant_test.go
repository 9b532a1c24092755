//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// blindVariants plays two blind variants of one incident (`start --variant
// SEED`) end to end: their names and values differ from each other and from
// the base incident, each is diagnosed with diagnosis.yaml's answers and the
// facts its live pods show, and each is fixed with an accepted fix of
// fixes/ replayed under the variant (fixes.Vary). status, diagnose, hint,
// check and explain are given only the id: they find the variant in the
// attempt record.
func blindVariants(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec) {
	seeds := []uint64{1, 2}
	variants := make([]scenarios.Scenario, len(seeds))
	for i, seed := range seeds {
		v, err := spec.s.Variant(seed)
		require.NoError(t, err)
		variants[i] = v
	}
	assert.NotEqual(t, variants[0].Workload.Name, variants[1].Workload.Name, "two seeds, two workloads")
	assert.NotEqual(t, variants[0].Draw().Values, variants[1].Draw().Values, "two seeds, two sets of names and values")
	fx := spec.folder.Passing()[0]
	for i, seed := range seeds {
		v := variants[i]
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			t.Parallel()
			playVariant(t, kubeconfig, c, vals, spec, v, fixes.Vary(fx, v.Draw()))
		})
	}
}

func playVariant(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec, v scenarios.Scenario, fx fixes.Fix) {
	ctx := context.Background()
	base := spec.s
	learner := "blind" + strconv.FormatUint(v.Seed(), 10)
	ns := namespaceOf(t, learner, v.ID)
	t.Cleanup(func() { _ = cluster.DeleteNamespace(context.Background(), c, ns, 0) })

	r := crashlab(t, kubeconfig, "--learner", learner, "start", v.ID, "--variant", strconv.FormatUint(v.Seed(), 10), "--wait")
	require.Equal(t, 0, r.code, "start --variant --wait must see the failure signature %v: %s", v.Signature, r.err)
	assert.Contains(t, r.out, v.Workload.Name, "the briefing names the variant's workload")
	_, err := c.AppsV1().Deployments(ns).Get(ctx, v.Workload.Name, metav1.GetOptions{})
	require.NoError(t, err, "the variant's workload is deployed")
	_, err = c.AppsV1().Deployments(ns).Get(ctx, base.Workload.Name, metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "the base incident's workload is not: %v", err)

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "status", v.ID)
	require.Equal(t, 0, r.code, "status reads the variant's pods: %s", r.err)

	// Diagnosed as the base incident is: the facts from the live pods,
	// the choices from diagnosis.yaml, retried while a pod restarts.
	var verdict grader.Verdict
	for attempt := 0; attempt < 3; attempt++ {
		right, _ := answersFromPods(t, c, ns, v.Workload.Container, v.Questions, spec)
		r = crashlab(t, kubeconfig, diagnoseArgs(learner, v.ID, right)...)
		if verdict = verdictOf(t, r); verdict.Passed {
			break
		}
		time.Sleep(5 * time.Second)
	}
	assert.True(t, verdict.Passed, "the variant's diagnosis must pass: %+v", verdict.Checks)

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "hint", v.ID, "--all")
	require.Equal(t, 0, r.code)
	hints := strings.Join(decodeJSON[[]string](t, r.out), "\n")
	assert.NotContains(t, hints, base.Workload.Name+" ", "the hints name the variant's objects, not the base incident's")
	assert.Contains(t, hints, v.Workload.Name)

	require.NoError(t, fixes.Apply(ctx, c, ns, vals, fx), "apply %s under seed %d", fx.File, v.Seed())
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "check", v.ID, "--timeout", "3m")
	verdict = verdictOf(t, r)
	assert.True(t, verdict.Passed, "accepted fix %s must pass on the variant: %+v", fx.Name, verdict.Checks)
	assert.Equal(t, fx.Approach, verdict.Approach)

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "explain", v.ID)
	require.Equal(t, 0, r.code, "explain once solved")
	e := decodeJSON[struct {
		Cause       string `json:"cause"`
		Explanation string `json:"explanation"`
	}](t, r.out)
	assert.Equal(t, v.Cause, e.Cause, "the variant's cause")
	assert.Equal(t, v.Explanation, e.Explanation, "the variant's explanation")
}

func decodeJSON[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), "%s", out)
	return v
}
