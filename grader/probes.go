package grader

import (
	"fmt"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ProbeOf returns a container's probe by kind: liveness, readiness or startup.
func ProbeOf(c *corev1.Container, kind string) *corev1.Probe {
	switch kind {
	case "liveness":
		return c.LivenessProbe
	case "readiness":
		return c.ReadinessProbe
	case "startup":
		return c.StartupProbe
	}
	return nil
}

// ProbeKinds are the kinds ProbeOf knows.
var ProbeKinds = []string{"liveness", "readiness", "startup"}

// ProbeKept is the rule that the target container still has a probe of that
// kind: removing the probe that kills a slow app also removes the restart of a
// hung one.
func ProbeKept(name, kind, failMsg, passMsg string) Check {
	return Check{Name: name, Run: func(s *podstate.State) Result {
		c := s.Container()
		if c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if ProbeOf(c, kind) == nil {
			return Fail("%s", failMsg)
		}
		return Pass("%s", passMsg)
	}}
}

// ProbeOnHealth is the rule that every probe of the listed kinds the container
// has asks the app's health endpoint: the baseline's own HTTP GET of its
// liveness probe. A TCP or exec probe says nothing about whether the app
// works.
func ProbeOnHealth(name string, base *corev1.Container, kinds []string) Check {
	var path string
	var port int
	if base != nil && base.LivenessProbe != nil && base.LivenessProbe.HTTPGet != nil {
		path, port = base.LivenessProbe.HTTPGet.Path, ResolvePort(base.LivenessProbe.HTTPGet.Port, base)
	}
	return Check{Name: name, Run: func(s *podstate.State) Result {
		c := s.Container()
		if c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		for _, k := range kinds {
			p := ProbeOf(c, k)
			if p == nil {
				continue
			}
			if why := offHealth(p, c, path, port); why != "" {
				return Fail("the %s probe %s: it must ask the app's health endpoint (HTTP GET %s on port %d), otherwise it says nothing about whether the app works", k, why, path, port)
			}
		}
		return Pass("the probes ask the app's health endpoint %s on port %d", path, port)
	}}
}

// offHealth says how a probe misses the app's health endpoint ("" if it does not).
func offHealth(p *corev1.Probe, c *corev1.Container, path string, port int) string {
	switch {
	case p.Exec != nil:
		return "runs a command instead of asking the app"
	case p.TCPSocket != nil:
		return "only checks that the port accepts connections, which it does long before the app is ready and even when it hangs"
	case p.GRPC != nil:
		return "uses gRPC, which the app does not serve"
	case p.HTTPGet == nil:
		return "has no check at all"
	}
	g := p.HTTPGet
	switch {
	case g.Path != path:
		return fmt.Sprintf("asks path %q", g.Path)
	case ResolvePort(g.Port, c) != port:
		return fmt.Sprintf("asks port %s", g.Port.String())
	case g.Host != "":
		return fmt.Sprintf("asks host %q instead of the pod", g.Host)
	case g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP:
		return fmt.Sprintf("uses %s, which the app does not serve", g.Scheme)
	}
	return ""
}

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
