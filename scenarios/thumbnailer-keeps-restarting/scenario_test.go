// The thumbnailer incident is data only (scenario.yaml, manifests.yaml,
// fixes/); these tests probe the edges of its rules.
package oomkilled_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-thumbnailer-keeps-restarting"

// Scenario is the incident as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet("thumbnailer-keeps-restarting") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:abc-arm64-as-amd64", NodeArch: "amd64"}

// nodeAllocatable is the test node's memory: below 64Gi, so that limit is
// refused for the node, and above 1Gi, so that one is refused for being more
// than four times the need.
const nodeAllocatable = "8Gi"

func setLimit(q string) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse(q) }
}

func setRequest(q string) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(q) }
}

func both(fns ...func(*corev1.Container)) func(*corev1.Container) {
	return func(c *corev1.Container) {
		for _, fn := range fns {
			fn(c)
		}
	}
}

// judge deploys the baseline with edit applied to the app container (and
// editDep to the Deployment) into a fake cluster and runs every fix check in
// the order the grader does; it returns the results by check name and the
// name of the first one that failed.
func judge(t *testing.T, edit func(*corev1.Container), editDep func(*appsv1.Deployment)) (map[string]grader.Result, string, string) {
	t.Helper()
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}, Status: corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(nodeAllocatable)}}}
	j := scenariotest.Judge(t, s, b, testNS, s.FixChecks(b), scenariotest.Edit{Container: edit, Deployment: editDep, Objects: []runtime.Object{node}})
	return j.Results, j.First, j.Approach
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*corev1.Container)
		editDep      func(*appsv1.Deployment)
		wantFail     string // first check that must refuse; empty: accepted
		wantApproach string
		wantMessage  string // part of the refusing check's message
	}{
		{name: "lowest limit with headroom is accepted", edit: setLimit("120Mi"), wantApproach: "limit-raised"},
		{name: "four times the need is still accepted", edit: setLimit("384Mi"), wantApproach: "limit-raised"},
		{name: "request raised with the limit is accepted", edit: both(setLimit("192Mi"), setRequest("192Mi")), wantApproach: "limit-raised"},
		{name: "limit in decimal units is accepted", edit: setLimit("150M"), wantApproach: "limit-raised"},
		{name: "broken baseline is refused", wantFail: "memory-limit", wantMessage: "too little room"},
		{name: "limit without headroom is refused", edit: setLimit("100Mi"), wantFail: "memory-limit", wantMessage: "at least 120Mi"},
		{name: "limit removed is refused", edit: func(c *corev1.Container) { delete(c.Resources.Limits, corev1.ResourceMemory) }, wantFail: "memory-limit", wantMessage: "no memory limit"},
		{name: "limit removed and request raised is refused", edit: func(c *corev1.Container) {
			delete(c.Resources.Limits, corev1.ResourceMemory)
			c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("160Mi")
		}, wantFail: "memory-limit", wantMessage: "no memory limit"},
		{name: "limit above what the node can give is refused", edit: setLimit("64Gi"), wantFail: "memory-limit", wantMessage: "more than the node can give"},
		{name: "limit far above the need is refused", edit: setLimit("1Gi"), wantFail: "memory-limit", wantMessage: "more than 4 times"},
		{name: "working set switched off is refused", edit: func(c *corev1.Container) { c.Args = []string{"--listen=:8080"} }, wantFail: "app-unchanged"},
		{name: "reduced working set with a raised limit is still refused", edit: both(setLimit("160Mi"), func(c *corev1.Container) {
			c.Args = []string{"--alloc-mb=8", "--listen=:8080"}
		}), wantFail: "app-unchanged"},
		{name: "image changed is refused", edit: both(setLimit("160Mi"), func(c *corev1.Container) { c.Image = values.ForeignImage }), wantFail: "app-unchanged"},
		{name: "scaled to zero is refused", edit: setLimit("160Mi"), editDep: func(d *appsv1.Deployment) {
			zero := int32(0)
			d.Spec.Replicas = &zero
		}, wantFail: "workload-kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, first, approach := judge(t, tt.edit, tt.editDep)
			if tt.wantFail == "" {
				assert.Empty(t, first, "an accepted fix must pass every check: %+v", results)
				assert.Equal(t, tt.wantApproach, approach)
				return
			}
			assert.Equal(t, tt.wantFail, first, "the first check to refuse it: %+v", results)
			assert.Contains(t, results[tt.wantFail].Message, tt.wantMessage)
		})
	}
}

// The need the checks use must be the one the released manifest really runs
// with, so that changing the manifest moves the accepted range with it.
func TestNeedComesFromTheBaseline(t *testing.T) {
	b, err := Scenario().Render(values)
	require.NoError(t, err)
	need, err := grader.ArgMiB(b.TargetContainer().Args, "--alloc-mb")
	require.NoError(t, err)
	assert.Equal(t, int64(96), need)
	limit := b.Container(Scenario().Workload.Name, Scenario().Workload.Container).Resources.Limits[corev1.ResourceMemory]
	assert.Negative(t, limit.Cmp(*resource.NewQuantity(need<<20, resource.BinarySI)), "the broken limit must be below the need")
}
