package mailerneverpull_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("mailer-down-after-cluster-move") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func image(ref string, policy corev1.PullPolicy) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Image, c.ImagePullPolicy = ref, policy }
}

// The pull policy decides the approach; Always would pull on every start,
// and this cluster has no registry.
func TestImageEdges(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*corev1.Container)
		wantFirst    string
		wantApproach string
	}{
		{name: "the broken image", wantFirst: "image-on-node"},
		{name: "the broken image, pulled if absent", edit: image("crashlab.local/workload:latest", corev1.PullIfNotPresent), wantFirst: "image-on-node"},
		{name: "released image, Never", edit: image(values.Image, corev1.PullNever), wantApproach: "image-on-node"},
		{name: "released image, IfNotPresent", edit: image(values.Image, corev1.PullIfNotPresent), wantApproach: "if-not-present"},
		{name: "released image, Always", edit: image(values.Image, corev1.PullAlways), wantFirst: "image-on-node"},
		{name: "the short name of the released image", edit: image("workload:abc-amd64", corev1.PullNever), wantFirst: "image-on-node"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Container: tt.edit})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			assert.Equal(t, tt.wantApproach, j.Approach)
		})
	}
}
