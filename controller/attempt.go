// Package controller is the lab as a Kubernetes controller: it judges
// Attempts (a learner's requests in spec) with the lab service under its own
// identity and writes what it decided in status, which the learner's RBAC
// never lets them write. It is built on controller-runtime: its manager,
// shared cache, leader election, metrics and health endpoints.
package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
)

// indexNamespace indexes Attempts by the incident namespace they judge, so
// that a pod's change finds its Attempt.
const indexNamespace = "spec.namespace"

// stepInterval is how often a running check's step is written to status at
// most: the learner's spinner line, not a log.
const stepInterval = time.Second

// AttemptReconciler judges Attempts.
type AttemptReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// Reader reads from the API server: a status write starts from the
	// status as it is there, not from a cache that may lag.
	Reader client.Reader
	// Kube is the typed clientset the lab service judges with.
	Kube kubernetes.Interface
	// Sealer seals every status written.
	Sealer Sealer
	// Holder names this controller (its pod) in the checks it runs.
	Holder string
	// LabOptions are given to every lab service (registry, catalog).
	LabOptions []lab.Option
	// Base is the context checks run under: the manager's, so a stopping
	// controller interrupts them.
	Base context.Context

	mu      sync.Mutex
	running map[types.NamespacedName]*runningCheck
}

// runningCheck is a check this controller runs now.
type runningCheck struct {
	request int64
	cancel  context.CancelCauseFunc
}

// errWithdrawn is the cause of a check the learner stopped waiting for.
var errWithdrawn = errors.New("the learner withdrew the check")

// errSuperseded is the cause of a check a newer request replaced.
var errSuperseded = errors.New("a newer check was asked for")

// SetupWithManager registers the reconciler: Attempts, and the pods of the
// incident namespaces they name (for the pods line and "broken again").
func (r *AttemptReconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.Attempt{}, indexNamespace, func(o client.Object) []string {
		return []string{o.(*v1alpha1.Attempt).Spec.Namespace}
	}); err != nil {
		return err
	}
	r.running = map[types.NamespacedName]*runningCheck{}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Attempt{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.attemptsOfPod)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

func (r *AttemptReconciler) attemptsOfPod(ctx context.Context, o client.Object) []reconcile.Request {
	var list v1alpha1.AttemptList
	if err := r.Client.List(ctx, &list, client.MatchingFields{indexNamespace: o.GetNamespace()}); err != nil {
		return nil
	}
	out := make([]reconcile.Request, len(list.Items))
	for i, a := range list.Items {
		out[i] = reconcile.Request{NamespacedName: types.NamespacedName{Namespace: a.Namespace, Name: a.Name}}
	}
	return out
}

// service is the lab service for one Attempt: the controller's identity,
// the learner's namespaces, the Attempt's status as progress.
func (r *AttemptReconciler) service(st lab.ProgressStore, a *v1alpha1.Attempt, opts ...lab.Option) (*lab.Service, error) {
	// The controller explains a solved incident on its own: not a command
	// of the learner's for their replay.
	all := append([]lab.Option{lab.WithLearner(a.Spec.Learner), lab.WithContextName("controller"), lab.WithProgressStore(st), lab.WithUnrecordedCommands("explain")}, r.LabOptions...)
	return lab.New(r.Kube, append(all, opts...)...)
}

// Reconcile answers the Attempt's requests it has not answered yet, in the
// order a learner makes them, and keeps the pods line current.
func (r *AttemptReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// Read from the API server, not the cache: a status this controller
	// wrote a moment ago must be seen, or a request would be judged twice
	// (and its wrong answers counted twice).
	var a v1alpha1.Attempt
	if err := r.Reader.Get(ctx, req.NamespacedName, &a); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	store := newAttemptStore(ctx, r, &a)
	svc, err := r.service(store, &a)
	if err != nil {
		return ctrl.Result{}, err
	}
	id := a.Spec.Incident
	e := store.Entry(id)

	// Every request implies the page was opened: the clock starts then.
	asked := a.Spec.Started || a.Spec.Hints > 0 || a.Spec.Diagnosis != nil || a.Spec.Check != nil || a.Spec.GiveUp
	if asked && (e.Started.IsZero() || a.Status.Page == "") {
		sc, err := svc.Begin(ctx, id)
		if err != nil {
			return ctrl.Result{}, r.noteError(ctx, req.NamespacedName, "Begin", err, a.Generation)
		}
		qs, err := svc.Questions(id)
		if err != nil {
			return ctrl.Result{}, r.noteError(ctx, req.NamespacedName, "Questions", err, a.Generation)
		}
		if _, err := r.updateStatus(ctx, req.NamespacedName, func(st *v1alpha1.AttemptStatus) {
			st.Page = sc.Briefing
			st.Questions = questionsOf(qs)
		}); err != nil {
			return ctrl.Result{}, err
		}
	}

	// A count past the last hint asks for nothing more: checked against
	// the incident's hints, so that it is not asked again on every event.
	if sc, err := svc.Scenario(id); err == nil && a.Spec.Hints > 0 && int(a.Spec.Hints) > len(a.Status.Hints) && len(a.Status.Hints) < len(sc.Hints) {
		h, err := svc.HintsUpTo(id, int(a.Spec.Hints))
		if err != nil {
			return ctrl.Result{}, r.noteError(ctx, req.NamespacedName, "Hints", err, a.Generation)
		}
		if _, err := r.updateStatus(ctx, req.NamespacedName, func(st *v1alpha1.AttemptStatus) { st.Hints = h.Seen() }); err != nil {
			return ctrl.Result{}, err
		}
	}

	if d := a.Spec.Diagnosis; d != nil && (a.Status.Diagnosis == nil || d.Request > a.Status.Diagnosis.Request) {
		v, err := svc.Diagnose(ctx, id, d.Answers)
		verdict := verdictOf(d.Request, v)
		if err != nil {
			// Not a verdict the learner earned: the request is answered with
			// what kept the lab from judging it.
			verdict = &v1alpha1.Verdict{Request: d.Request, Error: err.Error()}
		}
		if _, err := r.updateStatus(ctx, req.NamespacedName, func(st *v1alpha1.AttemptStatus) { st.Diagnosis = verdict }); err != nil {
			return ctrl.Result{}, err
		}
	}

	if a.Spec.GiveUp && store.Entry(id).GivenUp.IsZero() && !store.Entry(id).Done() {
		if _, err := svc.GiveUp(id); err != nil {
			return ctrl.Result{}, r.noteError(ctx, req.NamespacedName, "GiveUp", err, a.Generation)
		}
	}
	if e := store.Entry(id); (e.Done() || e.GaveUp()) && a.Status.Explanation == "" {
		if x, err := svc.Explain(id); err == nil {
			if _, err := r.updateStatus(ctx, req.NamespacedName, func(st *v1alpha1.AttemptStatus) { st.Explanation = x.Text }); err != nil {
				return ctrl.Result{}, err
			}
		}
	}

	if err := r.reconcileCheck(ctx, &a); err != nil {
		return ctrl.Result{}, err
	}
	// Last: every request of the spec this pass read is answered (a check
	// is answered by its Running status), so the learner's crashlab, which
	// waits for observedGeneration, reads the answers that follow.
	return ctrl.Result{}, r.reconcilePods(ctx, &a, a.Generation)
}

// reconcileCheck starts a check asked for, ends one whose controller is
// gone as interrupted, and stops one the learner withdrew.
func (r *AttemptReconciler) reconcileCheck(ctx context.Context, a *v1alpha1.Attempt) error {
	key := types.NamespacedName{Namespace: a.Namespace, Name: a.Name}
	want, have := a.Spec.Check, a.Status.Check
	if want == nil {
		return nil
	}
	r.mu.Lock()
	run := r.running[key]
	r.mu.Unlock()
	switch {
	case have == nil || want.Request > have.Request:
		if run != nil {
			run.cancel(errSuperseded)
		}
		if want.Withdrawn {
			_, err := r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) {
				st.Check = &v1alpha1.CheckStatus{Request: want.Request, Result: v1alpha1.CheckInterrupted, Reason: errWithdrawn.Error(), FinishedAt: now()}
			})
			return err
		}
		if _, err := r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) {
			st.Check = &v1alpha1.CheckStatus{Request: want.Request, Result: v1alpha1.CheckRunning, Holder: r.Holder, Step: "starting", StartedAt: now()}
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionChecking, Status: metav1.ConditionTrue, Reason: "CheckRunning", Message: "starting", ObservedGeneration: a.Generation})
		}); err != nil {
			return err
		}
		r.startCheck(key, a, want.Request, time.Duration(want.ReadyTimeoutSeconds)*time.Second)
	case want.Request == have.Request && have.Result == v1alpha1.CheckRunning:
		if run == nil || run.request != have.Request {
			// The controller that ran it stopped (a restart, a deleted pod):
			// nothing half-watched is a pass.
			_, err := r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) {
				if st.Check == nil || st.Check.Request != have.Request || st.Check.Result != v1alpha1.CheckRunning {
					return
				}
				st.Check.Result = v1alpha1.CheckInterrupted
				st.Check.Reason = fmt.Sprintf("the controller running the check (%s) stopped before it ended", have.Holder)
				st.Check.FinishedAt = now()
				meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionChecking, Status: metav1.ConditionFalse, Reason: v1alpha1.CheckInterrupted, Message: st.Check.Reason})
			})
			return err
		}
		if want.Withdrawn {
			run.cancel(errWithdrawn)
		}
	}
	return nil
}

// startCheck runs the check in its own goroutine, so that the Attempt's
// later requests (a withdrawal) are read while it runs.
func (r *AttemptReconciler) startCheck(key types.NamespacedName, a *v1alpha1.Attempt, request int64, readyTimeout time.Duration) {
	ctx, cancel := context.WithCancelCause(r.Base)
	run := &runningCheck{request: request, cancel: cancel}
	r.mu.Lock()
	r.running[key] = run
	r.mu.Unlock()
	a = a.DeepCopy()
	go func() {
		defer func() {
			cancel(nil)
			r.mu.Lock()
			if r.running[key] == run {
				delete(r.running, key)
			}
			r.mu.Unlock()
		}()
		var last time.Time
		step := func(msg string) {
			if time.Since(last) < stepInterval {
				return
			}
			last = time.Now()
			_, _ = r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) {
				if st.Check != nil && st.Check.Request == request && st.Check.Result == v1alpha1.CheckRunning {
					st.Check.Step = msg
					meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionChecking, Status: metav1.ConditionTrue, Reason: "CheckRunning", Message: msg})
				}
			})
		}
		// The store writes with its own context: a withdrawn check must
		// still be able to record that it was withdrawn.
		store := newAttemptStore(context.WithoutCancel(ctx), r, a)
		svc, err := r.service(store, a, lab.WithProgress(step))
		var v grader.Verdict
		if err == nil {
			v, err = svc.Check(ctx, a.Spec.Incident, lab.CheckOptions{ReadyTimeout: readyTimeout})
		}
		result, reason, explanation := v1alpha1.CheckFailed, "", ""
		if err == nil && v.Passed {
			// Told with the verdict, in the same write: whoever reads the
			// pass reads the cause with it.
			if x, xerr := svc.Explain(a.Spec.Incident); xerr == nil {
				explanation = x.Text
			}
		}
		switch {
		case err != nil && ctx.Err() != nil:
			result, reason = v1alpha1.CheckInterrupted, context.Cause(ctx).Error()
		case errors.Is(err, podstate.ErrInterrupted):
			result, reason = v1alpha1.CheckInterrupted, err.Error()
		case err != nil:
			result, reason = v1alpha1.CheckError, err.Error()
		case v.Passed:
			result = v1alpha1.CheckPassed
		}
		_, _ = r.updateStatus(context.WithoutCancel(ctx), key, func(st *v1alpha1.AttemptStatus) {
			if st.Check == nil || st.Check.Request != request {
				return
			}
			st.Check.Result, st.Check.Reason, st.Check.FinishedAt, st.Check.Step = result, reason, now(), ""
			if err == nil {
				st.Check.Verdict = verdictOf(request, v)
			}
			if explanation != "" && st.Explanation == "" {
				st.Explanation = explanation
			}
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionChecking, Status: metav1.ConditionFalse, Reason: result, Message: "the check ended: " + result})
		})
	}()
}

// reconcilePods writes what the learner's pods show now, and whether a
// fixed attempt broke again.
func (r *AttemptReconciler) reconcilePods(ctx context.Context, a *v1alpha1.Attempt, generation int64) error {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.InNamespace(a.Spec.Namespace)); err != nil {
		return err
	}
	line, healthy := podstate.PodsLine(pods.Items)
	_, err := r.updateStatus(ctx, types.NamespacedName{Namespace: a.Namespace, Name: a.Name}, func(st *v1alpha1.AttemptStatus) {
		st.Pods = line
		st.ObservedGeneration = max(st.ObservedGeneration, generation)
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionRequestFailed, Status: metav1.ConditionFalse, Reason: "Answered", Message: "every request was answered"})
		cond := metav1.Condition{Type: v1alpha1.ConditionHealthy, Status: metav1.ConditionFalse, Reason: "PodsNotReady", Message: line}
		if healthy {
			cond.Status, cond.Reason = metav1.ConditionTrue, "PodsReady"
		}
		meta.SetStatusCondition(&st.Conditions, cond)
		fixed := attempts.EntryOf(st.Progress).Done()
		broken := metav1.Condition{Type: v1alpha1.ConditionBrokenAgain, Status: metav1.ConditionFalse, Reason: "NotBroken", Message: line}
		if fixed && !healthy {
			broken.Status, broken.Reason = metav1.ConditionTrue, "PodsNotReadyAfterFix"
		}
		if fixed || meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionBrokenAgain) != nil {
			meta.SetStatusCondition(&st.Conditions, broken)
		}
	})
	return err
}

// noteError records in status why the spec's requests could not be
// answered (the incident not deployed, its record missing), as answered:
// the learner's crashlab waits for the generation and shows the reason. The
// error is returned, so the pass is retried with backoff.
func (r *AttemptReconciler) noteError(ctx context.Context, key types.NamespacedName, step string, err error, generation int64) error {
	_, _ = r.updateStatus(ctx, key, func(st *v1alpha1.AttemptStatus) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionRequestFailed, Status: metav1.ConditionTrue, Reason: step + "Failed", Message: err.Error()})
		st.ObservedGeneration = max(st.ObservedGeneration, generation)
	})
	return err
}

// updateStatus applies fn to the Attempt's status as the API server has it,
// keeps the phase, checks the seal of what it read (a status someone else
// wrote is marked Tampered, and stays so), seals the result and writes it;
// a conflict is retried from a fresh read. Nothing is written when nothing
// changed. It returns the status as written.
func (r *AttemptReconciler) updateStatus(ctx context.Context, key types.NamespacedName, fn func(*v1alpha1.AttemptStatus)) (v1alpha1.AttemptStatus, error) {
	var out v1alpha1.AttemptStatus
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var a v1alpha1.Attempt
		if err := r.Reader.Get(ctx, key, &a); err != nil {
			return err
		}
		before := a.Status.DeepCopy()
		st := &a.Status
		if !r.Sealer.Verify(*st) {
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionTampered, Status: metav1.ConditionTrue, Reason: "SealMismatch", Message: "this status was changed by someone other than the lab's controller; its progress and score are not the lab's"})
		}
		fn(st)
		st.Phase = phaseOf(attempts.EntryOf(st.Progress), a.Spec.Started || st.Page != "")
		st.Seal = ""
		st.Seal = r.Sealer.Seal(*st)
		if equality.Semantic.DeepEqual(before, st) {
			out = *st
			return nil
		}
		if err := r.Client.Status().Update(ctx, &a); err != nil {
			return err
		}
		out = a.Status
		return nil
	})
	if apierrors.IsNotFound(err) {
		return out, nil
	}
	return out, err
}

// phaseOf is where the attempt is, from its progress.
func phaseOf(e progress.Entry, opened bool) string {
	switch {
	case e.GaveUpThisAttempt():
		return v1alpha1.PhaseGivenUp
	case e.FixedThisAttempt():
		return v1alpha1.PhaseFixed
	case e.DiagnosedThisAttempt():
		return v1alpha1.PhaseDiagnosed
	case !e.Started.IsZero() || opened:
		return v1alpha1.PhaseStarted
	}
	return v1alpha1.PhaseDeployed
}

func now() *metav1.MicroTime {
	t := metav1.NewMicroTime(time.Now().UTC().Truncate(time.Microsecond))
	return &t
}

// questionsOf is what the learner sees of the questions: never what makes
// a choice right.
func questionsOf(qs []grader.Question) []v1alpha1.Question {
	out := make([]v1alpha1.Question, len(qs))
	for i, q := range qs {
		out[i] = v1alpha1.Question{ID: q.ID, Prompt: q.Prompt, Fact: q.Fact}
		for _, c := range q.Choices {
			out[i].Choices = append(out[i].Choices, v1alpha1.Choice{ID: c.ID, Text: c.Text})
		}
	}
	return out
}

func verdictOf(request int64, v grader.Verdict) *v1alpha1.Verdict {
	out := &v1alpha1.Verdict{Request: request, Passed: v.Passed, Approach: v.Approach}
	for _, c := range v.Checks {
		out.Checks = append(out.Checks, v1alpha1.CheckResult{Name: c.Name, Passed: c.Passed, Message: c.Message})
	}
	return out
}
