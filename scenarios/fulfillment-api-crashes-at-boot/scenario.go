// Package dependencywait is the scenario where an app checks its database once
// at start and exits when it does not answer yet: after every cold start it
// crash-loops until the database is ready, then recovers by itself.
package dependencywait

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crashlab/crashlab/internal/shellwords"
	"github.com/crashlab/crashlab/podstate"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks, Live: live}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "fulfillment-api-crashes-at-boot"

const (
	// dbName names the database's Deployment and its Service.
	dbName      = "orders-db"
	dbContainer = "db"
	dbPort      = "5432"
	// The app's flags that say how long it keeps trying its database: the
	// app's own configuration, which a fix may set.
	retriesFlag  = "dial-retries"
	intervalFlag = "dial-interval"
)

func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	var baseDB *corev1.Container
	if d := b.Deployment(dbName); d != nil {
		for i := range d.Spec.Template.Spec.Containers {
			if d.Spec.Template.Spec.Containers[i].Name == dbContainer {
				baseDB = &d.Spec.Template.Spec.Containers[i]
			}
		}
	}
	dbUnchanged := grader.AppUnchanged(baseDB, grader.AppParts{Image: true, Command: true, Args: true, ReadinessProbe: true, StartupProbe: true},
		"orders-db's image, arguments or probes changed: the database really needs its time to start, and its readiness probe is what tells clients when it can serve; leave it alone and make the app wait for it",
		"orders-db runs as released, with its readiness probe")
	return []grader.Check{
		grader.WorkloadKept(b.Workload.Replicas),
		{Name: "app-unchanged", Run: func(s *podstate.State) grader.Result { return appUnchanged(base, s.Container()) }},
		{Name: "db-unchanged", Run: func(s *podstate.State) grader.Result {
			var db *corev1.Container
			for i := range s.Deployments {
				if d := &s.Deployments[i]; d.Name == dbName {
					if d.Spec.Replicas != nil && *d.Spec.Replicas != 1 {
						return grader.Fail("Deployment %s runs %d replicas instead of 1: every replica needs the same time to start, so more of them do not make the database ready sooner", dbName, *d.Spec.Replicas)
					}
					// The shared rule reads the target's container: judge
					// the database's Deployment as if it were the target.
					view := *s
					view.Target = podstate.Target{Namespace: s.Target.Namespace, Kind: podstate.KindDeployment, Name: dbName, Container: dbContainer}
					view.Deployment = d
					db = view.Container()
					if db == nil {
						return grader.Fail("Deployment %s has no container %s any more", dbName, dbContainer)
					}
					return dbUnchanged.Run(&view)
				}
			}
			return grader.Fail("Deployment %s is gone: the app needs its database; make the app wait for it instead", dbName)
		}},
		{Name: "waits-for-db", Run: func(s *podstate.State) grader.Result {
			return waitsForDB(s.TargetPodSpec(), s.Container(), s.Target.Namespace, dbStartTime(s))
		}},
	}
}

// appUnchanged allows exactly one change to the app: how long it keeps trying
// its database (--dial-retries, --dial-interval), which is its own
// configuration. Image, command and every other argument stay as released,
// --dial=orders-db:5432 above all.
func appUnchanged(base, c *corev1.Container) grader.Result {
	switch {
	case c == nil:
		return grader.Fail("the app's container is missing")
	case base == nil:
		return grader.Fail("the lab's record of the released container is missing")
	case c.Image != base.Image || !slices.Equal(c.Command, base.Command):
		return grader.Fail("the app's image or command changed: the release must run as it is; make it wait for orders-db instead")
	}
	want, _ := flagValue(base.Args, "dial")
	if got, ok := flagValue(c.Args, "dial"); !ok {
		return grader.Fail("the app no longer checks its database at start (--dial is gone): it would then fail on its first query instead, later and less clearly; keep the check and make it wait")
	} else if got != want {
		return grader.Fail("the app now checks %s instead of its database %s: something else answering proves nothing about orders-db; keep --dial=%s", got, want, want)
	}
	if !slices.Equal(withoutFlags(c.Args, retriesFlag, intervalFlag), withoutFlags(base.Args, retriesFlag, intervalFlag)) {
		return grader.Fail("the app's arguments changed beyond how long it retries its database (--%s, --%s): put the released arguments back", retriesFlag, intervalFlag)
	}
	return grader.Pass("the app runs as released and still checks %s at start", want)
}

// dbStartTime is how long orders-db needs after a start before it is ready,
// as its live arguments state (--start-delay), 45s when they do not say.
func dbStartTime(s *podstate.State) time.Duration {
	for _, d := range s.Deployments {
		if d.Name != dbName {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == dbContainer {
				if v, ok := flagValue(c.Args, "start-delay"); ok {
					if d, err := time.ParseDuration(v); err == nil {
						return d
					}
				}
			}
		}
	}
	return 45 * time.Second
}

// waitMargin is how much longer than the database's start a wait must last:
// the readiness probe reports the database ready a few seconds after it is.
const waitMargin = 15 * time.Second

// patience is how long a program with these flags keeps trying its
// dependency: one try right away, then one per retry, an interval apart.
func patience(flags []string) (retries int, interval, total time.Duration) {
	retries, _ = strconv.Atoi(flagOr(flags, retriesFlag, "0"))
	interval, err := time.ParseDuration(flagOr(flags, intervalFlag, "1s"))
	if err != nil {
		interval = time.Second
	}
	return retries, interval, time.Duration(retries) * interval
}

// waitsForDB finds what makes the app wait for its database: an init
// container that tries orders-db until it answers, or the app's own retries,
// for longer than the database needs to start.
func waitsForDB(spec *corev1.PodSpec, app *corev1.Container, ns string, dbStart time.Duration) grader.Result {
	need := dbStart + waitMargin
	if spec == nil || app == nil {
		return grader.Fail("the app's pod template or container is missing")
	}
	var problems []string
	for _, ic := range spec.InitContainers {
		if ic.RestartPolicy != nil && *ic.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			continue // a sidecar: the app starts next to it, without waiting
		}
		for _, argv := range programs(ic) {
			flags := argv[1:]
			target, dials := flagValue(flags, "dial")
			if !dials {
				if _, sleeps := flagValue(flags, "run-for"); sleeps {
					problems = append(problems, fmt.Sprintf("init container %s only sleeps (--run-for): a fixed pause is too short on a slow cold start and wastes time on every other start; make it try orders-db until it answers", ic.Name))
				}
				continue
			}
			if !isDB(target, ns) {
				problems = append(problems, fmt.Sprintf("init container %s waits for %s, not for the database the app uses (orders-db:%s)", ic.Name, target, dbPort))
				continue
			}
			retries, interval, total := patience(flags)
			if retries <= 0 {
				problems = append(problems, fmt.Sprintf("init container %s tries orders-db only once: without --%s it fails at once while the database starts, like the app did", ic.Name, retriesFlag))
				continue
			}
			if total < need {
				problems = append(problems, fmt.Sprintf("init container %s gives up after about %s (%d retries, %s apart), but orders-db needs %s after a start before it is ready: wait at least %s", ic.Name, total, retries, interval, dbStart, need))
				continue
			}
			code, set := flagValue(flags, "exit-code")
			if !set || code != "0" {
				problems = append(problems, fmt.Sprintf("init container %s never ends with success once orders-db answers (it needs --exit-code=0, or the workload waits for a signal): the app container would never start", ic.Name))
				continue
			}
			return grader.Result{Passed: true, Approach: "init-container",
				Message: fmt.Sprintf("init container %s tries %s for about %s (%d retries, %s apart) before the app starts", ic.Name, target, total, retries, interval)}
		}
	}
	if retries, interval, total := patience(app.Args); retries > 0 {
		if total < need {
			return grader.Fail("the app now retries its database, but gives up after about %s (%d retries, %s apart) while orders-db needs %s after a start: let it try for at least %s", total, retries, interval, dbStart, need)
		}
		return grader.Result{Passed: true, Approach: "app-retries",
			Message: fmt.Sprintf("the app keeps trying its database for about %s (%d retries, %s apart) before it gives up", total, retries, interval)}
	}
	if len(problems) > 0 {
		return grader.Fail("%s", strings.Join(problems, "; "))
	}
	return grader.Fail("nothing waits for orders-db: the app still tries it once at start and exits 1 while the database is starting, after every cold start; add an init container that waits for it, or let the app retry (--%s)", retriesFlag)
}

// isDB tells whether host:port names the orders-db Service on its port, by
// its short or a longer DNS name.
func isDB(hostport, ns string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != dbPort {
		return false
	}
	for _, name := range []string{dbName, dbName + "." + ns, dbName + "." + ns + ".svc", dbName + "." + ns + ".svc.cluster.local"} {
		if strings.TrimSuffix(host, ".") == name {
			return true
		}
	}
	return false
}

// programs returns the argument vectors of the lab's program a container
// runs: directly, through the image's default entrypoint, behind
// /sbin/tini, or as commands of a `sh -c` script.
func programs(c corev1.Container) [][]string {
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 {
		argv = append([]string{"/workload"}, c.Args...)
	}
	return shellwords.Programs(argv, "workload")
}

// flagValue reads a flag as Go's flag package does: -name=v, --name=v,
// -name v or --name v; the last occurrence wins.
func flagValue(args []string, name string) (string, bool) {
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n := strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(n, "="); ok {
			if k == name {
				val, found = v, true
			}
			continue
		}
		if n == name && i+1 < len(args) {
			val, found = args[i+1], true
			i++
		}
	}
	return val, found
}

func flagOr(args []string, name, def string) string {
	if v, ok := flagValue(args, name); ok {
		return v
	}
	return def
}

// withoutFlags drops the named flags (and a separate value after them).
func withoutFlags(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		n := strings.TrimLeft(args[i], "-")
		if strings.HasPrefix(args[i], "-") {
			k, _, hasValue := strings.Cut(n, "=")
			if slices.Contains(names, k) {
				if !hasValue {
					i++
				}
				continue
			}
		}
		out = append(out, args[i])
	}
	return out
}

// live runs the shared judge of the app (Ready, stable for the window), after
// checking that the database's Service still only sends clients to a ready
// database, and then a cold start: the database and the app lose their pods
// together, as after a node or cluster restart, and the app's new pods must
// become Ready without a single restart.
func live(c kubernetes.Interface, ns string, b scenarios.Baseline, opt grader.LiveOptions) grader.LiveJudge {
	s := Scenario()
	opt.Replicas = b.Workload.Replicas
	opt.FailsWithin = s.FailsWithin.Duration
	t := s.Target(ns)
	shared := grader.WorkloadLive(c, t, b.TargetPodSpec(), opt)
	var baseSvc *corev1.Service
	for _, o := range b.Objects {
		if svc, ok := o.(*corev1.Service); ok && svc.Name == dbName {
			baseSvc = svc
		}
	}
	return func(ctx context.Context, st *podstate.State) []grader.CheckResult {
		svc := serviceKept(ctx, c, ns, baseSvc)
		out := []grader.CheckResult{svc}
		if !svc.Passed {
			return out
		}
		rs := shared(ctx, st)
		out = append(out, rs...)
		for _, r := range rs {
			if !r.Passed {
				return out
			}
		}
		if ctx.Err() != nil {
			return out
		}
		return append(out, coldStart(ctx, c, t, opt))
	}
}

// serviceKept reads the database's Service: it must still select the
// database's pods on its port and publish only ready ones.
func serviceKept(ctx context.Context, c kubernetes.Interface, ns string, base *corev1.Service) grader.CheckResult {
	r := grader.CheckResult{Name: "service-unchanged"}
	svc, err := c.CoreV1().Services(ns).Get(ctx, dbName, metav1.GetOptions{})
	if err != nil {
		r.Message = fmt.Sprintf("Service %s: %v: the app reaches its database through it; put it back", dbName, err)
		return r
	}
	if why := serviceChange(base, svc); why != "" {
		r.Message = fmt.Sprintf("Service %s %s: it must still send clients only to a ready database; put it back as released and make the app wait instead", dbName, why)
		return r
	}
	r.Passed, r.Message = true, fmt.Sprintf("Service %s still sends clients only to a ready orders-db", dbName)
	return r
}

// serviceChange says how svc differs from the released Service in what
// decides where clients land ("" when it does not).
func serviceChange(base, svc *corev1.Service) string {
	if base == nil {
		return "has no record in the lab"
	}
	switch {
	case svc.Spec.PublishNotReadyAddresses:
		return "publishes not-ready addresses (publishNotReadyAddresses), so clients reach a database that is still starting"
	case svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP:
		return fmt.Sprintf("is now of type %s", svc.Spec.Type)
	case len(svc.Spec.Selector) != len(base.Spec.Selector):
		return "selects other pods"
	}
	for k, v := range base.Spec.Selector {
		if svc.Spec.Selector[k] != v {
			return "selects other pods"
		}
	}
	if len(svc.Spec.Ports) != len(base.Spec.Ports) {
		return "has other ports"
	}
	for i, p := range base.Spec.Ports {
		q := svc.Spec.Ports[i]
		if q.Port != p.Port || q.TargetPort.String() != p.TargetPort.String() {
			return "has other ports"
		}
	}
	return ""
}

// coldStart deletes the database's and the app's pods together and waits for
// the app's replacements to become Ready, failing at the first restart of
// any of their containers (init containers included).
func coldStart(ctx context.Context, c kubernetes.Interface, t podstate.Target, opt grader.LiveOptions) grader.CheckResult {
	r := grader.CheckResult{Name: "cold-start"}
	progress := opt.Progress
	if progress == nil {
		progress = func(string) {}
	}
	// The database alone needs 45s after a start; leave room for the app.
	timeout := opt.ReadyTimeout
	if timeout < 2*time.Minute {
		timeout = 2 * time.Minute
	}
	ns := t.Namespace
	dep, err := c.AppsV1().Deployments(ns).Get(ctx, dbName, metav1.GetOptions{})
	if err != nil {
		r.Message = fmt.Sprintf("read Deployment %s: %v", dbName, err)
		return r
	}
	dbSelector := metav1.FormatLabelSelector(dep.Spec.Selector)
	dbPods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: dbSelector})
	if err != nil {
		r.Message = fmt.Sprintf("list the pods of %s: %v", dbName, err)
		return r
	}
	appPods, err := podstate.CurrentPods(ctx, c, t)
	if err != nil {
		r.Message = fmt.Sprintf("list the pods of %s: %v", t.Name, err)
		return r
	}
	gone := map[types.UID]bool{}
	var names []string
	for _, p := range append(dbPods.Items, appPods...) {
		uid := p.UID
		err := c.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			r.Message = fmt.Sprintf("delete pod %s: %v", p.Name, err)
			return r
		}
		gone[uid] = true
		names = append(names, p.Name)
	}
	started := time.Now()
	progress(fmt.Sprintf("cold start: deleted %s together; waiting up to %s for new pods of %s to become Ready without a restart", strings.Join(names, ", "), timeout.Round(time.Second), t.Name))
	fresh := func(pods []corev1.Pod) []corev1.Pod {
		var out []corev1.Pod
		for _, p := range pods {
			if !gone[p.UID] && p.DeletionTimestamp == nil {
				out = append(out, p)
			}
		}
		return out
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		pods, err := podstate.CurrentPods(ctx, c, t)
		if err != nil && ctx.Err() == nil {
			r.Message = fmt.Sprintf("list the pods of %s: %v", t.Name, err)
			return r
		}
		apps := fresh(pods)
		for i := range apps {
			if msg := restarted(ctx, c, &apps[i]); msg != "" {
				r.Message = msg + " during the cold start: the app still does not wait for orders-db, which needs about 45s after a start to be ready"
				return r
			}
		}
		var dbReadyAt time.Time
		if list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: dbSelector}); err == nil {
			for _, p := range fresh(list.Items) {
				if at, ok := readySince(&p); ok && (dbReadyAt.IsZero() || at.Before(dbReadyAt)) {
					dbReadyAt = at
				}
			}
		}
		ready := 0
		var appReadyAt time.Time
		for i := range apps {
			if at, ok := readySince(&apps[i]); ok {
				ready++
				if appReadyAt.IsZero() || at.Before(appReadyAt) {
					appReadyAt = at
				}
			}
		}
		if ready == len(apps) && int32(ready) == opt.Replicas && !dbReadyAt.IsZero() {
			// Both times come from the node's kubelet, to the second.
			if appReadyAt.Before(dbReadyAt.Add(-time.Second)) {
				r.Message = fmt.Sprintf("a new pod of %s was Ready at %s, before orders-db was (%s): it cannot have connected to a ready database", t.Name, appReadyAt.Format(time.TimeOnly), dbReadyAt.Format(time.TimeOnly))
				return r
			}
			r.Passed = true
			r.Message = fmt.Sprintf("after deleting the pods of orders-db and %s together, the new pods of %s waited for the database and became Ready without a restart (%s after the cold start)", t.Name, t.Name, time.Since(started).Round(time.Second))
			return r
		}
		progress(fmt.Sprintf("cold start: %d of %d new pods of %s Ready, orders-db %s", ready, opt.Replicas, t.Name, map[bool]string{true: "ready", false: "not ready yet"}[!dbReadyAt.IsZero()]))
		select {
		case <-ctx.Done():
			r.Message = "interrupted"
			return r
		case <-deadline:
			r.Message = fmt.Sprintf("the new pods of %s were not all Ready %s after the cold start (%d of %d)", t.Name, timeout.Round(time.Second), ready, opt.Replicas)
			return r
		case <-tick.C:
		}
	}
}

// readySince is when the pod last became Ready, if it is.
func readySince(p *corev1.Pod) (time.Time, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time, c.Status == corev1.ConditionTrue
		}
	}
	return time.Time{}, false
}

// nodeTroubleSigns are runtime messages of the node's own trouble (a cgroup
// not set up under load), not of the app: the kubelet retries those.
var nodeTroubleSigns = []string{"error setting cgroup config", "unable to freeze", "no space left on device", "resource temporarily unavailable", "context deadline exceeded"}

func nodeTrouble(msg string) bool {
	m := strings.ToLower(msg)
	return slices.ContainsFunc(nodeTroubleSigns, func(s string) bool { return strings.Contains(m, s) })
}

// restarted describes a container of the pod (init containers included) that
// ended in failure or restarted, with the last lines of its previous log; ""
// when none did.
func restarted(ctx context.Context, c kubernetes.Interface, p *corev1.Pod) string {
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, st := range statuses {
		term := st.LastTerminationState.Terminated
		previous := true
		if term == nil && st.State.Terminated != nil && st.State.Terminated.ExitCode != 0 {
			term, previous = st.State.Terminated, false
		}
		if term == nil && st.RestartCount == 0 {
			continue
		}
		if term != nil && nodeTrouble(term.Message) {
			continue
		}
		what := fmt.Sprintf("container %s of new pod %s restarted", st.Name, p.Name)
		if term != nil {
			what = fmt.Sprintf("container %s of new pod %s ended (%s, exit code %d)", st.Name, p.Name, term.Reason, term.ExitCode)
		}
		if log := lastLog(ctx, c, p, st.Name, previous); log != "" {
			what += fmt.Sprintf(" with %q", log)
		}
		return what
	}
	return ""
}

// lastLog is the last line of a container's (previous) log, best effort.
func lastLog(ctx context.Context, c kubernetes.Interface, p *corev1.Pod, container string, previous bool) string {
	tail := int64(1)
	rc, err := c.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &tail}).Stream(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1024))
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "unable to retrieve container logs") {
		return ""
	}
	return s
}
