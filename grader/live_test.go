package grader

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func probe(initial, period, threshold, timeout int32) *corev1.Probe {
	return &corev1.Probe{InitialDelaySeconds: initial, PeriodSeconds: period, FailureThreshold: threshold, TimeoutSeconds: timeout}
}

func TestStabilityWindow(t *testing.T) {
	withContainers := func(cs ...corev1.Container) *appsv1.Deployment {
		d := newDeployment("1", 1)
		d.Spec.Template.Spec.Containers = cs
		return d
	}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	tests := []struct {
		name        string
		d           *appsv1.Deployment
		failsWithin time.Duration
		floor       time.Duration
		want        time.Duration
	}{
		{name: "no probes: the app's time to fail plus slack", d: withContainers(corev1.Container{Name: "app"}), failsWithin: sec(20), want: sec(20) + reportSlack},
		{name: "nil deployment uses the time to fail", d: nil, failsWithin: sec(20), want: sec(20) + reportSlack},
		{name: "liveness budget longer than the time to fail", d: withContainers(corev1.Container{Name: "app", LivenessProbe: probe(5, 10, 6, 2)}), failsWithin: sec(2),
			want: sec(5+10*6+2) + reportSlack},
		{name: "startup probe is covered by waiting for Ready and does not count", d: withContainers(corev1.Container{Name: "app", StartupProbe: probe(0, 5, 4, 1), LivenessProbe: probe(0, 2, 3, 1)}), failsWithin: sec(2),
			want: sec(2*3+1) + reportSlack},
		{name: "unset period and threshold take the Kubernetes defaults 10s and 3", d: withContainers(corev1.Container{Name: "app", LivenessProbe: probe(0, 0, 0, 0)}), failsWithin: sec(1),
			want: sec(10*3) + reportSlack},
		{name: "readiness probes do not restart containers and do not count", d: withContainers(corev1.Container{Name: "app", ReadinessProbe: probe(100, 100, 100, 100)}), failsWithin: sec(3),
			want: sec(3) + reportSlack},
		{name: "the slowest container decides", d: withContainers(corev1.Container{Name: "a", LivenessProbe: probe(0, 1, 1, 0)}, corev1.Container{Name: "b", LivenessProbe: probe(0, 20, 3, 0)}), failsWithin: sec(1),
			want: sec(20*3) + reportSlack},
		{name: "time to fail longer than the probe budgets", d: withContainers(corev1.Container{Name: "app", LivenessProbe: probe(0, 1, 1, 0)}), failsWithin: sec(90),
			want: sec(90) + reportSlack},
		{name: "floor wins over short budgets", d: withContainers(corev1.Container{Name: "app"}), failsWithin: sec(1), floor: sec(30), want: sec(30)},
		{name: "floor below the budget has no effect", d: withContainers(corev1.Container{Name: "app"}), failsWithin: sec(40), floor: sec(30), want: sec(40) + reportSlack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StabilityWindow(tt.d, tt.failsWithin, tt.floor)
			assert.Equal(t, tt.want, got)
			assert.Greater(t, got, tt.failsWithin, "the window always outlasts the broken app's time to fail")
		})
	}
}

type liveCase struct {
	name     string
	pods     []*corev1.Pod
	opt      LiveOptions
	window   time.Duration
	kubelet  func(s *sim, rs *appsv1.ReplicaSet) func(watchSignal) bool
	want     []string          // check names in order, "!" prefix for a failed one
	wantMsg  map[string]string // substring of a check's message
	maxTime  time.Duration     // fails fast: must return sooner than this
	minTime  time.Duration     // really watched: must not return sooner than this
	afterRun func(t *testing.T, s *sim)
	// wantProgress is a substring of the progress messages.
	wantProgress string
}

func runLiveCase(t *testing.T, tt liveCase) {
	t.Parallel()
	s, rs := liveCluster(t, tt.pods...)
	if tt.kubelet != nil {
		s.Kubelet(tt.kubelet(s, rs))
	}
	opt := tt.opt
	if opt.Replicas == 0 {
		opt.Replicas = 2
	}
	if opt.ReadyTimeout == 0 {
		opt.ReadyTimeout = 3 * time.Second
	}
	var mu sync.Mutex
	var progress []string
	opt.Progress = func(m string) { mu.Lock(); progress = append(progress, m); mu.Unlock() }
	window := tt.window
	if window == 0 {
		window = 400 * time.Millisecond
	}
	opt = liveOpts(s, opt)
	start := time.Now()
	got := JudgeLive(context.Background(), s.CS, target, window, opt)
	took := time.Since(start)

	var names []string
	for _, c := range got {
		n := c.Name
		if !c.Passed {
			n = "!" + n
		}
		names = append(names, n)
		assert.NotEmpty(t, c.Message, c.Name)
	}
	assert.Equal(t, tt.want, names, "checks: %+v", got)
	for name, want := range tt.wantMsg {
		assert.Contains(t, checkByName(t, got, name).Message, want)
	}
	if tt.maxTime > 0 {
		assert.Less(t, took, tt.maxTime, "should fail fast")
	}
	if tt.minTime > 0 {
		assert.GreaterOrEqual(t, took, tt.minTime, "should watch for the whole window")
	}
	if tt.wantProgress != "" {
		mu.Lock()
		assert.Contains(t, strings.Join(progress, "\n"), tt.wantProgress, "progress says what the grader waits for")
		mu.Unlock()
	}
	if tt.afterRun != nil {
		tt.afterRun(t, s)
	}
}

// afterDelete acts once, on the first pod watch opened after a pod deletion.
func afterDelete(act func()) func(watchSignal) bool {
	return func(sg watchSignal) bool {
		if sg.Deletes == 0 {
			return false
		}
		act()
		return true
	}
}

func TestJudgeLive(t *testing.T) {
	healthy := func() []*corev1.Pod {
		return []*corev1.Pod{curPod("web-cur-a", ready(), restarts(3), lastTerm("Error", 1, t0, t0.Add(time.Second))), curPod("web-cur-b", ready())}
	}
	tests := []liveCase{
		{
			name: "ready pods that stay up pass", pods: healthy(),
			want: []string{"pods-ready", "stays-up"}, minTime: 400 * time.Millisecond,
			wantMsg: map[string]string{"pods-ready": "web-cur-a, web-cur-b"},
		},
		{
			name: "replaced pod comes back Ready: survives restart", pods: healthy(), opt: LiveOptions{Replace: true},
			kubelet: func(s *sim, rs *appsv1.ReplicaSet) func(watchSignal) bool {
				return afterDelete(func() { s.CreatePod(newPod("web-cur-c", rs, ready())) })
			},
			want:    []string{"pods-ready", "stays-up", "survives-restart"},
			wantMsg: map[string]string{"survives-restart": "web-cur-a"},
			afterRun: func(t *testing.T, s *sim) {
				assert.NotContains(t, s.PodNames(), "web-cur-a", "the first pod was deleted")
				assert.Contains(t, s.PodNames(), "web-cur-c")
			},
		},
		{
			name: "replaced pod never comes back: survives-restart times out", pods: healthy(), opt: LiveOptions{Replace: true, ReadyTimeout: 500 * time.Millisecond},
			want:    []string{"pods-ready", "stays-up", "!survives-restart"},
			wantMsg: map[string]string{"survives-restart": "not all pods Ready after"},
		},
		{
			name: "replacement that already crashed fails survives-restart", pods: healthy(), opt: LiveOptions{Replace: true},
			kubelet: func(s *sim, rs *appsv1.ReplicaSet) func(watchSignal) bool {
				// Runs of a pod created during the check start after the check did.
				return afterDelete(func() { s.CreatePod(newPod("web-cur-c", rs, crashLooping(time.Now().Add(time.Hour)))) })
			},
			want:    []string{"pods-ready", "stays-up", "!survives-restart"},
			wantMsg: map[string]string{"survives-restart": "web-cur-c"},
			maxTime: 2500 * time.Millisecond,
		},
		{
			name: "newer termination during the window fails stays-up naming the pod", pods: healthy(), window: 5 * time.Second,
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() {
					s.UpdatePod("web-cur-a", lastTerm("Error", 1, t0.Add(time.Hour), t0.Add(time.Hour+time.Second)))
				})
			},
			want: []string{"pods-ready", "!stays-up"}, wantMsg: map[string]string{"stays-up": "web-cur-a"}, maxTime: 3 * time.Second,
		},
		{
			name: "restart during the window fails stays-up", pods: healthy(), window: 5 * time.Second,
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() { s.UpdatePod("web-cur-b", restarts(1)) })
			},
			want: []string{"pods-ready", "!stays-up"}, wantMsg: map[string]string{"stays-up": "web-cur-b"}, maxTime: 3 * time.Second,
		},
		{
			name: "pod losing readiness during the window fails stays-up", pods: healthy(), window: 5 * time.Second,
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() { s.UpdatePod("web-cur-b", notReady()) })
			},
			want: []string{"pods-ready", "!stays-up"}, wantMsg: map[string]string{"stays-up": "web-cur-b"}, maxTime: 3 * time.Second,
		},
		{
			name: "pod going away during the window fails stays-up", pods: healthy(), window: 5 * time.Second,
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() {
					_ = s.CS.CoreV1().Pods(testNS).Delete(context.Background(), "web-cur-b", metav1.DeleteOptions{})
				})
			},
			want: []string{"pods-ready", "!stays-up"}, wantMsg: map[string]string{"stays-up": "web-cur-b"}, maxTime: 3 * time.Second,
		},
		{
			name: "pod appearing during the window fails stays-up", pods: healthy(), window: 5 * time.Second,
			kubelet: func(s *sim, rs *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() { s.CreatePod(newPod("web-cur-c", rs, ready())) })
			},
			want: []string{"pods-ready", "!stays-up"}, wantMsg: map[string]string{"stays-up": "web-cur-c"}, maxTime: 3 * time.Second,
		},
		{
			name: "changes to the old ReplicaSet's pods are ignored", pods: healthy(),
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() {
					s.UpdatePod("web-old-1", func(p *corev1.Pod) {
						restarts(9)(p)
						lastTerm("Error", 1, t0.Add(2*time.Hour), t0.Add(3*time.Hour))(p)
					})
				})
			},
			want: []string{"pods-ready", "stays-up"},
		},
		{
			name: "ImagePullBackOff fails pods-ready fast",
			pods: []*corev1.Pod{curPod("web-cur-a", ready()), curPod("web-cur-b", waiting("ImagePullBackOff", "Back-off pulling image"))},
			opt:  LiveOptions{ReadyTimeout: 10 * time.Second},
			want: []string{"!pods-ready"}, wantMsg: map[string]string{"pods-ready": "web-cur-b"}, maxTime: 2 * time.Second,
		},
		{
			name: "crash-looping pod restarted by the kubelet after the fix becomes Ready and passes",
			pods: []*corev1.Pod{curPod("web-cur-a", crashLooping(t0)), curPod("web-cur-b", ready())},
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() {
					s.UpdatePod("web-cur-a", func(p *corev1.Pod) {
						ready()(p)
						restarts(4)(p) // the back-off restart; LastTerminationState stays the old crash
					})
				})
			},
			want: []string{"pods-ready", "stays-up"}, wantProgress: "web-cur-a is CrashLoopBackOff",
		},
		{
			name: "crash-looping pod that crashes again while waiting fails pods-ready fast",
			pods: []*corev1.Pod{curPod("web-cur-a", crashLooping(t0)), curPod("web-cur-b", ready())},
			opt:  LiveOptions{ReadyTimeout: 10 * time.Second},
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() { s.UpdatePod("web-cur-a", crashLooping(time.Now().Add(time.Minute))) })
			},
			want: []string{"!pods-ready"}, wantMsg: map[string]string{"pods-ready": "web-cur-a"}, maxTime: 3 * time.Second,
		},
		{
			// A container the kubelet started before the check began ran
			// with what it had then (a ConfigMap fixed a moment ago reaches
			// the next start): its crash is not the fix's; the next run is.
			name: "a run that began before the check and crashes is not held against the fix",
			pods: []*corev1.Pod{curPod("web-cur-a", crashLooping(t0)), curPod("web-cur-b", ready())},
			opt:  LiveOptions{ReadyTimeout: 5 * time.Second},
			kubelet: func(s *sim, _ *appsv1.ReplicaSet) func(watchSignal) bool {
				return onWatch(1, func() {
					s.UpdatePod("web-cur-a", crashLooping(t0.Add(time.Minute)))
					s.UpdatePod("web-cur-a", ready())
				})
			},
			want: []string{"pods-ready", "stays-up"},
		},
		{
			name: "too few pods time out in pods-ready",
			pods: []*corev1.Pod{curPod("web-cur-a", ready())},
			opt:  LiveOptions{ReadyTimeout: 300 * time.Millisecond},
			want: []string{"!pods-ready"}, wantMsg: map[string]string{"pods-ready": "1 of 2"}, minTime: 300 * time.Millisecond,
		},
		{
			name: "crash-looping pods time out in pods-ready naming the reason",
			pods: []*corev1.Pod{curPod("web-cur-a", crashLooping(t0)), curPod("web-cur-b", ready())},
			opt:  LiveOptions{ReadyTimeout: 300 * time.Millisecond},
			want: []string{"!pods-ready"}, wantMsg: map[string]string{"pods-ready": "CrashLoopBackOff"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runLiveCase(t, tt) })
	}
}

func TestJudgeLiveWithoutDeploymentFailsPodsReady(t *testing.T) {
	cs := fake.NewClientset()
	got := JudgeLive(context.Background(), cs, target, 100*time.Millisecond, LiveOptions{Replicas: 1, ReadyTimeout: time.Second})
	require.Len(t, got, 1)
	assert.False(t, got[0].Passed)
	assert.Contains(t, got[0].Message, "Deployment web")
}

func TestLiveOptionsDefaults(t *testing.T) {
	var o LiveOptions
	o.defaults()
	assert.Positive(t, o.MinWindow)
	assert.Positive(t, o.ReadyTimeout)
	require.NotNil(t, o.Progress)
	o.Progress("does not panic")

	set := LiveOptions{MinWindow: time.Second, ReadyTimeout: 2 * time.Second}
	set.defaults()
	assert.Equal(t, time.Second, set.MinWindow, "explicit values are kept")
	assert.Equal(t, 2*time.Second, set.ReadyTimeout)
}

func staticCheck(name string, r Result) Check {
	return Check{Name: name, Run: func(*podstate.State) Result { return r }}
}

func TestJudgeFixStaticFailureSkipsLiveChecks(t *testing.T) {
	s, _ := liveCluster(t, curPod("web-cur-a", ready()), curPod("web-cur-b", ready()))
	checks := []Check{
		staticCheck("rule-ok", Pass("fine")),
		staticCheck("rule-broken", Fail("broken")),
	}
	start := time.Now()
	v, err := JudgeFix(context.Background(), s.CS, "scn", target, nil, checks, &LiveOptions{Replicas: 2, MinWindow: time.Minute})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "no live watching")
	assert.Equal(t, "fix", v.Kind)
	assert.Equal(t, "scn", v.Scenario)
	assert.False(t, v.Passed)
	assert.Equal(t, []string{"rule-ok", "rule-broken", "live"}, checkNames(v.Checks))
	assert.False(t, checkByName(t, v.Checks, "live").Passed)
}

func TestJudgeFixWithoutLiveOptionsRunsOnlyStaticChecks(t *testing.T) {
	tests := []struct {
		name         string
		checks       []Check
		wantPassed   bool
		wantApproach string
	}{
		{name: "all static checks pass", checks: []Check{staticCheck("a", Pass("ok")), staticCheck("b", Result{Passed: true, Message: "ok", Approach: "reference-fixed"})}, wantPassed: true, wantApproach: "reference-fixed"},
		{name: "one static check fails", checks: []Check{staticCheck("a", Fail("no")), staticCheck("b", Pass("ok"))}, wantPassed: false},
		{name: "no checks is not a pass", checks: nil, wantPassed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := liveCluster(t)
			v, err := JudgeFix(context.Background(), s.CS, "scn", target, nil, tt.checks, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPassed, v.Passed)
			assert.Equal(t, tt.wantApproach, v.Approach)
			assert.Len(t, v.Checks, len(tt.checks))
		})
	}
}

func TestJudgeFixStaticChecksSeeTheLoadedState(t *testing.T) {
	s, _ := liveCluster(t, curPod("web-cur-a", ready()))
	var seen *podstate.State
	check := Check{Name: "spy", Run: func(st *podstate.State) Result { seen = st; return Pass("ok") }}
	rec := map[string]string{"Deployment/web": string(depUID)}
	_, err := JudgeFix(context.Background(), s.CS, "scn", target, rec, []Check{check}, nil)
	require.NoError(t, err)
	require.NotNil(t, seen)
	require.NotNil(t, seen.Deployment)
	assert.Equal(t, rec, seen.Recorded)
	assert.Equal(t, []string{"web-cur-a"}, podNamesOf(seen.Current))
}

func TestJudgeFixReturnsLoadStateErrors(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("apiserver on fire")
	})
	_, err := JudgeFix(context.Background(), cs, "scn", target, nil, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apiserver on fire")
}

func TestJudgeFixRunsLiveChecksWithTheDerivedWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("watches for the minimum stability window")
	}
	t.Parallel()
	s, _ := liveCluster(t, curPod("web-cur-a", ready()), curPod("web-cur-b", ready()))
	live := &LiveOptions{Replicas: 2, ReadyTimeout: time.Second, MinWindow: 100 * time.Millisecond}
	d, err := s.CS.AppsV1().Deployments(testNS).Get(context.Background(), target.Name, metav1.GetOptions{})
	require.NoError(t, err)
	window := StabilityWindow(d, live.FailsWithin, live.MinWindow)

	start := time.Now()
	v, err := JudgeFix(context.Background(), s.CS, "scn", target, nil, []Check{staticCheck("rule", Result{Passed: true, Message: "ok", Approach: "a1"})}, live)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), window, "watched for the whole derived window")
	assert.True(t, v.Passed, "%+v", v.Checks)
	assert.Equal(t, "a1", v.Approach)
	assert.Equal(t, []string{"rule", "pods-ready", "stays-up"}, checkNames(v.Checks))
	assert.True(t, strings.Contains(checkByName(t, v.Checks, "stays-up").Message, window.Round(time.Second).String()))
}

func TestJudgeFixWithCallsTheLiveJudgeOnlyWhenStaticChecksPass(t *testing.T) {
	tests := []struct {
		name       string
		static     Result
		judge      []CheckResult
		wantCalled bool
		wantNames  []string
		wantPassed bool
	}{
		{name: "static pass, live pass", static: Pass("ok"), judge: []CheckResult{{Name: "job-completed", Passed: true, Message: "m"}},
			wantCalled: true, wantNames: []string{"rule", "job-completed"}, wantPassed: true},
		{name: "static pass, live fail", static: Pass("ok"), judge: []CheckResult{{Name: "job-completed", Message: "m"}},
			wantCalled: true, wantNames: []string{"rule", "job-completed"}, wantPassed: false},
		{name: "static fail, live not called", static: Fail("no"), judge: []CheckResult{{Name: "job-completed", Passed: true, Message: "m"}},
			wantCalled: false, wantNames: []string{"rule", "live"}, wantPassed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := liveCluster(t, curPod("web-cur-a", ready()))
			var got *podstate.State
			judge := func(_ context.Context, st *podstate.State) []CheckResult { got = st; return tt.judge }
			v, err := JudgeFixWith(context.Background(), s.CS, "scn", target, nil, []Check{staticCheck("rule", tt.static)}, judge)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCalled, got != nil)
			if got != nil {
				assert.Equal(t, []string{"web-cur-a"}, podNamesOf(got.Current), "the judge gets the loaded state")
			}
			assert.Equal(t, tt.wantNames, checkNames(v.Checks))
			assert.Equal(t, tt.wantPassed, v.Passed)
		})
	}
}
