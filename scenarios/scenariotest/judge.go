// Package scenariotest runs a scenario's static fix checks on an edited copy
// of its baseline, for the scenarios' own unit tests.
package scenariotest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// Edit is what a learner changed: the target container, the Deployment, and
// objects that exist next to it (a node, say).
type Edit struct {
	Container  func(*corev1.Container)
	Deployment func(*appsv1.Deployment)
	Objects    []runtime.Object
}

// Judged is every check's result by name, in the grader's order of checks:
// the first that failed and the approach an accepted fix was given.
type Judged struct {
	Results  map[string]grader.Result
	First    string
	Approach string
	// Messages are "name: message" in check order.
	Messages []string
}

// Judge deploys baseline b's Deployment, edited, into namespace ns of a fake
// cluster (recorded with the UID the lab created it with) and runs checks in
// order, as check's static phase does.
func Judge(t testing.TB, s scenarios.Scenario, b scenarios.Baseline, ns string, checks []grader.Check, e Edit) Judged {
	t.Helper()
	d := b.Deployment(s.Workload.Name).DeepCopy()
	require.NotNil(t, d, "the baseline has Deployment %s", s.Workload.Name)
	d.Namespace, d.UID = ns, types.UID("dep-uid")
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == s.Workload.Container && e.Container != nil {
			e.Container(c)
		}
	}
	if e.Deployment != nil {
		e.Deployment(d)
	}
	objs := append([]runtime.Object{d}, e.Objects...)
	st, err := podstate.LoadState(context.Background(), fake.NewClientset(objs...), s.Target(ns),
		map[string]string{podstate.ObjectKeyDeployment(s.Workload.Name): "dep-uid"})
	require.NoError(t, err)
	j := Judged{Results: map[string]grader.Result{}}
	for _, ch := range checks {
		r := ch.Run(st)
		j.Results[ch.Name] = r
		j.Messages = append(j.Messages, ch.Name+": "+r.Message)
		if !r.Passed && j.First == "" {
			j.First = ch.Name
		}
		if r.Approach != "" {
			j.Approach = r.Approach
		}
	}
	return j
}
