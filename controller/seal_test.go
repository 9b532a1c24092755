package controller

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/api/v1alpha1"
)

func testSealer(t *testing.T) Sealer {
	t.Helper()
	s, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	return s
}

// roundTrip is what the API server does to a status: JSON out, JSON in.
func roundTrip(t *testing.T, st v1alpha1.AttemptStatus) v1alpha1.AttemptStatus {
	t.Helper()
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var out v1alpha1.AttemptStatus
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func sampleStatus() v1alpha1.AttemptStatus {
	started := metav1.NewMicroTime(time.Date(2026, 12, 6, 10, 0, 0, 123456000, time.UTC))
	return v1alpha1.AttemptStatus{
		Phase:     v1alpha1.PhaseDiagnosed,
		Hints:     []string{"look at the pods"},
		Diagnosis: &v1alpha1.Verdict{Request: 2, Passed: true, Checks: []v1alpha1.CheckResult{{Name: "cause", Passed: true, Message: "yes"}}},
		Progress:  v1alpha1.Progress{Started: &started, Hints: 1, WrongAnswers: 1},
		Conditions: []metav1.Condition{{Type: v1alpha1.ConditionHealthy, Status: metav1.ConditionFalse, Reason: "PodsNotReady",
			LastTransitionTime: metav1.NewTime(time.Date(2026, 12, 6, 10, 0, 1, 0, time.UTC))}},
	}
}

func TestSealSurvivesTheAPIServersRoundTrip(t *testing.T) {
	s := testSealer(t)
	st := sampleStatus()
	st.Seal = s.Seal(st)
	assert.True(t, s.Verify(roundTrip(t, st)))
}

func TestSealRefusesEveryEdit(t *testing.T) {
	s := testSealer(t)
	edits := map[string]func(*v1alpha1.AttemptStatus){
		"score raised":        func(st *v1alpha1.AttemptStatus) { st.Progress.BestScore = 100 },
		"hints forgotten":     func(st *v1alpha1.AttemptStatus) { st.Progress.Hints = 0 },
		"wrong answers gone":  func(st *v1alpha1.AttemptStatus) { st.Progress.WrongAnswers = 0 },
		"verdict flipped":     func(st *v1alpha1.AttemptStatus) { st.Diagnosis.Checks[0].Passed = false },
		"fixed added":         func(st *v1alpha1.AttemptStatus) { n := metav1.NowMicro(); st.Progress.Fixed = &n },
		"phase changed":       func(st *v1alpha1.AttemptStatus) { st.Phase = v1alpha1.PhaseFixed },
		"condition removed":   func(st *v1alpha1.AttemptStatus) { st.Conditions = nil },
		"seal of another key": func(st *v1alpha1.AttemptStatus) { st.Seal = sealOf(t, "another key, just as long as one.", *st) },
		"seal removed":        func(st *v1alpha1.AttemptStatus) { st.Seal = "" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			st := sampleStatus()
			st.Seal = s.Seal(st)
			st = roundTrip(t, st)
			edit(&st)
			assert.False(t, s.Verify(st))
		})
	}
}

func sealOf(t *testing.T, key string, st v1alpha1.AttemptStatus) string {
	other, err := NewSealer([]byte(key))
	require.NoError(t, err)
	return other.Seal(st)
}

func TestAnEmptyStatusNeedsNoSeal(t *testing.T) {
	s := testSealer(t)
	assert.True(t, s.Verify(v1alpha1.AttemptStatus{}), "an Attempt the controller has not written yet")
	assert.True(t, s.Verify(roundTrip(t, v1alpha1.AttemptStatus{})))
}

func TestShortSealKeysAreRefused(t *testing.T) {
	_, err := NewSealer(make([]byte, MinSealKey-1))
	assert.ErrorIs(t, err, ErrSealKeyShort)
}
