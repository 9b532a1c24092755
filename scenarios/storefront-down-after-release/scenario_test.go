package storefronttag_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("storefront-down-after-release") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func image(ref string, policy corev1.PullPolicy) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Image, c.ImagePullPolicy = ref, policy }
}

func TestImageEdges(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*corev1.Container)
		wantFirst string
	}{
		{name: "the broken image", wantFirst: "image-released"},
		{name: "the broken image, never pulled", edit: image("localhost:5001/storefront:2.4.0", corev1.PullNever), wantFirst: "image-released"},
		{name: "released image", edit: image(values.Image, corev1.PullIfNotPresent)},
		{name: "released image, never pulled", edit: image(values.Image, corev1.PullNever)},
		{name: "released image, always pulled", edit: image(values.Image, corev1.PullAlways), wantFirst: "image-released"},
		{name: "the foreign build", edit: image(values.ForeignImage, corev1.PullIfNotPresent), wantFirst: "image-released"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Container: tt.edit})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			if tt.wantFirst == "" {
				assert.Equal(t, "released-image", j.Approach)
			}
		})
	}
}
