// Package privport is the scenario where a security baseline runs a web
// server as a non-root user, with net.ipv4.ip_unprivileged_port_start kept
// at 1024, and the server still listens on port 80: bind fails with
// "permission denied", exit 1.
package privport

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "web-frontend-down-after-hardening"

const (
	listenFlag = "--listen="
	// portName is the container port the Service's targetPort names.
	portName = "http"
	// unprivilegedStart is the first port a process without
	// CAP_NET_BIND_SERVICE may bind under the baseline's sysctl.
	unprivilegedStart = 1024
)

func checks(b scenarios.Baseline) []grader.Check {
	return []grader.Check{grader.HardeningKept(b.TargetPodSpec(), b.TargetContainer()), listenPort(b.TargetContainer())}
}

// listenPort passes when the server listens on an unprivileged port and the
// named container port, which the Service and the probe follow, says so.
// Apart from the port, the released arguments stay.
func listenPort(base *corev1.Container) grader.Check {
	return grader.Check{Name: "listen-port", Run: func(s *podstate.State) grader.Result {
		c := s.Container()
		if c == nil || base == nil {
			return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if !slices.Equal(withoutListen(c.Args), withoutListen(base.Args)) {
			return grader.Fail("the container's args are %q; the release's are %q: change only the port the server listens on", c.Args, base.Args)
		}
		port, ok := listenArg(c.Args)
		if !ok {
			return grader.Fail("the server no longer listens (no %s argument): the frontend must serve", listenFlag)
		}
		if port < unprivilegedStart {
			return grader.Fail("the server still listens on port %d, below %d: under the baseline only a process with CAP_NET_BIND_SERVICE may bind it, and a non-root container's process does not get that capability; listen on a port from %d up", port, unprivilegedStart, unprivilegedStart)
		}
		i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == portName })
		if i < 0 {
			return grader.Fail("the container has no port named %s any more: the Service's targetPort names it, so it would send traffic nowhere", portName)
		}
		if got := int(c.Ports[i].ContainerPort); got != port {
			return grader.Fail("the server listens on %d, but the container port named %s says %d: the Service (targetPort: %s) and the probe follow that name, so set containerPort to %d", port, portName, got, portName, port)
		}
		if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil {
			return grader.Fail("the readiness probe is gone or no longer asks /healthz over HTTP: keep it, on the new port")
		} else if !probeHits(p.HTTPGet.Port, port) {
			return grader.Fail("the readiness probe asks port %s, the server listens on %d", p.HTTPGet.Port.String(), port)
		}
		return grader.Result{Passed: true, Approach: "unprivileged-port", Message: fmt.Sprintf("the server listens on %d, and the port named %s that the Service and probe follow says so", port, portName)}
	}}
}

// probeHits tells whether a probe's port (a number or a name) reaches port.
func probeHits(p intstr.IntOrString, port int) bool {
	if p.Type == intstr.String {
		return p.StrVal == portName
	}
	return p.IntValue() == port
}

func withoutListen(args []string) []string {
	return slices.DeleteFunc(slices.Clone(args), func(a string) bool { return strings.HasPrefix(a, listenFlag) })
}

// listenArg returns the port of the last --listen=[host]:port argument.
func listenArg(args []string) (int, bool) {
	port, found := 0, false
	for _, a := range args {
		v, ok := strings.CutPrefix(a, listenFlag)
		if !ok {
			continue
		}
		i := strings.LastIndex(v, ":")
		p, err := strconv.Atoi(v[i+1:])
		if err != nil {
			return 0, false
		}
		port, found = p, true
	}
	return port, found
}
