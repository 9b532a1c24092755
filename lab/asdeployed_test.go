package lab_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
)

// A diagnosis is of the incident as deployed: once the learner changed the
// workload or what it reads, even the right answers are refused, nothing is
// recorded, and the error says what changed.
func TestDiagnoseRefusesAChangedIncident(t *testing.T) {
	right := map[string]string{"last-reason": "Error", "exit-code": "1", "cause": "missing-variable"}
	tests := []struct {
		name   string
		change func(t *testing.T, f *fixture, ns string)
		want   string
	}{
		{"the Secret's data", func(t *testing.T, f *fixture, ns string) {
			s, err := f.cs.CoreV1().Secrets(ns).Get(context.Background(), "orders-db", metav1.GetOptions{})
			require.NoError(t, err)
			s.Data = map[string][]byte{"database-url": []byte("postgres://elsewhere")}
			s.StringData = nil
			_, err = f.cs.CoreV1().Secrets(ns).Update(context.Background(), s, metav1.UpdateOptions{})
			require.NoError(t, err)
		}, "Secret orders-db's data was changed"},
		{"the Deployment's spec", func(t *testing.T, f *fixture, ns string) {
			d, err := f.cs.AppsV1().Deployments(ns).Get(context.Background(), "orders-api", metav1.GetOptions{})
			require.NoError(t, err)
			d.Spec.Template.Annotations = map[string]string{"restartedAt": "now"} // what rollout restart does
			_, err = f.cs.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
			require.NoError(t, err)
		}, "Deployment orders-api's spec was changed (generation 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			svc, started := startCrashLooping(t, f)
			tt.change(t, f, started.Namespace)
			_, err := svc.Diagnose(context.Background(), scenarioID, right)
			require.ErrorIs(t, err, lab.ErrChangedSinceStart)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, f.entry("ann", scenarioID).Diagnosed.IsZero(), "nothing recorded")
		})
	}
	t.Run("unchanged", func(t *testing.T) {
		f := newFixture(t)
		svc, _ := startCrashLooping(t, f)
		v, err := svc.Diagnose(context.Background(), scenarioID, right)
		require.NoError(t, err)
		assert.True(t, v.Passed, "%+v", v.Checks)
	})
}

// explain POD names the cause, so on a pod of an incident the learner has
// not solved or given up it refuses; after a give-up, and on any pod that is
// not the lab's, it explains.
func TestExplainPodIsGatedOnLabIncidents(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	ns := started.Namespace
	ctx := context.Background()
	pods, err := f.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items)
	pod := pods.Items[0].Name

	_, err = svc.ExplainPod(ctx, ns, pod)
	require.ErrorIs(t, err, lab.ErrIncidentUnsolved)
	var unsolved *lab.UnsolvedError
	require.ErrorAs(t, err, &unsolved)
	assert.Equal(t, scenarioID, unsolved.ID)

	other := f.service("bob")
	_, err = other.ExplainPod(ctx, ns, pod)
	require.ErrorIs(t, err, lab.ErrIncidentUnsolved, "another learner has not solved it either")

	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	// The fake clientset cannot proxy to a kubelet's /configz: no node.
	p := pods.Items[0]
	p.Spec.NodeName = ""
	_, err = f.cs.CoreV1().Pods(ns).Update(ctx, &p, metav1.UpdateOptions{})
	require.NoError(t, err)
	e, err := svc.ExplainPod(ctx, ns, pod)
	require.NoError(t, err, "given up: the cause is no secret any more")
	assert.NotEmpty(t, e.Family)
}

// Starting again after a give-up is a new attempt from the broken incident:
// the namespace is deployed afresh (not the one the given-up attempt left),
// and the attempt's hints and answers start from nothing.
func TestStartAfterAGiveUpBeginsAFreshAttempt(t *testing.T) {
	f := newFixture(t)
	svc, started := startCrashLooping(t, f)
	ctx := context.Background()
	_, err := svc.Hint(scenarioID)
	require.NoError(t, err)
	_, err = svc.GiveUp(scenarioID)
	require.NoError(t, err)
	before, err := f.cs.CoreV1().Namespaces().Get(ctx, started.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	gaveUp := f.entry("ann", scenarioID)

	again, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err, "not 'already started': the last attempt is over")
	after, err := f.cs.CoreV1().Namespaces().Get(ctx, again.Namespace, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, before.UID, after.UID, "deployed afresh")
	e := f.entry("ann", scenarioID)
	assert.True(t, e.Started.After(gaveUp.Started), "a new attempt")
	assert.Zero(t, e.Hints)
	assert.True(t, e.StartedAfterGiveUp())
	assert.Equal(t, gaveUp.GivenUp, e.GivenUp, "the give-up stays on the record")

	_, err = svc.Start(ctx, scenarioID)
	require.ErrorIs(t, err, scenarios.ErrAlreadyStarted, "an open attempt is carried on")
}
