package paymentsselector_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("payments-api-stuck-pending") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func selector(sel map[string]string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.NodeSelector = sel }
}

// The fixes in fixes/ are replayed by scenarios/fixes; these cases probe the
// edges of the selector check, with the node as a learner may have left it.
func TestSelectorEdges(t *testing.T) {
	node := func(labels map[string]string) runtime.Object {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}}
	}
	plain := map[string]string{"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "n"}
	labelled := map[string]string{"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "disktype": "ssd", "tier": "fast"}
	tests := []struct {
		name         string
		edit         func(*appsv1.Deployment)
		node         map[string]string
		wantFirst    string
		wantApproach string
	}{
		{name: "the copied selector is refused", node: plain, wantFirst: "node-selector"},
		{name: "the node labelled to match: still refused", node: labelled, wantFirst: "node-selector"},
		{name: "a new custom label put on the node is refused", edit: selector(map[string]string{"tier": "fast"}), node: labelled, wantFirst: "node-selector"},
		{name: "the node's hostname is a pin", edit: selector(map[string]string{"kubernetes.io/hostname": "n"}), node: plain, wantFirst: "node-selector"},
		{name: "an OS selector the node has", edit: selector(map[string]string{"kubernetes.io/os": "linux"}), node: plain, wantApproach: "selector-corrected"},
		{name: "an architecture no node has", edit: selector(map[string]string{"kubernetes.io/arch": "arm64"}), node: plain, wantFirst: "node-selector"},
		{name: "removed", edit: selector(nil), node: plain, wantApproach: "selector-removed"},
		{name: "a preference for SSD nodes restricts nothing", edit: func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.NodeSelector = nil
			d.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
				Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disktype", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}}}}}}
		}, node: plain, wantApproach: "selector-removed"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Deployment: tt.edit, Objects: []runtime.Object{node(tt.node)}})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			assert.Equal(t, tt.wantApproach, j.Approach)
		})
	}
}
