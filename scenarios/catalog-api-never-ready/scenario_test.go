package exitzerohelper_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const ns = "crashlab-test-catalog-api-never-ready"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("catalog-api-never-ready") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:abc-arm64-as-amd64", NodeArch: "amd64"}

// moveToInit moves the helper from containers to initContainers, then edits it.
func moveToInit(edit func(*corev1.Container)) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		spec := &d.Spec.Template.Spec
		helper := spec.Containers[1]
		spec.Containers = spec.Containers[:1]
		if edit != nil {
			edit(&helper)
		}
		spec.InitContainers = append(spec.InitContainers, helper)
	}
}

// The fixes a learner would make are data in fixes/; these cases probe the
// edges of the scenario's own check.
func TestFixChecks(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name         string
		edit         func(*appsv1.Deployment)
		wantFail     string
		wantApproach string
		wantMessage  string
	}{
		{name: "broken baseline is refused", edit: func(*appsv1.Deployment) {}, wantFail: "warm-up-runs-once", wantMessage: "restarts it after every successful run"},
		{name: "moved unchanged", edit: moveToInit(nil), wantApproach: "moved-to-init"},
		{name: "moved without its volume mount", edit: moveToInit(func(c *corev1.Container) { c.VolumeMounts = nil }), wantFail: "warm-up-runs-once", wantMessage: "cache volume"},
		{name: "moved as a native sidecar", edit: moveToInit(func(c *corev1.Container) { c.RestartPolicy = &always }), wantFail: "warm-up-runs-once", wantMessage: "native sidecar"},
		{name: "moved with a sleep command", edit: moveToInit(func(c *corev1.Container) { c.Command = []string{"/bin/sh", "-c", "sleep infinity"} }), wantFail: "warm-up-runs-once", wantMessage: "image, command or arguments"},
		{name: "copied to init but left in containers", edit: func(d *appsv1.Deployment) {
			spec := &d.Spec.Template.Spec
			spec.InitContainers = append(spec.InitContainers, spec.Containers[1])
		}, wantFail: "warm-up-runs-once", wantMessage: "still runs next to the app"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, ns, s.FixChecks(b), scenariotest.Edit{Deployment: tt.edit})
			if tt.wantFail == "" {
				assert.Empty(t, j.First, "an accepted fix passes every check: %v", j.Messages)
				assert.Equal(t, tt.wantApproach, j.Approach)
				return
			}
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			assert.Contains(t, j.Results[tt.wantFail].Message, tt.wantMessage)
		})
	}
}
