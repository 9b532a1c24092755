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
	StepUnfixed   = "unfixed"   // the check refuses the incident as deployed
	StepDiagnosis = "diagnosis" // the intended answers pass, the wrong ones fail
	StepReset     = "reset"     // reset brings the failure back
	StepFix       = "fix"       // one fixes/ file, judged by a real check
	StepHook      = "hook"      // a caller's own step (Hooks) that failed
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
	// Events are the namespace's warnings when a row failed: what the
	// kubelet and the controllers said, read before the namespace goes.
	Events []string `json:"events,omitempty"`
}

// TestOptions tune Test.
type TestOptions struct {
	// Service builds the lab service of a learner on a catalogue of the
	// incidents under test (as the folder says them, not as any build
	// embeds them): each fix runs under its own learner name, in its own
	// namespace.
	Service func(learner string, c lab.Catalog) (*lab.Service, error)
	// Client reads the pods and applies the fixes as a learner would.
	Client kubernetes.Interface
	Values scenarios.Values
	// Parallel bounds how many jobs (an incident's diagnosis run, one fix)
	// Test runs at once (default 4): a node has room for so many
	// crash-looping pods.
	Parallel int
	// Only limits the run to these incident ids (all when empty).
	Only []string
	// Progress hears each row as it is decided.
	Progress func(Row)
	// LabVersion is crashlab's version, which pack.yaml's range must allow.
	LabVersion string
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

// DiagnosisJob is the name of an incident's diagnosis run among its jobs.
const DiagnosisJob = "failure-diagnosis-reset"

// failureWait bounds the wait for a failure, a fact or an after signature.
const failureWait = 3 * time.Minute

// unfixedWait bounds the check of the incident as deployed: it must refuse,
// and a look-alike's pods would only be waited on for readiness.
const unfixedWait = 30 * time.Second

// Job is one independent part of a live test: an incident's diagnosis run
// or one of its fixes/ files, each under its own learner and namespace.
// Jobs share nothing but the cluster, so a caller runs them at once: Test
// Parallel at a time, the e2e suite as parallel subtests.
type Job struct {
	Incident string
	// Name is DiagnosisJob or the fixes/ file's name.
	Name string
	// Fix is the fixes/ file of a fix job; nil for the diagnosis run.
	Fix *fixes.Fix
	run func(context.Context, Hooks, func(Row))
}

// Run plays the job and returns its rows in the order they were decided;
// h adds the caller's own steps (the zero Hooks adds none).
func (j Job) Run(ctx context.Context, h Hooks) []Row {
	var rows []Row
	j.run(ctx, h, func(r Row) { rows = append(rows, r) })
	return rows
}

// Attempt is a job's learner attempt as a hook sees it.
type Attempt struct {
	Incident  scenarios.Scenario
	Learner   string
	Namespace string
	Service   *lab.Service
	// Fix is the fixes/ file a fix job applied; nil in the diagnosis run.
	Fix *fixes.Fix
}

// Hooks let a caller read the pods its own way and add its own steps at a
// job's stages. A hook's error is a failed StepHook row; the job goes on.
type Hooks struct {
	// Answers, when set, reads the intended and the wrong answers instead
	// of the lab's own reading of the pods: a test of the lab reads pod
	// status itself, so a mistake in the lab's reading cannot pass it.
	Answers func(context.Context, Attempt) (right, wrong map[string]string, err error)
	// Broken runs once the failure and its facts showed and the check
	// refused the incident as deployed, before any diagnosis.
	Broken func(context.Context, Attempt) error
	// Diagnosed runs after the intended answers passed and the wrong ones
	// were marked wrong, before the reset; right are the answers that passed.
	Diagnosed func(ctx context.Context, a Attempt, right map[string]string) error
	// Fixed runs after an accepted fix passed with its approach.
	Fixed func(context.Context, Attempt, grader.Verdict) error
}

// Jobs are the live test of a pack or an incident folder, incident by
// incident: the diagnosis run, then one job per fixes/ file. An incident
// whose fixes/ folder does not load is one job that reports it.
func Jobs(dir string, opt TestOptions) ([]Job, error) {
	_, list, err := Load(dir, opt.LabVersion)
	if err != nil {
		return nil, err
	}
	cat := Catalog(list)
	var jobs []Job
	for _, s := range list {
		if len(opt.Only) > 0 && !slices.Contains(opt.Only, s.ID) {
			continue
		}
		folder, err := fixes.LoadFolder(filepath.Join(incidentDir(dir, s), "fixes"), s)
		if err != nil {
			first, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
			detail := "fixes/: " + first + " (crashlab author validate lists every problem)"
			jobs = append(jobs, Job{Incident: s.ID, Name: DiagnosisJob, run: func(_ context.Context, _ Hooks, add func(Row)) {
				add(Row{Incident: s.ID, Step: StepFailure, Detail: detail})
			}})
			continue
		}
		jobs = append(jobs, Job{Incident: s.ID, Name: DiagnosisJob, run: func(ctx context.Context, h Hooks, add func(Row)) {
			diagnosisRun(ctx, s, folder, opt, cat, h, stamped(s.ID, add))
		}})
		for _, fx := range folder.Fixes {
			jobs = append(jobs, Job{Incident: s.ID, Name: fx.Name, Fix: &fx, run: func(ctx context.Context, h Hooks, add func(Row)) {
				fixRun(ctx, s, fx, opt, cat, h, stamped(s.ID, add))
			}})
		}
	}
	return jobs, nil
}

func stamped(id string, add func(Row)) func(Row) {
	return func(r Row) {
		r.Incident = id
		add(r)
	}
}

// Test proves a pack or an incident on a live cluster, as a learner meets
// it: it deploys each incident, waits for its failure signature,
// re-observes every fact its texts state, sees the check refuse it as
// deployed, diagnoses it with the intended answers (from the live pods and
// diagnosis.yaml) and with the wrong ones, resets it, and replays every
// fixes/ file under its own learner with the lab's real check: the accepted
// ones pass with their approach, the shortcuts are refused first by the
// check they name. Every namespace it made is deleted as its job ends. The
// rows come back incident by incident, each incident's in the order of its
// steps and fixes/; the error is for what stops the whole run (a folder
// that is not a pack, a cancelled context).
func Test(ctx context.Context, dir string, opt TestOptions) ([]Row, error) {
	if opt.Parallel <= 0 {
		opt.Parallel = 4
	}
	if opt.Progress == nil {
		opt.Progress = func(Row) {}
	}
	jobs, err := Jobs(dir, opt)
	if err != nil {
		return nil, err
	}
	// Each job keeps its rows, decided in its steps' order; the jobs are in
	// the order a reader expects (incident by incident, the diagnosis run,
	// then the fixes as fixes/ lists them).
	perJob := make([][]Row, len(jobs))
	var progress sync.Mutex
	sem := make(chan struct{}, opt.Parallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			j.run(ctx, Hooks{}, func(r Row) {
				progress.Lock()
				opt.Progress(r)
				progress.Unlock()
				perJob[i] = append(perJob[i], r)
			})
		}()
	}
	wg.Wait()
	var rows []Row
	for _, r := range perJob {
		rows = append(rows, r...)
	}
	if err := ctx.Err(); err != nil {
		return rows, fmt.Errorf("%w: %w", podstate.ErrInterrupted, err)
	}
	return rows, nil
}

func timed(step, fix string, t0 time.Time) Row {
	return Row{Step: step, Fix: fix, Seconds: time.Since(t0).Round(100 * time.Millisecond).Seconds()}
}

// hook runs a caller's step; its error is a failed StepHook row.
func hook(add func(Row), fix, stage string, fn func() error) {
	t0 := time.Now()
	if err := fn(); err != nil {
		r := timed(StepHook, fix, t0)
		r.Detail = stage + ": " + err.Error()
		add(r)
	}
}

// diagnosisRun is the learner's first half: start, the failure, the facts,
// the unfixed check, the diagnosis both ways, a reset.
func diagnosisRun(ctx context.Context, s scenarios.Scenario, folder fixes.Folder, opt TestOptions, cat lab.Catalog, h Hooks, add func(Row)) {
	t0 := time.Now()
	svc, err := opt.Service(Learner, cat)
	if err != nil {
		r := timed(StepFailure, "", t0)
		r.Detail = err.Error()
		add(r)
		return
	}
	ns, _ := svc.Namespace(s.ID)
	defer cleanup(opt.Client, ns)
	report := add
	add = func(r Row) {
		if !r.Passed {
			r.Events = Warnings(ctx, opt.Client, ns)
		}
		report(r)
	}
	a := Attempt{Incident: s, Learner: Learner, Namespace: ns, Service: svc}
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
		// The kubelet records an event a moment after the status it goes
		// with, and under load a pod may wait for room on the node first.
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
	v, err := svc.Check(ctx, s.ID, lab.CheckOptions{ReadyTimeout: unfixedWait})
	r = timed(StepUnfixed, "", t0)
	switch {
	case err != nil:
		r.Detail = "check: " + err.Error()
	case v.Passed:
		r.Detail = "the check passes the incident as deployed, so any learner passes without a fix"
	default:
		r.Passed, r.Detail = true, "the check refuses it as deployed: "+failedSummary(v)
	}
	add(r)
	if h.Broken != nil {
		hook(add, "", "broken", func() error { return h.Broken(ctx, a) })
	}

	t0 = time.Now()
	answers := h.Answers
	if answers == nil {
		answers = func(ctx context.Context, a Attempt) (map[string]string, map[string]string, error) {
			return labAnswers(ctx, opt.Client, a, folder.Diagnosis)
		}
	}
	var right map[string]string
	r = timed(StepDiagnosis, "", t0)
	r.Passed, r.Detail, right = diagnose(ctx, a, answers)
	r.Seconds = time.Since(t0).Round(100 * time.Millisecond).Seconds()
	add(r)
	if r.Passed && h.Diagnosed != nil {
		hook(add, "", "diagnosed", func() error { return h.Diagnosed(ctx, a, right) })
	}

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

// labAnswers are the intended answers as the lab reads them: fact
// questions from the live pods, choices from diagnosis.yaml; the wrong ones
// are diagnosis.yaml's.
func labAnswers(ctx context.Context, c kubernetes.Interface, a Attempt, d fixes.Diagnosis) (map[string]string, map[string]string, error) {
	s := a.Incident
	f, err := podstate.NewObserver(c).Observe(ctx, s.Target(a.Namespace))
	if err != nil {
		return nil, nil, err
	}
	right, wrong := map[string]string{}, map[string]string{}
	for _, q := range s.Questions {
		if q.Fact != "" {
			if vals, _ := grader.FactValues(f, s.Workload.Container, q.Fact); len(vals) > 0 {
				right[q.ID] = vals[0]
			}
			continue
		}
		right[q.ID] = d.Correct[q.ID]
		if w, ok := d.Wrong[q.ID]; ok {
			wrong[q.ID] = w
		}
	}
	return right, wrong, nil
}

// diagnose answers with the intended answers, which must pass, then with
// the wrong ones, each of which must be marked wrong. A pod being
// restarted shows no previous state for a moment: the intended answers are
// read again and get three tries. It returns the answers that passed.
func diagnose(ctx context.Context, a Attempt, answers func(context.Context, Attempt) (map[string]string, map[string]string, error)) (bool, string, map[string]string) {
	var v grader.Verdict
	var right, wrong map[string]string
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return false, "interrupted", nil
			case <-time.After(5 * time.Second):
			}
		}
		var w map[string]string
		if right, w, err = answers(ctx, a); err != nil {
			continue
		}
		if try == 0 {
			wrong = w // the first reading's: a wrong answer gets no retry
		}
		if v, err = a.Service.Diagnose(ctx, a.Incident.ID, right); err == nil && v.Passed {
			break
		}
	}
	switch {
	case err != nil:
		return false, "the intended answers: " + err.Error(), nil
	case !v.Passed:
		return false, "the intended answers are judged wrong: " + failedSummary(v), nil
	}
	if len(wrong) == 0 {
		return true, "the intended answers pass", right
	}
	v, err = a.Service.Diagnose(ctx, a.Incident.ID, wrong)
	if err != nil {
		return false, "the wrong answers: " + err.Error(), right
	}
	for name, answer := range wrong {
		i := slices.IndexFunc(v.Checks, func(c grader.CheckResult) bool { return c.Name == name })
		switch {
		case i < 0:
			return false, fmt.Sprintf("the wrong answer %q to %s is not judged at all", answer, name), right
		case v.Checks[i].Passed:
			return false, fmt.Sprintf("the wrong answer %q to %s is judged right", answer, name), right
		}
	}
	if v.Passed {
		return false, "the wrong answers pass as a whole", right
	}
	if len(wrong) == 1 {
		return true, "the intended answers pass; the wrong answer is marked wrong", right
	}
	return true, fmt.Sprintf("the intended answers pass; the %d wrong answers are marked wrong", len(wrong)), right
}

// fixRun plays one fixes/ file: start under its own learner, apply, check.
func fixRun(ctx context.Context, s scenarios.Scenario, fx fixes.Fix, opt TestOptions, cat lab.Catalog, h Hooks, add func(Row)) {
	t0 := time.Now()
	r := Row{Step: StepFix, Fix: fx.Name}
	var a Attempt
	var v grader.Verdict
	// Registered first, so it runs last, even when a hook ends the goroutine.
	defer func() { cleanup(opt.Client, a.Namespace) }()
	defer func() {
		r.Seconds = time.Since(t0).Round(100 * time.Millisecond).Seconds()
		if !r.Passed {
			r.Events = Warnings(ctx, opt.Client, a.Namespace)
		}
		add(r)
		if r.Passed && fx.Expect == fixes.ExpectPass && h.Fixed != nil {
			hook(add, fx.Name, "fixed", func() error { return h.Fixed(ctx, a, v) })
		}
	}()
	svc, err := opt.Service(fx.Name, cat)
	if err != nil {
		r.Detail = err.Error()
		return
	}
	ns, _ := svc.Namespace(s.ID)
	a = Attempt{Incident: s, Learner: fx.Name, Namespace: ns, Service: svc, Fix: &fx}
	if _, err := startAndFail(ctx, svc, s); err != nil {
		r.Detail = err.Error()
		return
	}
	if err := fixes.Apply(ctx, opt.Client, ns, opt.Values, fx); err != nil {
		r.Detail = "apply: " + err.Error()
		return
	}
	v, err = svc.Check(ctx, s.ID, lab.CheckOptions{ReadyTimeout: failureWait})
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

// maxWarnings bounds a row's events: the first few say what happened.
const maxWarnings = 10

// Warnings are the namespace's warning events, a line each, at most
// maxWarnings.
func Warnings(ctx context.Context, c kubernetes.Interface, ns string) []string {
	if ns == "" {
		return nil
	}
	ev, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return []string{"events unreadable: " + err.Error()}
	}
	var out []string
	for _, e := range ev.Items {
		if e.Type == corev1.EventTypeWarning && len(out) < maxWarnings {
			out = append(out, fmt.Sprintf("%s/%s %s x%d: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Count, e.Message))
		}
	}
	return out
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
