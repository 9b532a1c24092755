// Package eagerliveness is the scenario where a liveness probe copied from a
// fast-starting service kills a slow-starting app before it has finished
// warming up, over and over.
package eagerliveness

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
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
const id = "search-api-restarting"

func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	start := startDelay(base.Args)
	// Margin: a busy node starts the app slower than an idle one does, so a
	// probe must allow half as much time again.
	need := start + start/2

	return []grader.Check{
		{Name: "probes-catch-hangs", Run: func(s *podstate.State) grader.Result {
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
		{Name: "start-covered", Run: func(s *podstate.State) grader.Result {
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
