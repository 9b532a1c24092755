// Package pid1shell is the scenario where a start script keeps the shell as
// PID 1: the kernel drops the kubelet's SIGTERM, the app never hears it, and
// every stop waits out the whole grace period before SIGKILL (exit 137).
package pid1shell

import (
	"bufio"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crashlab/crashlab/internal/shellwords"
	"github.com/crashlab/crashlab/podstate"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks, Live: live}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "cart-api-stuck-terminating"

// sigtermLine is what the app prints when SIGTERM reaches it.
const sigtermLine = "got SIGTERM, shutting down"

// pid1Shell marks the released start: the shell stays PID 1. The static
// check lets it through so that the live stop test shows, on the cluster,
// what it does to a stop.
const pid1Shell = "pid1-shell: "

// defaultGrace is the API server's terminationGracePeriodSeconds when unset.
const defaultGrace = 30

func grace(spec *corev1.PodSpec) int64 {
	if spec == nil || spec.TerminationGracePeriodSeconds == nil {
		return defaultGrace
	}
	return *spec.TerminationGracePeriodSeconds
}

func checks(b scenarios.Baseline) []grader.Check {
	baseSpec := b.TargetPodSpec()
	base := b.TargetContainer()
	var released []string
	if base != nil {
		if ps := programs(*base); len(ps) > 0 {
			released = ps[0]
		}
	}
	baseGrace := grace(baseSpec)
	return []grader.Check{
		grader.WorkloadKept(b.Workload.Replicas),
		{Name: "grace-kept", Run: func(s *podstate.State) grader.Result {
			if g := grace(s.TargetPodSpec()); g < baseGrace {
				return grader.Fail("terminationGracePeriodSeconds is %d, below the released %d: a shorter wait only brings the SIGKILL sooner (still exit 137, still no clean shutdown) and takes the app's time to drain away; make SIGTERM reach the app instead", g, baseGrace)
			}
			return grader.Pass("the grace period is still at least %ds", baseGrace)
		}},
		{Name: "app-unchanged", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			switch {
			case c == nil:
				return grader.Fail("container %s is missing", s.Target.Container)
			case base == nil || released == nil:
				return grader.Fail("the lab's record of the released container is missing")
			case c.Image != base.Image:
				return grader.Fail("the image changed: the release must run as it is")
			}
			ps := programs(*c)
			if len(ps) == 0 {
				return grader.Fail("the container no longer runs the app (%s)", strings.Join(argv(*c), " "))
			}
			for _, p := range ps {
				if !slices.Equal(p[1:], released[1:]) {
					return grader.Fail("the app now runs with %q instead of the released %q: its arguments are not the problem (it already exits on SIGTERM, by default); change how it is started, not what it is told", strings.Join(p[1:], " "), strings.Join(released[1:], " "))
				}
			}
			return grader.Pass("the app runs as released (%s)", strings.Join(released, " "))
		}},
		{Name: "sigterm-reaches-app", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			spec := s.TargetPodSpec()
			if c == nil || spec == nil {
				return grader.Fail("container %s is missing", s.Target.Container)
			}
			shared := spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace
			approach, how, why := follow(argv(*c), !shared, "")
			if strings.HasPrefix(why, pid1Shell) {
				// The released way: the live stop test shows what it does,
				// and says it without giving the cause away here.
				return grader.Pass("the container starts the app as released, through its start script; the stop test below shows how a pod of it stops")
			}
			switch {
			case why != "":
				return grader.Fail("%s", why)
			case approach == "exec":
				return grader.Result{Passed: true, Approach: "exec", Message: how}
			case approach == "init":
				return grader.Result{Passed: true, Approach: "init", Message: how}
			}
			return grader.Result{Passed: true, Approach: "no-shell", Message: how}
		}},
	}
}

// argv is what the container runs: its command and args, or the image's
// entrypoint (/workload) with the args.
func argv(c corev1.Container) []string {
	if len(c.Command) == 0 {
		return append([]string{"/workload"}, c.Args...)
	}
	return append(append([]string{}, c.Command...), c.Args...)
}

// follow traces the kubelet's SIGTERM from the container's main process
// (pid1: it is PID 1 of its own namespace) to the app. It returns the
// approach and a sentence when the app gets it, or why it does not.
func follow(args []string, pid1 bool, via string) (approach, how, why string) {
	if len(args) == 0 {
		return "", "", "the container runs nothing"
	}
	switch path.Base(args[0]) {
	case "workload":
		switch via {
		case "":
			return "no-shell", "the app is the container's main process and gets the kubelet's SIGTERM itself", ""
		case "exec":
			return "exec", "the script execs the app, so the app takes over the shell's process and gets the kubelet's SIGTERM itself", ""
		default:
			return "init", "tini is PID 1 and passes the kubelet's SIGTERM on to the app", ""
		}
	case "tini":
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		if via == "" {
			via = "init"
		}
		// tini's child is not PID 1.
		return follow(rest, false, via)
	case "sh":
		if len(args) < 3 || args[1] != "-c" {
			return "", "", "the shell does not run the start script with -c"
		}
		for _, cmd := range shellwords.Split(args[2]) {
			words := cmd.Words
			exec := words[0] == "exec"
			if exec {
				words = words[1:]
			}
			if len(words) == 0 || !runsApp(words) {
				continue
			}
			if exec {
				if via == "" {
					via = "exec"
				}
				return follow(words, pid1, via)
			}
			if pid1 {
				return "", "", pid1Shell + "the shell is PID 1 and starts the app as its child: a PID 1 without a SIGTERM handler of its own does not get the signal at all (the kernel drops it), so the app never hears the kubelet's SIGTERM, and after the grace period SIGKILL ends them both (exit 137); `exec` the app, run it without the shell, or put an init in front that passes SIGTERM on"
			}
			return "", "", "the shell is no longer PID 1 (an init, or the pod's shared process namespace, is), so the kubelet's SIGTERM kills the shell, but the shell never passes it on: the app is killed with the container without being told, and it never shuts down cleanly (observed: exit 143 from the shell, no \"" + sigtermLine + "\" in the app's log); `exec` the app from the script, or start it without the shell"
		}
		return "", "", "the start script does not run the app any more"
	}
	return "", "", fmt.Sprintf("the container runs %s, not the app", args[0])
}

// runsApp tells whether a command starts the app, directly or through tini.
func runsApp(words []string) bool {
	switch path.Base(words[0]) {
	case "workload":
		return true
	case "tini":
		return slices.ContainsFunc(words[1:], func(w string) bool { return path.Base(w) == "workload" })
	}
	return false
}

// programs returns the argument vectors of the app (the lab's /workload) a
// container runs: directly, behind tini, or in a `sh -c` script.
func programs(c corev1.Container) [][]string {
	return shellwords.Programs(argv(c), "workload")
}

// live runs the shared judge (Ready, stable for the window), then stops one
// pod the way a rollout does and measures it: the app must get SIGTERM and
// the pod must stop well within its grace period; its replacement must come
// up Ready.
func live(c kubernetes.Interface, ns string, b scenarios.Baseline, opt grader.LiveOptions) grader.LiveJudge {
	s := Scenario()
	opt.Replicas = b.Workload.Replicas
	opt.FailsWithin = s.FailsWithin.Duration
	t := s.Target(ns)
	shared := grader.WorkloadLive(c, t, b.TargetPodSpec(), opt)
	return func(ctx context.Context, st *podstate.State) []grader.CheckResult {
		out := shared(ctx, st)
		for _, r := range out {
			if !r.Passed {
				return out
			}
		}
		if ctx.Err() != nil {
			return out
		}
		return append(out, stopOne(ctx, c, t, opt))
	}
}

// stopped is what one pod's stop showed.
type stopped struct {
	exitCode  int32
	reason    string
	finished  time.Time // the kubelet's
	requested time.Time // the API server's: deletionTimestamp minus the grace period
	seen      bool      // the terminated state was seen before the pod went
	gone      time.Duration
}

// stopOne deletes one current pod as a rollout would (its own grace period)
// and judges the stop from the pod's last status, its log and the time.
func stopOne(ctx context.Context, c kubernetes.Interface, t podstate.Target, opt grader.LiveOptions) grader.CheckResult {
	r := grader.CheckResult{Name: "stops-on-sigterm"}
	progress := opt.Progress
	if progress == nil {
		progress = func(string) {}
	}
	pods, err := podstate.CurrentPods(ctx, c, t)
	if err != nil || len(pods) == 0 {
		r.Message = fmt.Sprintf("no pod of %s to stop: %v", t.Name, err)
		return r
	}
	victim := pods[0]
	g := grace(&victim.Spec)
	pc := c.CoreV1().Pods(t.Namespace)

	// The log is followed from before the stop until the container ends: a
	// deleted pod's log is gone with it.
	logCtx, stopLog := context.WithCancel(ctx)
	defer stopLog()
	var mu sync.Mutex
	var gotSIGTERM bool
	logDone := make(chan struct{})
	since := metav1.NewTime(time.Now().Add(-time.Second))
	stream, err := pc.GetLogs(victim.Name, &corev1.PodLogOptions{Container: t.Container, Follow: true, SinceTime: &since}).Stream(logCtx)
	if err != nil {
		r.Message = fmt.Sprintf("follow the log of pod %s: %v", victim.Name, err)
		return r
	}
	go func() {
		defer close(logDone)
		defer stream.Close()
		sc := bufio.NewScanner(stream)
		for sc.Scan() {
			if strings.Contains(sc.Text(), sigtermLine) {
				mu.Lock()
				gotSIGTERM = true
				mu.Unlock()
			}
		}
	}()

	// A watch from now on (no resource version: it starts with the pod as it
	// is) sees the container's last status before the pod goes; a Get every
	// two seconds covers a watch that closes or misses the deletion.
	byName := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", victim.Name).String()}
	w, err := pc.Watch(ctx, byName)
	if err != nil {
		r.Message = fmt.Sprintf("watch pod %s: %v", victim.Name, err)
		return r
	}
	defer func() { w.Stop() }()
	progress(fmt.Sprintf("deleting pod %s (grace period %ds) to see how it stops", victim.Name, g))
	start := time.Now()
	uid := victim.UID
	if err := pc.Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
		r.Message = fmt.Sprintf("delete pod %s: %v", victim.Name, err)
		return r
	}
	var st stopped
	observe := func(p *corev1.Pod) {
		if p.UID != uid {
			return
		}
		if p.DeletionTimestamp != nil && st.requested.IsZero() {
			st.requested = p.DeletionTimestamp.Add(-time.Duration(g) * time.Second)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == t.Container && cs.State.Terminated != nil && !st.seen {
				term := cs.State.Terminated
				st.seen, st.exitCode, st.reason, st.finished = true, term.ExitCode, term.Reason, term.FinishedAt.Time
			}
		}
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	limit := time.After(time.Duration(g)*time.Second + 30*time.Second)
watching:
	for {
		select {
		case <-ctx.Done():
			r.Message = "interrupted"
			return r
		case <-limit:
			r.Message = fmt.Sprintf("pod %s was still there %s after its deletion", victim.Name, time.Since(start).Round(time.Second))
			return r
		case <-tick.C:
			p, err := pc.Get(ctx, victim.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) || (err == nil && p.UID != uid) {
				st.gone = time.Since(start)
				break watching
			}
			if err == nil {
				observe(p)
			}
		case ev, ok := <-w.ResultChan():
			if !ok {
				if w, err = pc.Watch(ctx, byName); err != nil {
					r.Message = fmt.Sprintf("watch pod %s: %v", victim.Name, err)
					return r
				}
				continue
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue
			}
			observe(p)
			if ev.Type == watch.Deleted && p.UID == uid {
				st.gone = time.Since(start)
				break watching
			}
		}
	}
	// The log stream ends with the container; give it a moment.
	select {
	case <-logDone:
	case <-time.After(5 * time.Second):
		stopLog()
	}
	mu.Lock()
	heard := gotSIGTERM
	mu.Unlock()

	took := st.gone
	if st.seen && !st.requested.IsZero() && !st.finished.IsZero() {
		// Both stamped by the cluster (API server and kubelet), to the second.
		took = st.finished.Sub(st.requested)
		if took < 0 {
			took = 0
		}
	}
	budget := time.Duration(g) * time.Second / 2
	ended := "it was gone before its last status could be read"
	if st.seen {
		ended = fmt.Sprintf("it ended with %s, exit code %d", st.reason, st.exitCode)
	}
	switch {
	case !heard:
		r.Message = fmt.Sprintf("pod %s took %s to stop (grace period %ds) and %s; the app never logged %q: the kubelet's SIGTERM did not reach it", victim.Name, took.Round(time.Second), g, ended, sigtermLine)
		if st.seen && st.exitCode == 137 {
			r.Message += " (137 = 128 + 9: SIGKILL after the grace period)"
		}
		return r
	case st.seen && st.exitCode == 137:
		r.Message = fmt.Sprintf("pod %s heard SIGTERM but was still SIGKILLed after %s (exit code 137)", victim.Name, took.Round(time.Second))
		return r
	case took > budget:
		r.Message = fmt.Sprintf("pod %s took %s to stop, more than half of its %ds grace period, although the app drains within a second", victim.Name, took.Round(time.Second), g)
		return r
	}
	progress(fmt.Sprintf("pod %s stopped in %s; waiting for its replacement to be Ready", victim.Name, took.Round(time.Second)))
	if err := waitReplaced(ctx, c, t, opt.Replicas, victim.UID, orDefault(opt.ReadyTimeout, 2*time.Minute)); err != nil {
		r.Message = fmt.Sprintf("pod %s stopped cleanly in %s, but %v", victim.Name, took.Round(time.Second), err)
		return r
	}
	r.Passed = true
	r.Message = fmt.Sprintf("pod %s stopped %s after its deletion (grace period %ds); %s, and the app logged %q: SIGTERM reached it; its replacement is Ready", victim.Name, took.Round(time.Second), g, ended, sigtermLine)
	return r
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// waitReplaced waits until the workload has its replicas Ready again, none of
// them the stopped pod.
func waitReplaced(ctx context.Context, c kubernetes.Interface, t podstate.Target, replicas int32, old types.UID, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pods, err := podstate.CurrentPods(ctx, c, t)
		if err == nil {
			ready := int32(0)
			for _, p := range pods {
				if p.UID == old || p.DeletionTimestamp != nil {
					continue
				}
				for _, cond := range p.Status.Conditions {
					if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
						ready++
					}
				}
			}
			if ready >= replicas {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replacement pod was not Ready within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
