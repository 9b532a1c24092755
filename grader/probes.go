package grader

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ProbeKinds are the probes of a container: liveness, readiness, startup.
var ProbeKinds = []string{"liveness", "readiness", "startup"}

// ResolvePort turns a probe port (a number or a container port's name) into a
// number; 0 when a name does not resolve.
func ResolvePort(p intstr.IntOrString, c *corev1.Container) int {
	if p.Type == intstr.Int {
		return p.IntValue()
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort)
		}
	}
	return 0
}

// SameProbe tells whether two probes (either may be nil) are the same probe
// as the kubelet runs it: unset fields read as the API server's defaults.
func SameProbe(a, b *corev1.Probe) bool {
	return equality.Semantic.DeepEqual(defaultedProbe(a), defaultedProbe(b))
}
