package privport

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-web-frontend-down-after-hardening"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("web-frontend-down-after-hardening") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:abc-arm64-as-amd64", NodeArch: "amd64"}

func ptr[T any](v T) *T { return &v }

// serve8080 is the intended fix; extra edits go on top of it.
func serve8080(extra ...func(*corev1.Container, *corev1.PodSpec)) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		spec := &d.Spec.Template.Spec
		c := &spec.Containers[0]
		c.Args = []string{"--listen=:8080"}
		c.Ports[0].ContainerPort = 8080
		for _, fn := range extra {
			fn(c, spec)
		}
	}
}

// The fixes a learner would make, accepted or refused, are data in fixes/;
// the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*appsv1.Deployment)
		wantFail    string
		wantMessage string
	}{
		{name: "broken baseline is refused", wantFail: "listen-port", wantMessage: "still listens on port 80"},
		{name: "8080 with the named port", edit: serve8080()},
		{name: "8080 with a numeric probe port", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.ReadinessProbe.HTTPGet.Port = intstr.FromInt32(8080)
		})},
		{name: "a probe on the old number is refused", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.ReadinessProbe.HTTPGet.Port = intstr.FromInt32(80)
		}), wantFail: "listen-port", wantMessage: "probe asks port 80"},
		{name: "the port renamed is refused", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.Ports[0].Name = "web"
		}), wantFail: "listen-port", wantMessage: "no port named http"},
		{name: "another flag added is refused", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.Args = append(c.Args, "--log=hi")
		}), wantFail: "listen-port", wantMessage: "change only the port"},
		{name: "a host address with the port is accepted", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.Args = []string{"--listen=0.0.0.0:8080"}
		})},
		{name: "port 1023 is refused", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.Args, c.Ports[0].ContainerPort = []string{"--listen=:1023"}, 1023
		}), wantFail: "listen-port", wantMessage: "below 1024"},
		{name: "root in the container is refused", edit: serve8080(func(c *corev1.Container, _ *corev1.PodSpec) {
			c.SecurityContext.RunAsUser = ptr(int64(0))
		}), wantFail: "hardening-kept", wantMessage: "root"},
		{name: "a second sysctl is fine, the baseline's kept", edit: serve8080(func(_ *corev1.Container, spec *corev1.PodSpec) {
			spec.SecurityContext.Sysctls = append(spec.SecurityContext.Sysctls, corev1.Sysctl{Name: "net.ipv4.tcp_syncookies", Value: "1"})
		})},
		{name: "the sysctl removed is refused even with 8080", edit: serve8080(func(_ *corev1.Container, spec *corev1.PodSpec) {
			spec.SecurityContext.Sysctls = nil
		}), wantFail: "hardening-kept", wantMessage: "ip_unprivileged_port_start=1024 is gone"},
		{name: "the pod securityContext removed is refused", edit: serve8080(func(_ *corev1.Container, spec *corev1.PodSpec) {
			spec.SecurityContext = nil
		}), wantFail: "hardening-kept", wantMessage: "runAsNonRoot"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, testNS, s.FixChecks(b), scenariotest.Edit{Deployment: tt.edit})
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			if tt.wantFail == "" {
				assert.Equal(t, "unprivileged-port", j.Approach)
			} else {
				assert.Contains(t, j.Results[j.First].Message, tt.wantMessage)
			}
		})
	}
}
