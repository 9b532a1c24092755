package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/progress"
)

func attemptOf(learner string, e progress.Entry, conds ...string) v1alpha1.Attempt {
	a := v1alpha1.Attempt{Spec: v1alpha1.AttemptSpec{Learner: learner, Incident: "orders"}}
	a.Status.Progress = attempts.ProgressOf(e)
	for _, c := range conds {
		a.Status.Conditions = append(a.Status.Conditions, metav1.Condition{Type: c, Status: metav1.ConditionTrue})
	}
	return a
}

func TestSummarizeCountsTheRoomAndLeavesTamperedScoresOut(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	fixed := progress.Entry{Started: t0, Diagnosed: t0.Add(time.Minute), Fixed: t0.Add(2 * time.Minute), BestScore: 80}
	st := Summarize(v1alpha1.WorkshopSpec{Learners: []string{"ana", "bo", "cy"}}, []v1alpha1.Attempt{
		attemptOf("ana", fixed),
		attemptOf("bo", progress.Entry{Started: t0, Fixed: t0.Add(time.Minute), BestScore: 100}, v1alpha1.ConditionTampered),
		attemptOf("cy", fixed, v1alpha1.ConditionBrokenAgain),
	})
	assert.Equal(t, int32(3), st.Learners)
	assert.Equal(t, int32(3), st.Attempts)
	assert.Equal(t, int32(2), st.Fixed, "the tampered fix is not counted")
	assert.Equal(t, int32(1), st.Tampered)
	assert.Equal(t, int32(1), st.BrokenAgain)
	assert.Equal(t, []v1alpha1.LearnerSummary{
		{Learner: "ana", Fixed: 1, Diagnosed: 1, Score: 80},
		{Learner: "bo"},
		{Learner: "cy", Fixed: 1, Diagnosed: 1, Score: 80},
	}, st.PerLearner)
}
