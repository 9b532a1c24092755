package controller

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
)

// WorkshopReconciler keeps each Workshop's status a summary of the Attempts
// in its namespace.
type WorkshopReconciler struct {
	Client client.Client
}

// SetupWithManager registers the reconciler: Workshops, and every Attempt
// change enqueues the Workshops of its namespace.
func (r *WorkshopReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Workshop{}).
		Watches(&v1alpha1.Attempt{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			var list v1alpha1.WorkshopList
			if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
				return nil
			}
			out := make([]reconcile.Request, len(list.Items))
			for i, w := range list.Items {
				out[i] = reconcile.Request{NamespacedName: types.NamespacedName{Namespace: w.Namespace, Name: w.Name}}
			}
			return out
		})).
		Complete(r)
}

// Reconcile sums up the Workshop's attempts from the cache.
func (r *WorkshopReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var w v1alpha1.Workshop
	if err := r.Client.Get(ctx, req.NamespacedName, &w); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var list v1alpha1.AttemptList
	if err := r.Client.List(ctx, &list, client.InNamespace(w.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	st := Summarize(w.Spec, list.Items)
	st.ObservedGeneration = w.Generation
	if equality.Semantic.DeepEqual(st, w.Status) {
		return ctrl.Result{}, nil
	}
	w.Status = st
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Status().Update(ctx, &w))
}

// Summarize counts a room's attempts by phase and condition, and each
// learner's fixed incidents and score. A tampered attempt's score is not
// counted: it is not the lab's.
func Summarize(spec v1alpha1.WorkshopSpec, all []v1alpha1.Attempt) v1alpha1.WorkshopStatus {
	st := v1alpha1.WorkshopStatus{Learners: int32(len(spec.Learners))}
	per := map[string]*v1alpha1.LearnerSummary{}
	for _, l := range spec.Learners {
		per[l] = &v1alpha1.LearnerSummary{Learner: l}
	}
	for _, a := range all {
		st.Attempts++
		s := per[a.Spec.Learner]
		if s == nil {
			s = &v1alpha1.LearnerSummary{Learner: a.Spec.Learner}
			per[a.Spec.Learner] = s
		}
		if meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionTampered) {
			st.Tampered++
			continue
		}
		e := attempts.EntryOf(a.Status.Progress)
		if !e.Started.IsZero() {
			st.Started++
		}
		if e.DiagnosedThisAttempt() {
			st.Diagnosed++
			s.Diagnosed++
		}
		if e.Done() {
			st.Fixed++
			s.Fixed++
			s.Score += int32(e.BestScore)
		}
		if e.GaveUp() {
			st.GivenUp++
		}
		if meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionBrokenAgain) {
			st.BrokenAgain++
		}
	}
	for _, s := range per {
		st.PerLearner = append(st.PerLearner, *s)
	}
	sort.Slice(st.PerLearner, func(i, j int) bool { return st.PerLearner[i].Learner < st.PerLearner[j].Learner })
	return st
}
