package lab

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crashlab/crashlab/progress"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name         string
		hints, wrong int
		want         int
	}{
		{"clean solve", 0, 0, MaxScore},
		{"one hint", 1, 0, MaxScore - HintCost},
		{"one wrong answer", 0, 1, MaxScore - WrongAnswerCost},
		{"both", 2, 3, MaxScore - 2*HintCost - 3*WrongAnswerCost},
		{"never below the floor", 10, 10, MinScore},
		{"negative counts are no bonus", -3, -1, MaxScore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Score(tt.hints, tt.wrong))
		})
	}
}

func TestBestScoreAndStatus(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name       string
		e          progress.Entry
		wantStatus Status
		wantBest   int
		wantScored bool
	}{
		{"nothing", progress.Entry{}, StatusNotStarted, 0, false},
		{"hints read before any start", progress.Entry{Hints: 1}, StatusNotStarted, 0, false},
		{"started", progress.Entry{Started: at(0)}, StatusStarted, 0, false},
		{"diagnosed", progress.Entry{Started: at(0), Diagnosed: at(3)}, StatusDiagnosed, 0, false},
		{"given up, then started again", progress.Entry{Started: at(10), Diagnosed: at(3), GivenUp: at(5)}, StatusGivenUp, 0, true},
		{"solved", progress.Entry{Started: at(0), Fixed: at(9), BestScore: 70}, StatusSolved, 70, true},
		{"given up", progress.Entry{Started: at(0), GivenUp: at(4)}, StatusGivenUp, 0, true},
		{"solved after giving up", progress.Entry{Started: at(0), GivenUp: at(4), Fixed: at(9)}, StatusSolved, 0, true},
		{"solved before scores existed", progress.Entry{Started: at(0), Fixed: at(9), Hints: 2}, StatusSolved, MaxScore - 2*HintCost, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantStatus, StatusOf(tt.e))
			best, ok := BestScore(tt.e)
			assert.Equal(t, tt.wantScored, ok)
			assert.Equal(t, tt.wantBest, best)
			assert.Equal(t, tt.wantStatus == StatusSolved || tt.wantStatus == StatusGivenUp, revealed(tt.e), "the cause shows once solved or given up")
		})
	}
}

func TestRecordFixScoresTheAttemptsFirstPass(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	e := progress.Entry{Started: t0, Hints: 1, WrongAnswers: 2}

	recordFix(&e, t0.Add(7*time.Minute), "reference-fixed")
	assert.Equal(t, Score(1, 2), e.BestScore)
	assert.Equal(t, 7*time.Minute, e.FixedAfter)
	assert.Equal(t, "reference-fixed", e.Approach)

	// Checking again in the same attempt changes the approach, not the score
	// or the time.
	e.Hints = 3
	recordFix(&e, t0.Add(9*time.Minute), "secret-key-added")
	assert.Equal(t, Score(1, 2), e.BestScore)
	assert.Equal(t, 7*time.Minute, e.FixedAfter)
	assert.Equal(t, "secret-key-added", e.Approach)
	assert.Equal(t, t0.Add(9*time.Minute), e.Fixed)

	// A better attempt raises the best score; a worse one does not lower it.
	e.Begin(t0.Add(time.Hour))
	assert.Zero(t, e.Hints)
	assert.Zero(t, e.FixedAfter)
	recordFix(&e, t0.Add(time.Hour+2*time.Minute), "reference-fixed")
	assert.Equal(t, MaxScore, e.BestScore)
	assert.Equal(t, 2*time.Minute, e.FixedAfter)
	e.Begin(t0.Add(2 * time.Hour))
	e.Hints = 5
	recordFix(&e, t0.Add(2*time.Hour+time.Minute), "reference-fixed")
	assert.Equal(t, MaxScore, e.BestScore)
}

func TestRecordFixAfterGivingUpScoresNothing(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	e := progress.Entry{Started: t0, GivenUp: t0.Add(time.Minute)}
	recordFix(&e, t0.Add(5*time.Minute), "limit-raised")
	assert.Zero(t, e.BestScore)
	assert.True(t, e.Done())
	best, ok := BestScore(e)
	assert.True(t, ok)
	assert.Zero(t, best)
}

func TestRecordDiagnosis(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		e         progress.Entry
		passed    bool
		wrong     int
		wantWrong int
		wantAfter time.Duration
	}{
		{"wrong answers add up", progress.Entry{Started: t0, WrongAnswers: 1}, false, 2, 3, 0},
		{"a correct diagnosis records how long it took", progress.Entry{Started: t0, WrongAnswers: 1}, true, 0, 1, 4 * time.Minute},
		{"after the diagnosis passed, answers are practice", progress.Entry{Started: t0, Diagnosed: t0.Add(time.Minute), DiagnosedAfter: time.Minute}, false, 3, 0, time.Minute},
		{"after a give-up, answers are practice", progress.Entry{Started: t0, GivenUp: t0.Add(time.Minute)}, false, 3, 0, 0},
		{"an earlier attempt's diagnosis does not count", progress.Entry{Started: t0, Diagnosed: t0.Add(-time.Hour)}, true, 0, 0, 4 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			recordDiagnosis(&e, t0.Add(4*time.Minute), tt.passed, tt.wrong)
			assert.Equal(t, tt.wantWrong, e.WrongAnswers)
			assert.Equal(t, tt.wantAfter, e.DiagnosedAfter)
		})
	}
}
