package indexerpending_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("indexer-stuck-pending") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func request(q string) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(q) }
}

// The fixes in fixes/ are replayed by scenarios/fixes; these cases probe the
// edges of the request check.
func TestRequestEdges(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}}}
	tests := []struct {
		name      string
		edit      func(*corev1.Container)
		editDep   func(*appsv1.Deployment)
		wantFirst string
	}{
		{name: "the broken request is refused", wantFirst: "memory-request"},
		{name: "lowest accepted request", edit: request("80Mi")},
		{name: "highest accepted request", edit: request("256Mi")},
		{name: "just below the need plus headroom", edit: request("79Mi"), wantFirst: "memory-request"},
		{name: "just above four times the need", edit: request("257Mi"), wantFirst: "memory-request"},
		{name: "a request that fits the need but not the node", edit: request("9Gi"), wantFirst: "memory-request"},
		{name: "only a limit: the API server makes it the request", edit: func(c *corev1.Container) {
			delete(c.Resources.Requests, corev1.ResourceMemory)
			c.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}
		}},
		{name: "pinned by nodeName is refused first", edit: request("128Mi"), editDep: func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.NodeName = "n"
		}, wantFirst: "scheduler-decides"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Container: tt.edit, Deployment: tt.editDep, Objects: []runtime.Object{node}})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			if tt.wantFirst == "" {
				assert.Equal(t, "request-sized", j.Approach)
			}
		})
	}
}
