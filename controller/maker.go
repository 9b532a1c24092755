package controller

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
)

// Maker makes Attempts and Workshops with the trainer's identity (it is the
// workshop's AttemptMaker).
type Maker struct {
	Client client.Client
	// Namespace is the workshop's namespace, where its Attempts live.
	Namespace string
}

func objectLabels(workshop, learner, id string) map[string]string {
	l := map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, cluster.LabelWorkshop: workshop}
	if learner != "" {
		l[cluster.LabelLearner] = learner
	}
	if id != "" {
		l[cluster.LabelScenario] = id
	}
	return l
}

// EnsureAttempt creates the learner's Attempt of an incident, unless it is
// there: an Attempt outlives a reset, as the record of the learner's work.
func (m Maker) EnsureAttempt(ctx context.Context, workshop, learner, id, namespace string) error {
	a := &v1alpha1.Attempt{
		ObjectMeta: metav1.ObjectMeta{Name: attempts.Name(learner, id), Namespace: m.Namespace, Labels: objectLabels(workshop, learner, id)},
		Spec:       v1alpha1.AttemptSpec{Learner: learner, Incident: id, Namespace: namespace},
	}
	err := m.Client.Create(ctx, a)
	if apierrors.IsAlreadyExists(err) {
		var have v1alpha1.Attempt
		if err := m.Client.Get(ctx, client.ObjectKeyFromObject(a), &have); err != nil {
			return err
		}
		if have.Labels[cluster.LabelManagedBy] != cluster.ManagedBy || have.Spec.Namespace != namespace {
			return &NotOursError{Kind: "Attempt", Name: client.ObjectKeyFromObject(a).String()}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("create Attempt %s: %w", a.Name, err)
	}
	return nil
}

// Controller is the identity the controller judges as.
func (Maker) Controller() rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: Name, Namespace: SystemNamespace}
}

// IncidentRole is the ClusterRole a workshop binds for the controller.
func (Maker) IncidentRole() string { return IncidentRoleName }

// EnsureWorkshop creates the Workshop, or brings its learners and
// incidents up to date (a create that adds learners).
func (m Maker) EnsureWorkshop(ctx context.Context, name string, learners, incidents []string) error {
	w := &v1alpha1.Workshop{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: objectLabels(name, "", "")}}
	err := m.Client.Get(ctx, client.ObjectKeyFromObject(w), w)
	switch {
	case apierrors.IsNotFound(err):
		w.Spec = v1alpha1.WorkshopSpec{Learners: learners, Incidents: incidents}
		if err := m.Client.Create(ctx, w); err != nil {
			return fmt.Errorf("create Workshop %s: %w", name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read Workshop %s: %w", name, err)
	}
	if w.Labels[cluster.LabelManagedBy] != cluster.ManagedBy {
		return &NotOursError{Kind: "Workshop", Name: client.ObjectKeyFromObject(w).String()}
	}
	w.Spec.Learners = union(w.Spec.Learners, learners)
	w.Spec.Incidents = union(w.Spec.Incidents, incidents)
	return m.Client.Update(ctx, w)
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
