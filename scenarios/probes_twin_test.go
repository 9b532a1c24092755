package scenarios

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
)

// The Go checks the probeKept and probeOnHealth rules were before they were
// CEL: kept here only as the twins TestRulesInCELJudgeAsTheirGoTwins holds
// the CEL to.

// probeOf returns a container's probe by kind: liveness, readiness or startup.
func probeOf(c *corev1.Container, kind string) *corev1.Probe {
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

// probeKeptTwin is the Go twin of the probeKept rule: the target container
// still has a probe of that kind.
func probeKeptTwin(name, kind, failMsg, passMsg string) grader.Check {
	return grader.Check{Name: name, Run: func(s *podstate.State) grader.Result {
		c := s.Container()
		if c == nil {
			return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if probeOf(c, kind) == nil {
			return grader.Fail("%s", failMsg)
		}
		return grader.Pass("%s", passMsg)
	}}
}

// probeOnHealthTwin is the Go twin of the probeOnHealth rule: every probe
// of the listed kinds asks the app's health endpoint, the baseline's own
// HTTP GET of its liveness probe.
func probeOnHealthTwin(name string, base *corev1.Container, kinds []string) grader.Check {
	var path string
	var port int
	if base != nil && base.LivenessProbe != nil && base.LivenessProbe.HTTPGet != nil {
		path, port = base.LivenessProbe.HTTPGet.Path, grader.ResolvePort(base.LivenessProbe.HTTPGet.Port, base)
	}
	return grader.Check{Name: name, Run: func(s *podstate.State) grader.Result {
		c := s.Container()
		if c == nil {
			return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		for _, k := range kinds {
			p := probeOf(c, k)
			if p == nil {
				continue
			}
			if why := offHealth(p, c, path, port); why != "" {
				return grader.Fail("the %s probe %s: it must ask the app's health endpoint (HTTP GET %s on port %d), otherwise it says nothing about whether the app works", k, why, path, port)
			}
		}
		return grader.Pass("the probes ask the app's health endpoint %s on port %d", path, port)
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
	case grader.ResolvePort(g.Port, c) != port:
		return fmt.Sprintf("asks port %s", g.Port.String())
	case g.Host != "":
		return fmt.Sprintf("asks host %q instead of the pod", g.Host)
	case g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP:
		return fmt.Sprintf("uses %s, which the app does not serve", g.Scheme)
	}
	return ""
}
