package grader

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Cancelling the command's context during any wait of a check is reported as
// interrupted, within a second, and never as a pass or a timeout.
func TestJudgeFixInterruptedDuringEachWaitIsNeverAVerdict(t *testing.T) {
	healthy := func() []*corev1.Pod {
		return []*corev1.Pod{curPod("web-cur-a", ready()), curPod("web-cur-b", ready())}
	}
	tests := []struct {
		name   string
		pods   []*corev1.Pod
		edit   func(*sim)
		window time.Duration
		cancel time.Duration
	}{
		{name: "waiting for the Deployment controller", pods: healthy(), window: time.Minute, cancel: 300 * time.Millisecond,
			edit: func(s *sim) {
				d, err := s.CS.AppsV1().Deployments(testNS).Get(context.Background(), target.Name, metav1.GetOptions{})
				require.NoError(t, err)
				d.Generation, d.Status.ObservedGeneration = 3, 2
				_, err = s.CS.AppsV1().Deployments(testNS).Update(context.Background(), d, metav1.UpdateOptions{})
				require.NoError(t, err)
			}},
		{name: "waiting for Ready pods", pods: []*corev1.Pod{curPod("web-cur-a", ready()), curPod("web-cur-b", notReady())}, window: time.Minute, cancel: 300 * time.Millisecond},
		{name: "in the stability window", pods: healthy(), window: time.Minute, cancel: 300 * time.Millisecond},
		{name: "waiting for the replacement pod", pods: healthy(), window: 200 * time.Millisecond, cancel: 700 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := liveCluster(t, tt.pods...)
			if tt.edit != nil {
				tt.edit(s)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			judge := func(ctx context.Context, st *podstate.State) []CheckResult {
				return JudgeLive(ctx, s.CS, target, tt.window, LiveOptions{Replicas: 2, ReadyTimeout: time.Minute, Replace: true})
			}
			time.AfterFunc(tt.cancel, cancel)
			t0 := time.Now()
			v, err := JudgeFixWith(ctx, s.CS, "scn", target, nil, []Check{staticCheck("rule", Pass("ok"))}, judge)
			took := time.Since(t0) - tt.cancel
			require.Error(t, err, "verdict: %+v", v)
			assert.True(t, errors.Is(err, podstate.ErrInterrupted), err.Error())
			assert.True(t, errors.Is(err, context.Canceled), err.Error())
			assert.False(t, v.Passed)
			assert.Less(t, took, time.Second, "ends within a second of the interrupt")
		})
	}
}

// A context deadline of the caller is an interruption too, not the grader's
// own timeout: the message must not claim pods were slow.
func TestJudgeLiveCallerDeadlineIsInterrupted(t *testing.T) {
	s, _ := liveCluster(t, curPod("web-cur-a", ready()), curPod("web-cur-b", notReady()))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got := JudgeLive(ctx, s.CS, target, time.Minute, LiveOptions{Replicas: 2, ReadyTimeout: time.Minute})
	require.Len(t, got, 1)
	assert.False(t, got[0].Passed)
	assert.Contains(t, got[0].Message, "interrupted")
	assert.NotContains(t, got[0].Message, "not all pods Ready")
}

// Static rules run again on the objects as they are after the live checks:
// pausing, reverting or editing the workload while it is watched fails.
func TestJudgeFixWithRechecksTheFinalObjects(t *testing.T) {
	tests := []struct {
		name      string
		during    func(d *appsv1.Deployment)
		wantFirst string
	}{
		{name: "paused during the window", during: func(d *appsv1.Deployment) { d.Spec.Paused = true; d.Generation++ }, wantFirst: "unchanged-during-check"},
		{name: "scaled during the window", during: func(d *appsv1.Deployment) { d.Spec.Replicas = int32p(5); d.Generation++ }, wantFirst: "unchanged-during-check"},
		{name: "left alone", during: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := liveCluster(t, curPod("web-cur-a", ready()))
			judge := func(ctx context.Context, _ *podstate.State) []CheckResult {
				if tt.during != nil {
					d, err := s.CS.AppsV1().Deployments(testNS).Get(ctx, target.Name, metav1.GetOptions{})
					require.NoError(t, err)
					tt.during(d)
					_, err = s.CS.AppsV1().Deployments(testNS).Update(ctx, d, metav1.UpdateOptions{})
					require.NoError(t, err)
				}
				return []CheckResult{{Name: "stays-up", Passed: true, Message: "m"}}
			}
			v, err := JudgeFixWith(context.Background(), s.CS, "scn", target, nil, []Check{WorkloadKept(2)}, judge)
			require.NoError(t, err)
			if tt.during == nil {
				assert.True(t, v.Passed, "%+v", v.Checks)
				assert.Equal(t, []string{"workload-kept", "stays-up"}, checkNames(v.Checks), "passing rules are not repeated")
				return
			}
			assert.False(t, v.Passed)
			var failed []string
			for _, c := range v.Checks {
				if !c.Passed {
					failed = append(failed, c.Name)
				}
			}
			require.NotEmpty(t, failed)
			assert.Equal(t, tt.wantFirst, failed[0])
			assert.Contains(t, failed, "workload-kept", "the static rule itself refuses the final object")
		})
	}
}

func TestEnvTakesTheLastDuplicateAsTheKubeletDoes(t *testing.T) {
	c := &corev1.Container{Env: []corev1.EnvVar{
		{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Key: "database_url"}}},
		{Name: "OTHER", Value: "x"},
		{Name: "DATABASE_URL", Value: "postgres://placeholder"},
	}}
	e := podstate.Env(c, "DATABASE_URL")
	require.NotNil(t, e)
	assert.Equal(t, "postgres://placeholder", e.Value)
	assert.Nil(t, e.ValueFrom)
	assert.Nil(t, podstate.Env(c, "MISSING"))
}

func TestBrokenPodsGone(t *testing.T) {
	broken := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/web:v1", Args: []string{"--exit-code=0"},
		LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}}}}}}
	// asRunning is the broken template as the API server returns it in a pod:
	// defaults filled in.
	asRunning := func() corev1.PodSpec {
		s := *broken.DeepCopy()
		s.RestartPolicy = corev1.RestartPolicyAlways
		p := s.Containers[0].LivenessProbe
		p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold = 10, 1, 1, 3
		p.HTTPGet.Scheme = corev1.URISchemeHTTP
		s.Containers[0].TerminationMessagePath = "/dev/termination-log"
		return s
	}
	f := newRolloutFixture()
	dep := f.Dep
	pod := func(name string, owners []metav1.OwnerReference, spec corev1.PodSpec, edit ...func(*corev1.Pod)) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), OwnerReferences: owners}, Spec: spec,
			Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		for _, e := range edit {
			e(&p)
		}
		return p
	}
	orphanRS := owner("ReplicaSet", "web-orphan", "orphan-uid")
	fixed := asRunning()
	fixed.Containers[0].Args = []string{"--exit-code=0", "--serve"}
	job := asRunning()
	job.RestartPolicy = corev1.RestartPolicyNever
	now := metav1.Now()
	tests := []struct {
		name  string
		pods  []corev1.Pod
		cur   []string
		final bool
		pass  bool
		rss   []appsv1.ReplicaSet // besides the rollout fixture's
	}{
		{name: "an orphaned ReplicaSet's broken pod is refused", pods: []corev1.Pod{pod("p1", orphanRS, asRunning())}},
		{name: "a bare pod with the broken template is refused", pods: []corev1.Pod{pod("p1", nil, asRunning())}},
		{name: "a Job's pod of the same program is another template", pods: []corev1.Pod{pod("p1", owner("Job", "j", "j-uid"), job)}, pass: true},
		{name: "fixed pods pass", pods: []corev1.Pod{pod("p1", orphanRS, fixed)}, pass: true},
		{name: "the current ReplicaSet's pods are the live checks' business", pods: []corev1.Pod{pod("p1", owner("ReplicaSet", "web-cur", f.RSCur.UID), asRunning())}, cur: []string{"p1"}, pass: true},
		{name: "an old ReplicaSet's pod is spared mid-rollout", pods: []corev1.Pod{pod("p1", owner("ReplicaSet", "web-old", f.RSOld.UID), asRunning())}, pass: true},
		{name: "an old ReplicaSet's pod is refused after the live checks", pods: []corev1.Pod{pod("p1", owner("ReplicaSet", "web-old", f.RSOld.UID), asRunning())}, final: true},
		{name: "a terminating broken pod is on its way out", pods: []corev1.Pod{pod("p1", orphanRS, asRunning(), func(p *corev1.Pod) { p.DeletionTimestamp = &now })}, pass: true},
		{name: "a pod whose Deployment was just deleted is being collected", pods: []corev1.Pod{pod("p1", owner("ReplicaSet", "web-gone", "gone-rs-uid"), asRunning())}, pass: true,
			rss: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "web-gone", UID: "gone-rs-uid", OwnerReferences: owner("Deployment", "deleted", "deleted-uid")}}}},
		{name: "a pod whose ReplicaSet is gone is being collected", pods: []corev1.Pod{pod("p1", owner("ReplicaSet", "web-gone", "gone-rs-uid"), asRunning())}, pass: true},
		{name: "a finished broken pod runs nothing", pods: []corev1.Pod{pod("p1", orphanRS, asRunning(), func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })}, pass: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &podstate.State{Target: target, Deployment: dep, Pods: tt.pods, Final: tt.final,
				ReplicaSets: append([]appsv1.ReplicaSet{*f.RSCur, *f.RSOld, {ObjectMeta: metav1.ObjectMeta{Name: "web-orphan", UID: "orphan-uid"}}}, tt.rss...), Deployments: []appsv1.Deployment{*dep}}
			for _, p := range tt.pods {
				for _, c := range tt.cur {
					if p.Name == c {
						s.Current = append(s.Current, p)
					}
				}
			}
			r := BrokenPodsGone(broken).Run(s)
			assert.Equal(t, tt.pass, r.Passed, r.Message)
		})
	}
}

func TestChoiceEvidenceMustBeSpecificAndHoldOnOneContainer(t *testing.T) {
	term := func(reason string, code int32, msg string) *podstate.Termination {
		return &podstate.Termination{Reason: reason, ExitCode: code, Message: msg, NodeTrouble: podstate.NodeTrouble(msg)}
	}
	pod := func(name string, c podstate.ContainerFacts) podstate.PodFacts {
		c.Name = "app"
		return podstate.PodFacts{Name: name, Containers: []podstate.ContainerFacts{c}}
	}
	missingBinary := []string{"lastReason=StartError", "lastMessage~no such file or directory"}
	freeze := "failed to create shim task: OCI runtime start failed: error setting cgroup config for procHooks process: unable to freeze: unknown"
	tests := []struct {
		name     string
		pods     []podstate.PodFacts
		evidence []string
		holds    bool
	}{
		{name: "reason and message on the same container", evidence: missingBinary, holds: true,
			pods: []podstate.PodFacts{pod("a", podstate.ContainerFacts{Last: term("StartError", 128, "exec: \"/app/server\": stat /app/server: no such file or directory")})}},
		{name: "a node's cgroup hiccup is no evidence of a missing binary", evidence: missingBinary,
			pods: []podstate.PodFacts{pod("a", podstate.ContainerFacts{Last: term("StartError", 128, freeze)}), pod("b", podstate.ContainerFacts{Last: term("Error", 255, ""), PreviousLog: "exec /workload: exec format error"})}},
		{name: "reason on one pod and message on another do not add up", evidence: []string{"lastReason=Error", "log~exec format error"},
			pods: []podstate.PodFacts{pod("a", podstate.ContainerFacts{Last: term("Error", 1, "")}), pod("b", podstate.ContainerFacts{Last: term("Completed", 0, ""), PreviousLog: "exec format error"})}},
		{name: "exec format error with its reason on one container", evidence: []string{"lastReason=Error", "log~exec format error"}, holds: true,
			pods: []podstate.PodFacts{pod("a", podstate.ContainerFacts{Last: term("StartError", 128, freeze)}), pod("b", podstate.ContainerFacts{Last: term("Error", 255, ""), PreviousLog: "exec /workload: exec format error"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holds, _ := ChoiceHolds(podstate.Facts{Found: true, Pods: tt.pods}, "app", tt.evidence)
			assert.Equal(t, tt.holds, holds)
		})
	}
	t.Run("a reason or exit code alone is refused at load time", func(t *testing.T) {
		for _, ev := range [][]string{{"lastReason=StartError"}, {"lastExitCode=137"}, {"lastReason=Error", "!log~fatal"}, {"event=Killing"}} {
			q := Question{ID: "q", Prompt: "p", Choices: []Choice{{ID: "a", Evidence: ev}, {ID: "b", Evidence: []string{"log~x"}}}}
			assert.ErrorContains(t, q.Validate(), "names no message", "%v", ev)
		}
		for _, ev := range [][]string{{"lastReason=OOMKilled"}, {"missingSecretKey"}, {"event=Killing", "eventMessage~liveness"}} {
			q := Question{ID: "q", Prompt: "p", Choices: []Choice{{ID: "a", Evidence: ev}, {ID: "b", Evidence: []string{"log~x"}}}}
			assert.NoError(t, q.Validate(), "%v", ev)
		}
	})
	t.Run("node trouble is named in the status line", func(t *testing.T) {
		p := pod("a", podstate.ContainerFacts{Last: term("StartError", 128, freeze)})
		assert.Contains(t, p.Summary(), "node trouble, not the incident")
	})
}

// readySince marks the pod Ready since at, its container running since then.
func readySince(at time.Time) podOpt {
	return func(p *corev1.Pod) {
		ready()(p)
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(at)
		p.Status.ContainerStatuses[0].State.Running.StartedAt = metav1.NewTime(at)
	}
}

// A workload fixed and stable for longer than the window is not watched for
// another window before the pod replacement; one that just became Ready is.
func TestJudgeLiveCreditsStabilityThePodsAlreadyShow(t *testing.T) {
	const window = 2 * time.Second
	long, recent := time.Now().Add(-time.Hour), time.Now().Add(-time.Second)
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		watched bool
	}{
		{name: "Ready for an hour", pods: []*corev1.Pod{curPod("web-cur-a", readySince(long)), curPod("web-cur-b", readySince(long))}},
		{name: "one pod Ready for a second", pods: []*corev1.Pod{curPod("web-cur-a", readySince(long)), curPod("web-cur-b", readySince(recent))}, watched: true},
		{name: "Ready for an hour but a run ended a second ago", watched: true, pods: []*corev1.Pod{curPod("web-cur-a", readySince(long)),
			curPod("web-cur-b", readySince(long), lastTerm("Error", 1, recent.Add(-time.Second), recent))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := liveCluster(t, tt.pods...)
			t0 := time.Now()
			got := JudgeLive(context.Background(), s.CS, target, window, LiveOptions{Replicas: 2, ReadyTimeout: 5 * time.Second})
			took := time.Since(t0)
			assert.Equal(t, []string{"pods-ready", "stays-up"}, checkNames(got))
			for _, c := range got {
				assert.True(t, c.Passed, c.Message)
			}
			if tt.watched {
				assert.GreaterOrEqual(t, took, window, "watched for the whole window")
			} else {
				assert.Less(t, took, window/2, "credited from the pods' own record")
				assert.Contains(t, got[1].Message, "longer than the")
			}
		})
	}
}

// A run the node cut short (its cgroup could not be frozen under load) while
// the fix rolls out is not the fix failing: the kubelet retries, and the
// grader waits for that, where a real crash fails at once.
func TestJudgeLiveIgnoresTheNodesOwnTrouble(t *testing.T) {
	freeze := "failed to create shim task: OCI runtime start failed: error setting cgroup config for procHooks process: unable to freeze: unknown"
	hiccup := func(p *corev1.Pod) {
		st := &p.Status.ContainerStatuses[0]
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
		st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "StartError", ExitCode: 128, Message: freeze, FinishedAt: metav1.NewTime(t0.Add(2 * time.Hour))}}
		st.RestartCount = 1
		setReady(p, false)
	}
	s, _ := liveCluster(t, curPod("web-cur-a", notReady()), curPod("web-cur-b", ready()))
	s.Kubelet(func(sg watchSignal) bool {
		switch sg.Seq {
		case 1:
			s.UpdatePod("web-cur-a", hiccup)
		case 2:
			s.UpdatePod("web-cur-a", func(p *corev1.Pod) { ready()(p); restarts(2)(p) })
			return true
		}
		return false
	})
	got := JudgeLive(context.Background(), s.CS, target, 300*time.Millisecond, liveOpts(s, LiveOptions{Replicas: 2, ReadyTimeout: 5 * time.Second}))
	assert.Equal(t, []string{"pods-ready", "stays-up"}, checkNames(got))
	for _, c := range got {
		assert.True(t, c.Passed, c.Message)
	}
}
