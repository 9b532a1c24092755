// Package eagerliveness is the scenario where a liveness probe copied from a
// fast-starting service kills a slow-starting app before it has finished
// warming up, over and over.
package eagerliveness

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	// startDelayFlag is the workload flag that sets how long the app warms up;
	// the baseline's value is the real start time every probe must cover.
	startDelayFlag = "start-delay"
)

// Limits of what still counts as a useful probe. They are policy, not facts of
// the cluster: a hung app should be restarted within about a minute, and a
// startup probe should not wait for ever on an app that hangs while starting.
const (
	// hangBudget bounds how long, once the app is up, a hang may go unnoticed.
	hangBudget = 60 * time.Second
	// startupCap bounds how long a startup probe may wait for the app.
	startupCap = 5 * time.Minute
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "eager-liveness"

func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	start := startDelay(base.Args)
	// Margin: a busy node starts the app slower than an idle one does, so a
	// probe must allow half as much time again.
	need := start + start/2
	healthPath, healthPort := base.LivenessProbe.HTTPGet.Path, base.LivenessProbe.HTTPGet.Port.IntValue()

	return []grader.Check{
		grader.AppUnchanged(base, grader.AppParts{Image: true, Command: true, Args: true},
			fmt.Sprintf("the app's image, command or arguments changed: the app really needs %s to warm up and its shutdown behaviour is not the cause; put the original back and fix the probes instead", start),
			fmt.Sprintf("the app runs as released, with its %s warm-up", start)),
		{Name: "liveness-kept", Run: func(s *grader.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			if c.LivenessProbe == nil {
				return grader.Fail("the liveness probe was removed: without it nobody restarts the app when it hangs; keep it and give the app time to start instead")
			}
			return grader.Pass("the container still has a liveness probe")
		}},
		{Name: "liveness-on-health", Run: func(s *grader.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			for _, p := range []struct {
				kind  string
				probe *corev1.Probe
			}{{"liveness", c.LivenessProbe}, {"startup", c.StartupProbe}} {
				if p.probe == nil {
					continue
				}
				if why := offHealth(p.probe, c, healthPath, healthPort); why != "" {
					return grader.Fail("the %s probe %s: it must ask the app's health endpoint (HTTP GET %s on port %d), otherwise it says nothing about whether the app works", p.kind, why, healthPath, healthPort)
				}
			}
			return grader.Pass("the probes ask the app's health endpoint %s on port %d", healthPath, healthPort)
		}},
		{Name: "probes-catch-hangs", Run: func(s *grader.State) grader.Result {
			c := s.Container()
			if c == nil || c.LivenessProbe == nil {
				return grader.Fail("there is no liveness probe, so a hung app would never be restarted")
			}
			if d := hangDetection(c.LivenessProbe, start); d > hangBudget {
				return grader.Fail("once the app is up, the liveness probe would take up to %s to notice a hang (allowed: %s): cover the start with a startup probe or an initial delay, not with a liveness probe that barely checks", d, hangBudget)
			}
			if p := c.StartupProbe; p != nil {
				if d := startBudget(p); d > startupCap {
					return grader.Fail("the startup probe waits up to %s for an app that starts in %s (allowed: %s): an app hanging while it starts would go unnoticed that long", d, start, startupCap)
				}
			}
			return grader.Pass("a hung app would be restarted within %s", hangBudget)
		}},
		{Name: "start-covered", Run: func(s *grader.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			if p := c.StartupProbe; p != nil {
				if got := startBudget(p); got < need {
					return grader.Fail("the startup probe gives up after %s, but the app needs %s to start: allow at least %s (failureThreshold × periodSeconds, plus initialDelaySeconds)", got, start, need)
				}
				return grader.Result{Passed: true, Approach: "startup-probe", Message: fmt.Sprintf("the startup probe waits up to %s for the %s start before the liveness probe takes over", startBudget(p), start)}
			}
			if c.LivenessProbe == nil {
				return grader.Fail("with neither a startup nor a liveness probe nothing covers the start or watches the app afterwards: add a startup probe next to the original liveness probe")
			}
			if got := startBudget(c.LivenessProbe); got < need {
				return grader.Fail("the liveness probe still gives up after %s, before the app's %s start is over: add a startup probe (or delay the liveness probe) so that at least %s are allowed", got, start, need)
			}
			return grader.Result{Passed: true, Approach: "liveness-delayed", Message: fmt.Sprintf("the liveness probe allows %s for the %s start", startBudget(c.LivenessProbe), start)}
		}},
	}
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
	case resolvePort(g.Port, c) != port:
		return fmt.Sprintf("asks port %s", g.Port.String())
	case g.Host != "":
		return fmt.Sprintf("asks host %q instead of the pod", g.Host)
	case g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP:
		return fmt.Sprintf("uses %s, which the app does not serve", g.Scheme)
	}
	return ""
}

// resolvePort turns a probe port (a number or a container port's name) into a
// number; 0 when a name does not resolve.
func resolvePort(p intstr.IntOrString, c *corev1.Container) int {
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

// probeTimes returns a probe's settings with the API server's defaults filled
// in, so that a probe written without them is judged as the kubelet runs it.
func probeTimes(p *corev1.Probe) (delay, period, timeout time.Duration, threshold int32) {
	period, timeout, threshold = 10*time.Second, time.Second, 3
	if p.PeriodSeconds > 0 {
		period = time.Duration(p.PeriodSeconds) * time.Second
	}
	if p.TimeoutSeconds > 0 {
		timeout = time.Duration(p.TimeoutSeconds) * time.Second
	}
	if p.FailureThreshold > 0 {
		threshold = p.FailureThreshold
	}
	return time.Duration(p.InitialDelaySeconds) * time.Second, period, timeout, threshold
}

// startBudget is how long after the container starts a probe keeps failing
// without giving up: it cannot fail before its initial delay, then needs
// failureThreshold failures one period apart.
func startBudget(p *corev1.Probe) time.Duration {
	delay, period, _, threshold := probeTimes(p)
	return delay + time.Duration(threshold)*period
}

// hangDetection is how long, at worst, a hang right after the app came up goes
// unnoticed: any initial delay still left after the start, then
// failureThreshold probes, each taking a period or, if the app does not answer,
// the timeout (the kubelet does not start the next probe before the last one
// ended).
func hangDetection(p *corev1.Probe, start time.Duration) time.Duration {
	delay, period, timeout, threshold := probeTimes(p)
	idle := delay - start
	if idle < 0 {
		idle = 0
	}
	return idle + time.Duration(threshold)*max(period, timeout)
}

// startDelay reads --start-delay from the workload's arguments (either
// "--start-delay=20s" or "--start-delay 20s").
func startDelay(args []string) time.Duration {
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != startDelayFlag || !strings.HasPrefix(a, "-") {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		if d, err := time.ParseDuration(val); err == nil {
			return d
		}
	}
	return 0
}
