package eagerliveness

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/grader/celcheck"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const ns = "crashlab-test-search-api-restarting"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("search-api-restarting") }

// celDuration evaluates expr, a CEL duration, as the checks do: base is the
// released container c, and the variables of check start-covered up to its
// variable start are there to read.
func celDuration(t *testing.T, c corev1.Container, expr string) time.Duration {
	t.Helper()
	vars := startVars()
	require.NotEmpty(t, vars, "check start-covered reads the start time")
	check, err := celcheck.CompileFor(celcheck.Spec{Name: "duration", Variables: vars,
		Cases: []celcheck.Case{{Pass: "not a duration", MessageExpression: "string(" + expr + ")"}}}, Scenario().Workload.Kind)
	require.NoError(t, err)
	r := check.Grader(celcheck.Inputs{Base: &c}).Run(nil)
	d, err := time.ParseDuration(r.Message)
	require.NoError(t, err, "%s", expr)
	return d
}

// startVars are the variables of check start-covered up to start, read once.
var startVars = sync.OnceValue(func() []celcheck.Variable {
	var vars []celcheck.Variable
	for _, cs := range Scenario().Checks {
		if cs.Name != "start-covered" {
			continue
		}
		for _, v := range cs.Variables {
			vars = append(vars, v)
			if v.Name == "start" {
				break
			}
		}
	}
	return vars
})

// startDelay is the start time check start-covered reads from the released
// arguments.
func startDelay(t *testing.T, args []string) time.Duration {
	return celDuration(t, corev1.Container{Name: "app", Args: args}, "variables.start")
}

// hangDetection is the lab's CEL function probeHangDetection, which check
// probes-catch-hangs calls.
func hangDetection(t *testing.T, p *corev1.Probe, start time.Duration) time.Duration {
	return celDuration(t, corev1.Container{Name: "app", LivenessProbe: p}, "probeHangDetection(base.livenessProbe, duration('"+start.String()+"'))")
}

// startBudget is the lab's CEL function probeBudget, which check
// start-covered calls.
func startBudget(t *testing.T, p *corev1.Probe) time.Duration {
	return celDuration(t, corev1.Container{Name: "app", LivenessProbe: p}, "probeBudget(base.livenessProbe)")
}

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:abc-amd64", NodeArch: "amd64"}

func healthGet() *corev1.HTTPGetAction {
	return &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}
}

// judge runs every static check of the scenario (shared ones first, as the
// CLI does) on the baseline Deployment after mutate, and returns the first
// check that refused it, or the approach the passing checks named.
func judge(t *testing.T, mutate func(c *corev1.Container)) (firstFail, approach string, msgs []string) {
	t.Helper()
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	j := scenariotest.Judge(t, s, b, ns, s.FixChecks(b), scenariotest.Edit{Container: mutate})
	return j.First, j.Approach, j.Messages
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestChecks(t *testing.T) {
	tests := []struct {
		name         string
		mutate       func(c *corev1.Container)
		wantFail     string
		wantApproach string
	}{
		{name: "broken baseline is refused: the probe gives up before the start is over", mutate: func(*corev1.Container) {}, wantFail: "start-covered"},
		{name: "startup probe on a named port is accepted", wantApproach: "startup-probe", mutate: func(c *corev1.Container) {
			c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 5, FailureThreshold: 12}
		}},
		{name: "startup probe relying on the defaults is too short", wantFail: "start-covered", mutate: func(c *corev1.Container) {
			// Defaults: period 10s × threshold 3 = 30s, no margin over the 30s start.
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: healthGet()}}
		}},
		{name: "startup probe relying on the default period is accepted", wantApproach: "startup-probe", mutate: func(c *corev1.Container) {
			// 10s × 5 = 50s, above the required 1.5 × 30s.
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: healthGet()}, FailureThreshold: 5}
		}},
		{name: "liveness failure budget covering the start is accepted", wantApproach: "liveness-delayed", mutate: func(c *corev1.Container) {
			c.LivenessProbe.FailureThreshold = 23
		}},
		{name: "startup probe too short for the start", wantFail: "start-covered", mutate: func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: healthGet()}, PeriodSeconds: 2, FailureThreshold: 10}
		}},
		{name: "liveness delay without margin", wantFail: "start-covered", mutate: func(c *corev1.Container) {
			c.LivenessProbe.InitialDelaySeconds = 30
		}},
		{name: "liveness probe on another path", wantFail: "liveness-on-health", mutate: func(c *corev1.Container) {
			c.LivenessProbe.HTTPGet.Path = "/"
		}},
		{name: "liveness probe on another port", wantFail: "liveness-on-health", mutate: func(c *corev1.Container) {
			c.LivenessProbe.HTTPGet.Port = intstr.FromInt32(9090)
		}},
		{name: "startup probe that only checks the port", wantFail: "liveness-on-health", mutate: func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 2, FailureThreshold: 20}
		}},
		{name: "liveness initial delay of an hour", wantFail: "probes-catch-hangs", mutate: func(c *corev1.Container) {
			c.LivenessProbe.InitialDelaySeconds = 3600
		}},
		{name: "liveness timeout so long that each probe waits a minute", wantFail: "probes-catch-hangs", mutate: func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: healthGet()}, PeriodSeconds: 2, FailureThreshold: 20}
			c.LivenessProbe.TimeoutSeconds = 60
		}},
		{name: "startup probe that waits an hour", wantFail: "probes-catch-hangs", mutate: func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: healthGet()}, PeriodSeconds: 10, FailureThreshold: 360}
		}},
		{name: "slow start switched off", wantFail: "app-unchanged", mutate: func(c *corev1.Container) {
			c.Args = []string{"--listen=:8080", "--on-term=ignore"}
		}},
		{name: "image replaced", wantFail: "app-unchanged", mutate: func(c *corev1.Container) {
			c.Image = values.ForeignImage
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail, approach, msgs := judge(t, tt.mutate)
			assert.Equal(t, tt.wantFail, fail, "first refusing check; all: %v", msgs)
			if tt.wantFail == "" {
				assert.Equal(t, tt.wantApproach, approach, "all: %v", msgs)
			}
		})
	}
}

func TestStartDelay(t *testing.T) {
	tests := []struct {
		args []string
		want time.Duration
	}{
		{[]string{"--start-delay=20s", "--listen=:8080"}, 20 * time.Second},
		{[]string{"--listen=:8080", "--start-delay", "45s"}, 45 * time.Second},
		{[]string{"-start-delay=1m"}, time.Minute},
		{[]string{"--listen=:8080"}, 0},
		{[]string{"start-delay=20s"}, 0}, // not a flag: the workload would reject it
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, startDelay(t, tt.args), "%v", tt.args)
	}
}

func TestHangDetection(t *testing.T) {
	tests := []struct {
		name  string
		probe corev1.Probe
		want  time.Duration
	}{
		{"baseline probe", corev1.Probe{PeriodSeconds: 2, FailureThreshold: 3}, 6 * time.Second},
		{"initial delay spent during the start", corev1.Probe{InitialDelaySeconds: 15, PeriodSeconds: 2, FailureThreshold: 3}, 6 * time.Second},
		{"initial delay beyond the start", corev1.Probe{InitialDelaySeconds: 30, PeriodSeconds: 2, FailureThreshold: 3}, 16 * time.Second},
		{"timeout longer than the period", corev1.Probe{PeriodSeconds: 2, TimeoutSeconds: 5, FailureThreshold: 3}, 15 * time.Second},
		{"API defaults", corev1.Probe{}, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, hangDetection(t, &tt.probe, 20*time.Second))
		})
	}
}

// The grader's stability window must outlast the broken probe, or a check
// could pass before the probe had a chance to kill the container.
func TestStabilityWindowCoversBrokenProbe(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	d := b.Deployment(Scenario().Workload.Name)
	w := grader.StabilityWindow(d, s.FailsWithin.Duration, 10*time.Second)
	assert.Greater(t, w, startBudget(t, b.Container(Scenario().Workload.Name, Scenario().Workload.Container).LivenessProbe)+3*time.Second)
}

// On pods that fail as this scenario's do (the shape the kind-offline notes
// record for a liveness kill of a process ignoring SIGTERM), exactly the
// intended choice of each question holds; the e2e suite repeats this on a
// real cluster.
func TestChoicesOnBrokenPods(t *testing.T) {
	f := podstate.Facts{Found: true, Pods: []podstate.PodFacts{{Name: "p", Containers: []podstate.ContainerFacts{{
		Name: Scenario().Workload.Container, WaitingReason: "CrashLoopBackOff",
		Last:        &podstate.Termination{Reason: "Error", ExitCode: 137},
		PreviousLog: "workload starting (linux/amd64)\nSIGTERM is ignored; the kubelet will have to SIGKILL this container after the grace period\nlistening on [::]:8080\nstarting, warming up for 30s\n",
	}}}}, Events: []podstate.EventFact{
		{Pod: "p", Reason: "Unhealthy", Message: "Liveness probe failed: HTTP probe failed with statuscode: 503"},
		{Pod: "p", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503"},
		{Pod: "p", Reason: "Killing", Message: "Container app failed liveness probe, will be restarted"},
	}}
	want := map[string]string{"cause": "liveness-too-early", "why-137": "sigkill-after-grace"}
	for _, q := range Scenario().Questions {
		if q.Fact != "" {
			continue
		}
		var holding []string
		for _, ch := range q.Choices {
			all := true
			for _, e := range ch.Evidence {
				ok, err := podstate.Evidence(f, Scenario().Workload.Container, e)
				require.NoError(t, err)
				all = all && ok
			}
			if all {
				holding = append(holding, ch.ID)
			}
		}
		assert.Equal(t, []string{want[q.ID]}, holding, "question %s", q.ID)
	}
	for _, e := range Scenario().Teaches {
		ok, err := podstate.Evidence(f, Scenario().Workload.Container, e)
		require.NoError(t, err)
		assert.True(t, ok, "teaches %s", e)
	}
}
