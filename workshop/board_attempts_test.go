package workshop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/workshop"
)

func attempt(learner string, e progress.Entry, pods string, conds map[string]bool) v1alpha1.Attempt {
	a := v1alpha1.Attempt{Spec: v1alpha1.AttemptSpec{Learner: learner, Incident: "orders"}}
	a.Status.Progress = attempts.ProgressOf(e)
	a.Status.Pods = pods
	for typ, ok := range conds {
		st := metav1.ConditionFalse
		if ok {
			st = metav1.ConditionTrue
		}
		a.Status.Conditions = append(a.Status.Conditions, metav1.Condition{Type: typ, Status: st})
	}
	return a
}

func TestTheBoardOfAGradedRoomIsItsAttemptsStatuses(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 10, 0, 0, time.UTC)
	t0 := now.Add(-10 * time.Minute)
	fixed := progress.Entry{Started: t0, Diagnosed: t0.Add(time.Minute), Fixed: t0.Add(5 * time.Minute), FixedAfter: 5 * time.Minute, BestScore: 90, Hints: 1}
	tests := []struct {
		name  string
		a     v1alpha1.Attempt
		state string
		score bool
	}{
		{"not opened", attempt("a", progress.Entry{}, "0/2 ready, CrashLoopBackOff", map[string]bool{v1alpha1.ConditionHealthy: false}), workshop.StateNotStarted, false},
		{"crashing", attempt("b", progress.Entry{Started: t0}, "0/2 ready, CrashLoopBackOff", map[string]bool{v1alpha1.ConditionHealthy: false}), workshop.StateCrashing, false},
		{"diagnosed", attempt("c", progress.Entry{Started: t0, Diagnosed: t0.Add(time.Minute)}, "0/2 ready, Error", nil), workshop.StateDiagnosed, false},
		{"fixed", attempt("d", fixed, "2/2 ready", map[string]bool{v1alpha1.ConditionHealthy: true}), workshop.StateFixed, true},
		{"broken again", attempt("e", fixed, "1/2 ready, CrashLoopBackOff", map[string]bool{v1alpha1.ConditionHealthy: false}), workshop.StateBrokenAgain, true},
		{"given up", attempt("f", progress.Entry{Started: t0, GivenUp: t0.Add(time.Minute)}, "0/2 ready", nil), workshop.StateGivenUp, true},
		{"tampered", attempt("g", fixed, "2/2 ready", map[string]bool{v1alpha1.ConditionHealthy: true, v1alpha1.ConditionTampered: true}), workshop.StateTampered, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := workshop.ComputeAttempts("room", []v1alpha1.Attempt{tc.a}, now)
			c, ok := b.Cell(tc.a.Spec.Learner, "orders")
			assert.True(t, ok)
			assert.Equal(t, tc.state, c.State)
			assert.Equal(t, tc.score, c.Score != nil, "score shown")
			assert.Equal(t, tc.a.Status.Pods, c.Pods, "the pods line is the controller's")
		})
	}
}

// The board shows a learner's last looks where the controller keeps their
// investigation, in the cell and under the terminal board.
func TestTheBoardShowsTheLastLooks(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 10, 0, 0, time.UTC)
	started := progress.Entry{Started: now.Add(-time.Minute)}
	looking := attempt("ann", started, "0/2 ready, CrashLoopBackOff", nil)
	looking.Status.Investigation = &v1alpha1.Investigation{Recent: []string{"+5s kubectl get pods", "+40s kubectl logs x --previous"}}
	quiet := attempt("bob", started, "0/2 ready, CrashLoopBackOff", nil)
	b := workshop.ComputeAttempts("room", []v1alpha1.Attempt{looking, quiet}, now)
	c, ok := b.Cell("ann", "orders")
	assert.True(t, ok)
	assert.Equal(t, looking.Status.Investigation.Recent, c.Looks)
	c, _ = b.Cell("bob", "orders")
	assert.Empty(t, c.Looks)
	text := workshop.Text(b)
	assert.Contains(t, text, "Last looks:\n  ann, orders: +5s kubectl get pods · +40s kubectl logs x --previous\n")
	assert.NotContains(t, text, "bob, orders:")
}
