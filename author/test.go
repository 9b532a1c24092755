package author

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// Step names of a live test's rows.
const (
	StepFailure   = "failure"   // deployed, and the failure signature shows
	StepTeaches   = "teaches"   // every fact the texts state, re-observed
	StepDiagnosis = "diagnosis" // the intended answers pass, the wrong ones fail
	StepReset     = "reset"     // reset brings the failure back
	StepFix       = "fix"       // one fixes/ file, judged by a real check
)

// Row is one line of a live test's table.
type Row struct {
	Incident string `json:"incident"`
	Step     string `json:"step"`
	// Fix is the fixes/ file's name, for a fix row.
	Fix    string `json:"fix,omitempty"`
	Passed bool   `json:"passed"`
	// Detail says what was seen: the approach, the refusing check, or what
	// went wrong.
	Detail  string  `json:"detail"`
	Seconds float64 `json:"seconds"`
}

// TestOptions tune Test.
type TestOptions struct {
	// Service builds the lab service of a learner on a catalogue of the
	// incidents under test (as the folder says them, not as any build
	// embeds them): each fix runs under its own learner name, in its own
	// namespace, as the e2e suite does.
	Service func(learner string, c lab.Catalog) (*lab.Service, error)
	// Client reads the pods and applies the fixes as a learner would.
	Client kubernetes.Interface
	Values scenarios.Values
	// Parallel bounds how many fixes run at once (default 4): a node has
	// room for so many crash-looping pods.
	Parallel int
	// Only limits the run to these incident ids (all when empty).
	Only []string
	// Progress hears each row as it is decided.
	Progress func(Row)
	// LabVersion is crashlab's version, which pack.yaml's range must allow.
	LabVersion string

	catalog lab.Catalog
}

// Catalog is a lab catalogue of exactly these incidents.
type Catalog []scenarios.Scenario

// All is every incident.
func (c Catalog) All() []scenarios.Scenario { return c }

// Get finds an incident by id.
func (c Catalog) Get(id string) (scenarios.Scenario, error) {
	for _, s := range c {
		if s.ID == id {
			return s, nil
		}
	}
	return scenarios.Scenario{}, fmt.Errorf("no incident %q in the folder under test", id)
}

// Learner is the learner name of a test's diagnosis run; every fix runs
// under its own file name.
const Learner = "author"

// failureWait bounds the wait for a failure, a fact or an after signature.
const failureWait = 3 * time.Minute

// Test proves a pack or an incident on a live cluster, as a learner meets
// it: it deploys each incident, waits for its failure signature,
// re-observes every fact its texts state, diagnoses it with the intended
// answers (from the live pods and diagnosis.yaml) and with the wrong ones,
// resets it, then replays every fixes/ file under its own learner and
// checks it with the lab's real check: the accepted ones pass with their
// approach, the shortcuts are refused first by the check they name. Every
// namespace it made is deleted at the end. The rows come back in order
// incident by incident; the error is for what stops the whole run (a
// folder that is not a pack, a cancelled context).
func Test(ctx context.Context, dir string, opt TestOptions) ([]Row, error) {
	_, list, err := Load(dir, opt.LabVersion)
	if err != nil {
		return nil, err
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 4
	}
	if opt.Progress == nil {
		opt.Progress = func(Row) {}
	}
	opt.catalog = Catalog(list)
	var rows []Row
	for _, s := range list {
		if len(opt.Only) > 0 && !slices.Contains(opt.Only, s.ID) {
			continue
		}
		folder, err := fixes.LoadFolder(filepath.Join(incidentDir(dir, s), "fixes"), s)
		if err != nil {
			r := Row{Incident: s.ID, Step: StepFailure, Detail: "fixes/: " + firstLine(err.Error()) + " (crashlab author validate lists every problem)"}
			opt.Progress(r)
			rows = append(rows, r)
			continue
		}
		rows = append(rows, testIncident(ctx, s, folder, opt)...)
		if err := ctx.Err(); err != nil {
			return rows, fmt.Errorf("%w: %w", podstate.ErrInterrupted, err)
		}
	}
	return rows, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// testIncident runs one incident: the diagnosis run and the fixes at once.
func testIncident(ctx context.Context, s scenarios.Scenario, folder fixes.Folder, opt TestOptions) []Row {
	var mu sync.Mutex
	var rows []Row
	add := func(r Row) {
		r.Incident = s.ID
		opt.Progress(r)
		mu.Lock()
		rows = append(rows, r)
		mu.Unlock()
	}
	sem := make(chan struct{}, opt.Parallel)
	var wg sync.WaitGroup
	run := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			fn()
		}()
	}
	run(func() { diagnosisRun(ctx, s, folder, opt, add) })
	for _, fx := range folder.Fixes {
		run(func() { fixRun(ctx, s, fx, opt, add) })
	}
	wg.Wait()
	// In the order a reader expects: the diagnosis run's steps, then the
	// fixes as fixes/ lists them.
	order := map[string]int{StepFailure: 0, StepTeaches: 1, StepDiagnosis: 2, StepReset: 3}
	slices.SortStableFunc(rows, func(a, b Row) int {
		oa, ok := order[a.Step]
		if !ok {
			oa = 4 + slices.IndexFunc(folder.Fixes, func(f fixes.Fix) bool { return f.Name == a.Fix })
		}
		ob, ok := order[b.Step]
		if !ok {
			ob = 4 + slices.IndexFunc(folder.Fixes, func(f fixes.Fix) bool { return f.Name == b.Fix })
		}
		return oa - ob
	})
	return rows
}

func timed(step, fix string, t0 time.Time) Row {
	return Row{Step: step, Fix: fix, Seconds: time.Since(t0).Round(100 * time.Millisecond).Seconds()}
}

// diagnosisRun is the learner's first half: start, the failure, the facts,
// the diagnosis both ways, a reset.
func diagnosisRun(ctx context.Context, s scenarios.Scenario, folder fixes.Folder, opt TestOptions, add func(Row)) {
	t0 := time.Now()
	svc, err := opt.Service(Learner, opt.catalog)
	if err != nil {
		r := timed(StepFailure, "", t0)
		r.Detail = err.Error()
		add(r)
		return
	}
	ns, _ := svc.Namespace(s.ID)
	defer cleanup(opt.Client, ns)
	f, err := startAndFail(ctx, svc, s)
	r := timed(StepFailure, "", t0)
	if err != nil {
		r.Detail = err.Error()
		add(r)
		return
	}
	r.Passed, r.Detail = true, "the signature shows: "+strings.Join(s.Signature, ", ")
	add(r)

	t0 = time.Now()
	missing := unmet(f, s.Workload.Container, s.Teaches)
	if len(missing) > 0 {
		// The kubelet records an event a moment after the status it goes with.
		if later, err := podstate.NewObserver(opt.Client).WaitForSignature(ctx, s.Target(ns), s.Teaches, failureWait, nil); err == nil {
			f = later
		}
		missing = unmet(f, s.Workload.Container, s.Teaches)
	}
	r = timed(StepTeaches, "", t0)
	r.Passed = len(missing) == 0
	r.Detail = fmt.Sprintf("%d facts seen on the pods", len(s.Teaches))
	if !r.Passed {
		r.Detail = "the texts state what the cluster does not show: " + strings.Join(missing, ", ")
	}
	add(r)

	t0 = time.Now()
	r = timed(StepDiagnosis, "", t0)
	r.Passed, r.Detail = diagnose(ctx, svc, s, folder.Diagnosis, opt)
	r.Seconds = time.Since(t0).Round(100 * time.Millisecond).Seconds()
	add(r)

	t0 = time.Now()
	_, err = svc.Reset(ctx, s.ID)
	if err == nil {
		_, err = svc.WaitForFailure(ctx, s.ID, failureWait)
	}
	r = timed(StepReset, "", t0)
	r.Passed, r.Detail = err == nil, "reset brings the failure back"
	if err != nil {
		r.Detail = "after reset: " + err.Error()
	}
	add(r)
}

func startAndFail(ctx context.Context, svc *lab.Service, s scenarios.Scenario) (podstate.Facts, error) {
	if _, err := svc.Start(ctx, s.ID); err != nil && !errors.Is(err, scenarios.ErrAlreadyStarted) {
		return podstate.Facts{}, fmt.Errorf("start: %w", err)
	}
	f, err := svc.WaitForFailure(ctx, s.ID, failureWait)
	if err != nil {
		return f, fmt.Errorf("the failure signature %v did not show within %s: %w", s.Signature, failureWait, err)
	}
	return f, nil
}

func unmet(f podstate.Facts, container string, facts []string) []string {
	var out []string
	for _, fact := range facts {
		if ok, err := podstate.Evidence(f, container, fact); err != nil || !ok {
			out = append(out, fact)
		}
	}
	return out
}

// diagnose answers with the intended answers (facts read from the live
// pods, choices from diagnosis.yaml), which must pass, then with the wrong
// ones, each of which must be marked wrong. A pod being restarted shows no
// previous state for a moment: the right answers get three tries.
func diagnose(ctx context.Context, svc *lab.Service, s scenarios.Scenario, d fixes.Diagnosis, opt TestOptions) (bool, string) {
	var v grader.Verdict
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return false, "interrupted"
			case <-time.After(5 * time.Second):
			}
		}
		ns, _ := svc.Namespace(s.ID)
		f, ferr := podstate.NewObserver(opt.Client).Observe(ctx, s.Target(ns))
		if ferr != nil {
			err = ferr
			continue
		}
		right := map[string]string{}
		for _, q := range s.Questions {
			if q.Fact != "" {
				vals, _ := grader.FactValues(f, s.Workload.Container, q.Fact)
				if len(vals) > 0 {
					right[q.ID] = vals[0]
				}
				continue
			}
			right[q.ID] = d.Correct[q.ID]
		}
		if v, err = svc.Diagnose(ctx, s.ID, right); err == nil && v.Passed {
			break
		}
	}
	switch {
	case err != nil:
		return false, "the intended answers: " + err.Error()
	case !v.Passed:
		return false, "the intended answers are judged wrong: " + failedSummary(v)
	}
	wrong := map[string]string{}
	for _, q := range s.Questions {
		if w, ok := d.Wrong[q.ID]; ok {
			wrong[q.ID] = w
		}
	}
	if len(wrong) == 0 {
		return true, "the intended answers pass"
	}
	v, err = svc.Diagnose(ctx, s.ID, wrong)
	if err != nil {
		return false, "the wrong answers: " + err.Error()
	}
	for _, c := range v.Checks {
		if _, asked := wrong[c.Name]; asked && c.Passed {
			return false, fmt.Sprintf("the wrong answer %q to %s is judged right", wrong[c.Name], c.Name)
		}
	}
	if len(wrong) == 1 {
		return true, "the intended answers pass; the wrong answer is marked wrong"
	}
	return true, fmt.Sprintf("the intended answers pass; the %d wrong answers are marked wrong", len(wrong))
}

// fixRun plays one fixes/ file: start under its own learner, apply, check.
func fixRun(ctx context.Context, s scenarios.Scenario, fx fixes.Fix, opt TestOptions, add func(Row)) {
	t0 := time.Now()
	r := Row{Step: StepFix, Fix: fx.Name}
	defer func() {
		r.Seconds = time.Since(t0).Round(100 * time.Millisecond).Seconds()
		add(r)
	}()
	svc, err := opt.Service(fx.Name, opt.catalog)
	if err != nil {
		r.Detail = err.Error()
		return
	}
	ns, _ := svc.Namespace(s.ID)
	defer cleanup(opt.Client, ns)
	if _, err := startAndFail(ctx, svc, s); err != nil {
		r.Detail = err.Error()
		return
	}
	if err := fixes.Apply(ctx, opt.Client, ns, opt.Values, fx); err != nil {
		r.Detail = "apply: " + err.Error()
		return
	}
	v, err := svc.Check(ctx, s.ID, lab.CheckOptions{ReadyTimeout: failureWait})
	if err == nil && fx.Expect == fixes.ExpectPass && !v.Passed && OnlyLiveFailed(v) && len(ProbeTimeouts(ctx, opt.Client, ns)) > 0 {
		// On a node loaded to its limit the kubelet's own probe timeouts
		// are the node, not the fix: one more check, never more.
		v, err = svc.Check(ctx, s.ID, lab.CheckOptions{ReadyTimeout: failureWait})
	}
	if err != nil {
		r.Detail = "check: " + err.Error()
		return
	}
	failed := failedNames(v)
	switch {
	case fx.Expect == fixes.ExpectPass && !v.Passed:
		r.Detail = "an accepted fix is refused: " + failedSummary(v)
		return
	case fx.Expect == fixes.ExpectPass && v.Approach != fx.Approach:
		r.Detail = fmt.Sprintf("passes with approach %q, the file says %q", v.Approach, fx.Approach)
		return
	case fx.Expect == fixes.ExpectPass:
		r.Detail = "passes: " + v.Approach
	case v.Passed:
		r.Detail = "a shortcut passes: " + fx.Why
		return
	case len(failed) == 0 || failed[0] != fx.RefusedBy:
		r.Detail = fmt.Sprintf("refused first by %s, the file says %s", failedSummary(v), fx.RefusedBy)
		return
	default:
		r.Detail = "refused by " + fx.RefusedBy
	}
	if fx.After != nil {
		sig, err := fixes.AfterSignature(ctx, opt.Client, ns, opt.Values, fx)
		if err == nil {
			_, err = podstate.NewObserver(opt.Client).WaitForSignature(ctx, s.Target(ns), sig, fx.After.Wait(), nil)
		}
		if err != nil {
			r.Detail = fmt.Sprintf("after the check, the pods do not show %v: %v", fx.After.Signature, err)
			return
		}
	}
	r.Passed = true
}

func failedNames(v grader.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return out
}

func failedSummary(v grader.Verdict) string {
	for _, c := range v.Checks {
		if !c.Passed {
			return c.Name + " (" + c.Message + ")"
		}
	}
	return "no check failed"
}

// OnlyLiveFailed reports whether every failed check of v watched pods over
// time (the others judge the objects as written).
func OnlyLiveFailed(v grader.Verdict) bool {
	failed := failedNames(v)
	for _, name := range failed {
		if !slices.Contains([]string{"pods-ready", "stays-up", "survives-restart"}, name) {
			return false
		}
	}
	return len(failed) > 0
}

// ProbeTimeouts are the namespace's probe failures that the kubelet
// reports as timeouts (its HTTP client's or the dial's), as opposed to a
// refused connection or a status.
func ProbeTimeouts(ctx context.Context, c kubernetes.Interface, ns string) []string {
	ev, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ev.Items {
		if e.Type == corev1.EventTypeWarning && e.Reason == "Unhealthy" &&
			(strings.Contains(e.Message, "Client.Timeout exceeded") || strings.Contains(e.Message, "context deadline exceeded") || strings.Contains(e.Message, "i/o timeout")) {
			out = append(out, e.InvolvedObject.Name+": "+e.Message)
		}
	}
	return out
}

// cleanup deletes a test's namespace, without waiting: the next run's
// start waits for a namespace still terminating.
func cleanup(c kubernetes.Interface, ns string) {
	if ns == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = cluster.DeleteNamespace(ctx, c, ns, 0)
}
