package auditseccomp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("audit-api-never-ready") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func podProfile(t corev1.SeccompProfileType) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.SecurityContext = &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: t}}
	}
}

func containerProfile(t corev1.SeccompProfileType) func(*corev1.Container) {
	return func(c *corev1.Container) {
		c.SecurityContext = &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: t}}
	}
}

// The container's own profile wins over the pod's, as the kubelet resolves it.
func TestEffectiveProfile(t *testing.T) {
	yes := true
	tests := []struct {
		name      string
		dep       func(*appsv1.Deployment)
		container func(*corev1.Container)
		wantFirst string
	}{
		{name: "the broken Localhost profile", wantFirst: "seccomp-profile"},
		{name: "pod RuntimeDefault", dep: podProfile(corev1.SeccompProfileTypeRuntimeDefault)},
		{name: "container RuntimeDefault over the pod's Localhost", container: containerProfile(corev1.SeccompProfileTypeRuntimeDefault)},
		{name: "container Unconfined over the pod's RuntimeDefault", dep: podProfile(corev1.SeccompProfileTypeRuntimeDefault),
			container: containerProfile(corev1.SeccompProfileTypeUnconfined), wantFirst: "seccomp-profile"},
		{name: "RuntimeDefault but privileged", dep: podProfile(corev1.SeccompProfileTypeRuntimeDefault),
			container: func(c *corev1.Container) { c.SecurityContext = &corev1.SecurityContext{Privileged: &yes} }, wantFirst: "seccomp-profile"},
		{name: "no security context at all", dep: func(d *appsv1.Deployment) { d.Spec.Template.Spec.SecurityContext = nil }, wantFirst: "seccomp-profile"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Deployment: tt.dep, Container: tt.container})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			if tt.wantFirst == "" {
				assert.Equal(t, "runtime-default", j.Approach)
			}
		})
	}
}
