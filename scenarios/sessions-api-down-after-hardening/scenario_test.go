package rorootfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-sessions-api-down-after-hardening"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("sessions-api-down-after-hardening") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:abc-arm64-as-amd64", NodeArch: "amd64"}

func ptr[T any](v T) *T { return &v }

// mount adds volume v at mountPath, as a learner's patch would.
func mount(v corev1.VolumeSource, m corev1.VolumeMount) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		spec := &d.Spec.Template.Spec
		m.Name = "scratch"
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "scratch", VolumeSource: v})
		spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, m)
	}
}

func both(fns ...func(*appsv1.Deployment)) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		for _, fn := range fns {
			fn(d)
		}
	}
}

var emptyDir = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}

// The fixes a learner would make, accepted or refused, are data in fixes/;
// the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*appsv1.Deployment)
		wantFail    string
		wantMessage string
	}{
		{name: "broken baseline is refused", wantFail: "writable-tmp", wantMessage: "nothing writable"},
		{name: "emptyDir at /tmp", edit: mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"})},
		{name: "emptyDir at /tmp/ with a trailing slash", edit: mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp/"})},
		{name: "emptyDir mounted read-only is refused", edit: mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp", ReadOnly: true}), wantFail: "writable-tmp", wantMessage: "read-only"},
		{name: "emptyDir through a subPath is refused", edit: mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp", SubPath: "x"}), wantFail: "writable-tmp", wantMessage: "subPath"},
		{name: "a claim is refused", edit: mount(corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}, corev1.VolumeMount{MountPath: "/tmp"}), wantFail: "writable-tmp", wantMessage: "emptyDir"},
		{name: "runAsNonRoot switched off in the container is refused", edit: both(mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"}), func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot = ptr(false)
		}), wantFail: "hardening-kept", wantMessage: "runAsNonRoot"},
		{name: "root in the container is refused", edit: both(mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"}), func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsUser = ptr(int64(0))
		}), wantFail: "hardening-kept", wantMessage: "root"},
		{name: "a capability added is refused", edit: both(mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"}), func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"DAC_OVERRIDE"}
		}), wantFail: "hardening-kept", wantMessage: "DAC_OVERRIDE"},
		{name: "the container's securityContext removed is refused", edit: both(mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"}), func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].SecurityContext = nil
		}), wantFail: "hardening-kept", wantMessage: "readOnlyRootFilesystem"},
		{name: "host network is refused", edit: both(mount(emptyDir, corev1.VolumeMount{MountPath: "/tmp"}), func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.HostNetwork = true
		}), wantFail: "hardening-kept", wantMessage: "network"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, testNS, s.FixChecks(b), scenariotest.Edit{Deployment: tt.edit})
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			if tt.wantFail == "" {
				assert.Equal(t, "scratch-volume", j.Approach)
			} else {
				assert.Contains(t, j.Results[j.First].Message, tt.wantMessage)
			}
		})
	}
}
