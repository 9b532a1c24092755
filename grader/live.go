package grader

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/crashlab/crashlab/podstate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// LiveOptions tune the live part of fix grading.
type LiveOptions struct {
	Replicas int32
	// FailsWithin is how long the broken workload takes to fail after it starts;
	// the stability window must be longer than this.
	FailsWithin  time.Duration
	MinWindow    time.Duration // floor for the stability window
	ReadyTimeout time.Duration // how long to wait for pods to become Ready
	Progress     func(string)  // says what the grader is waiting for
	// Replace deletes one pod after the window and requires its replacement to
	// come up healthy: a fix made inside a running container does not survive.
	Replace bool
	// evaluated, for tests, runs after each look at the pods that did not end
	// the wait, so a simulated kubelet acts once the grader has seen a state.
	evaluated func()
}

func (o *LiveOptions) defaults() {
	if o.MinWindow == 0 {
		o.MinWindow = 10 * time.Second
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// reportSlack covers the kubelet's status reporting and the time between a
// container's start and its first probe.
const reportSlack = 5 * time.Second

// StabilityWindow derives how long Ready pods must stay up from the workload's
// own timing: the broken app's time to fail and, per container, how long the
// liveness probe takes to give up. The startup probe is not counted: until it
// succeeds the pod is not Ready, and waiting for Ready already covers it.
func StabilityWindow(d *appsv1.Deployment, failsWithin, floor time.Duration) time.Duration {
	if d == nil {
		return StabilityWindowFor(nil, failsWithin, floor)
	}
	return StabilityWindowFor(&d.Spec.Template.Spec, failsWithin, floor)
}

// StabilityWindowFor is StabilityWindow for any pod template.
func StabilityWindowFor(spec *corev1.PodSpec, failsWithin, floor time.Duration) time.Duration {
	w := failsWithin + reportSlack
	if spec != nil {
		for _, c := range spec.Containers {
			probes := probeBudget(c.LivenessProbe) + reportSlack
			if probes > w {
				w = probes
			}
		}
	}
	if w < floor {
		w = floor
	}
	return w
}

func probeBudget(p *corev1.Probe) time.Duration {
	if p == nil {
		return 0
	}
	period, threshold := p.PeriodSeconds, p.FailureThreshold
	if period == 0 {
		period = 10
	}
	if threshold == 0 {
		threshold = 3
	}
	return time.Duration(p.InitialDelaySeconds+period*threshold+p.TimeoutSeconds) * time.Second
}

// termMark identifies a container's last termination, to tell a new crash
// from one that happened before the check started.
type termMark struct {
	finished time.Time
	restarts int32
}

type live struct {
	c     kubernetes.Interface
	t     podstate.Target
	opt   LiveOptions
	cache *podstate.Cache
	// started is when the judge began watching.
	started time.Time
}

// current returns the target's current pods (the one reader's choice) from
// the namespace cache.
func (l *live) current(context.Context) ([]corev1.Pod, error) {
	pods, found, err := l.cache.Current(l.t)
	if err == nil && !found {
		err = fmt.Errorf("%s %s is gone", l.t.Kind, l.t.Name)
	}
	return pods, err
}

// until re-evaluates eval on every change in the namespace until eval says
// done, returns an error, or the deadline d passes (then onTimeout is the
// error). Returning on the first failure is what makes a broken fix fail fast.
// When the caller's context ends first (Ctrl-C, SIGTERM, its own deadline) the
// error is ErrInterrupted: an interrupted wait is never a pass or a timeout.
func (l *live) until(ctx context.Context, d time.Duration, eval func([]corev1.Pod) (bool, error), onTimeout func() error) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	ended := func(err error) error {
		if parent.Err() != nil {
			return podstate.Interrupted(parent)
		}
		if ctx.Err() != nil {
			return onTimeout()
		}
		return err
	}
	for {
		pods, err := l.current(ctx)
		if err != nil {
			return ended(err)
		}
		if done, err := eval(pods); done || err != nil {
			return err
		}
		if l.opt.evaluated != nil {
			l.opt.evaluated()
		}
		select {
		case <-ctx.Done():
			return ended(nil)
		case <-l.cache.Changed():
			// Anything changed in the namespace: look again.
		}
	}
}

// crashTracker remembers each container's last termination when first seen.
type crashTracker map[string]termMark

func (ct crashTracker) key(p *corev1.Pod, c string) string { return string(p.UID) + "/" + c }

// crashed returns a description of a termination that happened after the pod
// was first seen (or any termination of a pod first seen later, if fresh).
// A run that began before notBefore is not held against the fix: a
// container created before the judge began watching ran with what it had
// then (a fix to a ConfigMap reaches a crash-looping container at its next
// start, not the one the kubelet was already starting); the next run is.
func (ct crashTracker) crashed(p *corev1.Pod, fresh bool, notBefore time.Time) string {
	for _, st := range p.Status.ContainerStatuses {
		k := ct.key(p, st.Name)
		term := podstate.LastTermination(&st)
		// A run the node itself cut short (its cgroup could not be set up
		// under load) says nothing about the fix: the kubelet retries it.
		if term != nil && (podstate.NodeTrouble(term.Message) != "" || runBegan(term).Before(notBefore)) {
			ct[k] = termMark{restarts: st.RestartCount, finished: term.FinishedAt.Time}
			continue
		}
		mark, seen := ct[k]
		if !seen {
			if term != nil && fresh {
				return describeTermination(p.Name, st.Name, term)
			}
			m := termMark{restarts: st.RestartCount}
			if term != nil {
				m.finished = term.FinishedAt.Time
			}
			ct[k] = m
			continue
		}
		if term != nil && term.FinishedAt.Time.After(mark.finished) {
			return describeTermination(p.Name, st.Name, term)
		}
	}
	return ""
}

// runBegan is when a terminated run started; a run that never started
// (StartError reports the Unix epoch) counts from when it failed.
func runBegan(t *corev1.ContainerStateTerminated) time.Time {
	if t.StartedAt.Time.After(time.Unix(0, 0)) {
		return t.StartedAt.Time
	}
	return t.FinishedAt.Time
}

func describeTermination(pod, container string, t *corev1.ContainerStateTerminated) string {
	msg := ""
	if t.Message != "" {
		msg = fmt.Sprintf(": %q", firstLineOf(t.Message))
	}
	return fmt.Sprintf("container %s of pod %s terminated again (%s, exit code %d%s)", container, pod, t.Reason, t.ExitCode, msg)
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// stuck names waiting reasons that do not heal by themselves on this cluster.
var stuckReasons = map[string]string{
	"ErrImageNeverPull": "the image is not on the node",
	"ImagePullBackOff":  "the image cannot be pulled (no registry is reachable from the lab)",
	"ErrImagePull":      "the image cannot be pulled (no registry is reachable from the lab)",
	"InvalidImageName":  "the image name is invalid",
}

func waitingSummary(pods []corev1.Pod) string {
	var parts []string
	for _, p := range pods {
		if podstate.PodReady(&p) {
			continue
		}
		s := p.Name + " not Ready"
		for _, st := range p.Status.ContainerStatuses {
			if st.State.Waiting != nil && st.State.Waiting.Reason != "" {
				s = fmt.Sprintf("%s is %s (restarts %d)", p.Name, st.State.Waiting.Reason, st.RestartCount)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// waitReady waits until the expected number of current pods are all Ready,
// failing on a crash after the check started or on a waiting reason that
// cannot heal. skip names a pod to ignore (one being replaced).
func (l *live) waitReady(ctx context.Context, ct crashTracker, fresh bool, skip types.UID) (string, error) {
	var last []corev1.Pod
	var ready []string
	err := l.until(ctx, l.opt.ReadyTimeout, func(pods []corev1.Pod) (bool, error) {
		last = nil
		for _, p := range pods {
			if p.UID != skip {
				last = append(last, p)
			}
		}
		allReady := int32(len(last)) == l.opt.Replicas
		for i := range last {
			p := &last[i]
			if msg := ct.crashed(p, fresh, l.started); msg != "" {
				return false, fmt.Errorf("%s while waiting for Ready: the fix does not hold", msg)
			}
			for _, st := range p.Status.ContainerStatuses {
				if w := st.State.Waiting; w != nil {
					if why, ok := stuckReasons[w.Reason]; ok {
						return false, fmt.Errorf("pod %s is %s: %s", p.Name, w.Reason, why)
					}
				}
			}
			if !podstate.PodReady(p) {
				allReady = false
			}
		}
		if allReady {
			ready = nil
			for _, p := range last {
				ready = append(ready, p.Name)
			}
			return true, nil
		}
		l.opt.Progress(fmt.Sprintf("waiting for %d Ready pod(s) of %s: %s", l.opt.Replicas, l.t.Name, orNone(waitingSummary(last), fmt.Sprintf("%d of %d pods exist", len(last), l.opt.Replicas))))
		return false, nil
	}, func() error {
		return fmt.Errorf("not all pods Ready after %s: %s", l.opt.ReadyTimeout, orNone(waitingSummary(last), fmt.Sprintf("%d of %d pods exist", len(last), l.opt.Replicas)))
	})
	return strings.Join(ready, ", "), err
}

func orNone(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// holdStable watches the current pods for window and fails on any restart,
// crash, loss of readiness, or change of the pod set.
func (l *live) holdStable(ctx context.Context, ct crashTracker, window time.Duration) error {
	var names map[string]bool
	restarts := map[string]int32{}
	err := l.until(ctx, window, func(pods []corev1.Pod) (bool, error) {
		now := map[string]bool{}
		for i := range pods {
			p := &pods[i]
			now[p.Name] = true
			if names != nil && !names[p.Name] {
				return false, fmt.Errorf("pod %s appeared during the window: the workload is being replaced or rescheduled", p.Name)
			}
			if msg := ct.crashed(p, false, time.Time{}); msg != "" {
				return false, fmt.Errorf("%s during the stability window", msg)
			}
			for _, st := range p.Status.ContainerStatuses {
				k := p.Name + "/" + st.Name
				if r, ok := restarts[k]; ok && st.RestartCount > r {
					return false, fmt.Errorf("container %s of pod %s restarted during the stability window", st.Name, p.Name)
				}
				restarts[k] = st.RestartCount
			}
			if !podstate.PodReady(p) {
				return false, fmt.Errorf("pod %s stopped being Ready during the stability window", p.Name)
			}
		}
		if names == nil {
			names = now
		}
		for n := range names {
			if !now[n] {
				return false, fmt.Errorf("pod %s went away during the stability window", n)
			}
		}
		return false, nil
	}, func() error { return nil })
	return err
}

// waitObserved waits until the workload's controller has acted on the latest
// spec: right after an edit the new ReplicaSet (or revision) may not exist
// yet, and judging the old crash-looping pods would fail a good fix. Kinds
// without such a controller pass at once.
func (l *live) waitObserved(ctx context.Context) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, l.opt.ReadyTimeout)
	defer cancel()
	for {
		observed, err := l.cache.Observed(l.t)
		if err != nil {
			return err
		}
		if observed {
			return nil
		}
		l.opt.Progress(fmt.Sprintf("waiting for the %s controller to roll out %s", l.t.Kind, l.t.Name))
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return podstate.Interrupted(parent)
			}
			return fmt.Errorf("the %s controller did not pick up the change to %s within %s", l.t.Kind, l.t.Name, l.opt.ReadyTimeout)
		case <-l.cache.Changed():
		}
	}
}

// JudgeLive runs the live checks in order: pods Ready, stable for the window,
// and (optionally) a replaced pod healthy too. It stops at the first failure.
func JudgeLive(ctx context.Context, c kubernetes.Interface, t podstate.Target, window time.Duration, opt LiveOptions) []CheckResult {
	opt.defaults()
	l := &live{c: c, t: t, opt: opt, started: time.Now()}
	var err error
	if l.cache, err = podstate.NewCache(ctx, c, t.Namespace); err != nil {
		return []CheckResult{{Name: "pods-ready", Message: err.Error()}}
	}
	defer l.cache.Stop()
	ct := crashTracker{}
	var out []CheckResult
	add := func(name string, err error, okMsg string) bool {
		if err != nil {
			out = append(out, CheckResult{Name: name, Passed: false, Message: err.Error()})
			return false
		}
		out = append(out, CheckResult{Name: name, Passed: true, Message: okMsg})
		return true
	}
	if err := l.waitObserved(ctx); err != nil {
		add("pods-ready", err, "")
		return out
	}
	ready, err := l.waitReady(ctx, ct, false, "")
	if !add("pods-ready", err, fmt.Sprintf("all %d pod(s) of the current revision are Ready (%s)", opt.Replicas, ready)) {
		return out
	}
	stableMsg := fmt.Sprintf("no restart and no lost readiness for %s", window.Round(time.Second))
	if pods, cerr := l.current(ctx); cerr == nil && len(pods) > 0 && stableFor(pods, time.Now()) >= window+clockSlack {
		// The pods' own record shows them Ready and unrestarted for longer
		// than the window already: watching another window proves nothing new.
		stableMsg = fmt.Sprintf("every pod has been Ready, with no restart, for at least %s (longer than the %s window)", stableFor(pods, time.Now()).Round(time.Second), window.Round(time.Second))
		err = nil
	} else {
		opt.Progress(fmt.Sprintf("watching %s for %s: no restart may happen (the broken version fails within %s)", t.Name, window.Round(time.Second), opt.FailsWithin))
		err = l.holdStable(ctx, ct, window)
	}
	if !add("stays-up", err, stableMsg) || !opt.Replace {
		return out
	}
	pods, err := l.current(ctx)
	if err == nil && len(pods) == 0 {
		err = fmt.Errorf("no pod left to replace")
	}
	if err != nil {
		add("survives-restart", err, "")
		return out
	}
	victim := pods[0]
	opt.Progress(fmt.Sprintf("deleting pod %s to check that a fresh pod comes up healthy too", victim.Name))
	uid := victim.UID
	if err := c.CoreV1().Pods(t.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil {
		add("survives-restart", fmt.Errorf("delete pod %s: %w", victim.Name, err), "")
		return out
	}
	ready, err = l.waitReady(ctx, ct, true, uid)
	if err == nil {
		opt.Progress(fmt.Sprintf("watching the replacement for %s", window.Round(time.Second)))
		err = l.holdStable(ctx, ct, window)
	}
	if err != nil {
		err = fmt.Errorf("after pod %s was replaced: %w (a change made inside a running container, or to one pod, does not survive a restart)", victim.Name, err)
	}
	add("survives-restart", err, fmt.Sprintf("pod %s was replaced and the new pods (%s) came up and stayed healthy", victim.Name, ready))
	return out
}

// LiveJudge watches the live workload after the static checks passed.
type LiveJudge func(ctx context.Context, s *podstate.State) []CheckResult

// DeploymentLive is WorkloadLive for a Deployment target.
func DeploymentLive(c kubernetes.Interface, t podstate.Target, opt LiveOptions) LiveJudge {
	return func(ctx context.Context, s *podstate.State) []CheckResult {
		window := StabilityWindowFor(s.TargetPodSpec(), opt.FailsWithin, orDefault(opt.MinWindow, 10*time.Second))
		return JudgeLive(ctx, c, t, window, opt)
	}
}

// JudgeFix runs the static checks and, when all pass, the Deployment live ones.
func JudgeFix(ctx context.Context, c kubernetes.Interface, scenario string, t podstate.Target, recorded map[string]string, checks []Check, live *LiveOptions) (Verdict, error) {
	var lj LiveJudge
	if live != nil {
		lj = DeploymentLive(c, t, *live)
	}
	return JudgeFixWith(ctx, c, scenario, t, recorded, checks, lj)
}

// JudgeFixWith runs the static checks and, when all pass, the live judge;
// then it reads the namespace again and runs the static checks on the final
// objects, so a learner who reverts, pauses or edits the workload while it is
// being watched does not pass. A context that ends during any of it (Ctrl-C,
// SIGTERM, a deadline) makes it return ErrInterrupted: nothing half-watched
// is a verdict.
func JudgeFixWith(ctx context.Context, c kubernetes.Interface, scenario string, t podstate.Target, recorded map[string]string, checks []Check, live LiveJudge) (Verdict, error) {
	v := Verdict{Kind: "fix", Scenario: scenario}
	s, err := podstate.LoadState(ctx, c, t, recorded)
	if err != nil {
		return v, readError(ctx, err)
	}
	if !runStatic(&v, checks, s, "") || live == nil {
		if live != nil {
			v.add("live", false, "not watched: fix the failing rules above first")
		}
		v.finish()
		return v, nil
	}
	liveResults := live(ctx, s)
	if ctx.Err() != nil {
		return v, podstate.Interrupted(ctx)
	}
	v.Checks = append(v.Checks, liveResults...)
	final, err := podstate.LoadState(ctx, c, t, recorded)
	if err != nil {
		return v, readError(ctx, err)
	}
	// After a passing watch the rollout is over and nothing is spared; after
	// a failed one it may be cut short, and the rules judge it as mid-rollout.
	final.Final = allPassed(liveResults)
	if changed := changedDuring(s, final); changed != "" {
		v.add("unchanged-during-check", false, changed+" while the check was watching: the verdict would judge objects that no longer exist; run `check` again once your edit is done")
	}
	runStatic(&v, checks, final, "after the live checks: ")
	v.finish()
	return v, nil
}

func allPassed(rs []CheckResult) bool {
	for _, r := range rs {
		if !r.Passed {
			return false
		}
	}
	return len(rs) > 0
}

// runStatic adds every check's result (failures only when prefix is set, as the
// repeat on the final objects) and reports whether all passed.
func runStatic(v *Verdict, checks []Check, s *podstate.State, prefix string) bool {
	ok := true
	for _, ch := range checks {
		r := ch.Run(s)
		if r.Approach != "" && prefix == "" {
			v.Approach = r.Approach
		}
		if !r.Passed {
			ok = false
		}
		if prefix == "" || !r.Passed {
			v.add(ch.Name, r.Passed, prefix+r.Message)
		}
	}
	return ok
}

// readError turns a read cut short by the caller's context into ErrInterrupted.
func readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return podstate.Interrupted(ctx)
	}
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// clockSlack covers a difference between this machine's clock and the node's,
// which stamps the times stableFor reads.
const clockSlack = 2 * time.Second

// stableFor is how long every pod has been Ready with every container running
// since, read from the pods' own status: the Ready condition's transition time
// and each container's start (a restart moves both). Zero when any pod is not
// Ready, has a container that is not running, or finished a run since.
func stableFor(pods []corev1.Pod, now time.Time) time.Duration {
	least := time.Duration(-1)
	for i := range pods {
		p := &pods[i]
		var since time.Time
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				since = c.LastTransitionTime.Time
			}
		}
		if since.IsZero() {
			return 0
		}
		for _, st := range p.Status.ContainerStatuses {
			if st.State.Running == nil {
				return 0
			}
			if t := st.State.Running.StartedAt.Time; t.After(since) {
				since = t
			}
			if lt := st.LastTerminationState.Terminated; lt != nil && lt.FinishedAt.Time.After(since) {
				since = lt.FinishedAt.Time
			}
		}
		if d := now.Sub(since); least < 0 || d < least {
			least = d
		}
	}
	if least < 0 {
		return 0
	}
	return least
}
