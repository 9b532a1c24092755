package lab

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		{"given up, then started again", progress.Entry{Started: at(10), Diagnosed: at(3), GivenUp: at(5)}, StatusStarted, 0, true},
		{"given up, then diagnosed in a new attempt", progress.Entry{Started: at(10), Diagnosed: at(12), GivenUp: at(5)}, StatusDiagnosed, 0, true},
		{"given up, then solved in a new attempt", progress.Entry{Started: at(10), GivenUp: at(5), Fixed: at(19), BestScore: 40}, StatusSolved, 40, true},
		{"solved after a give-up before the cap existed", progress.Entry{Started: at(10), GivenUp: at(5), Fixed: at(19), BestScore: 85}, StatusSolved, MaxScoreAfterGiveUp, true},
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
			assert.Equal(t, tt.wantStatus == StatusSolved || tt.e.GaveUp(), revealed(tt.e), "the cause shows once solved or given up, in later attempts too")
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

// A give-up stays on the incident's record: every later attempt scores at
// most MaxScoreAfterGiveUp, and the best score follows.
func TestScoreAfterAGiveUpIsCapped(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		steps []string // start, hint, wrong, give-up, fix
		want  int
		after bool // the last attempt started after a give-up
	}{
		{"no give-up", []string{"start", "fix"}, MaxScore, false},
		{"no give-up, hints", []string{"start", "hint", "wrong", "fix"}, Score(1, 1), false},
		{"give-up, then a clean solve", []string{"start", "give-up", "start", "fix"}, MaxScoreAfterGiveUp, true},
		{"give-up, then a solve with a hint under the cap", []string{"start", "give-up", "start", "hint", "wrong", "fix"}, MaxScoreAfterGiveUp, true},
		{"give-up, then a solve scoring below the cap", []string{"start", "give-up", "start", "hint", "hint", "hint", "hint", "fix"}, Score(4, 0), true},
		{"two give-ups, then a solve", []string{"start", "give-up", "start", "hint", "give-up", "start", "fix"}, MaxScoreAfterGiveUp, true},
		{"hints read before the give-up do not count after it", []string{"start", "hint", "hint", "give-up", "start", "fix"}, MaxScoreAfterGiveUp, true},
		{"a fix in the attempt given up scores nothing", []string{"start", "give-up", "fix"}, 0, false},
		{"solved again after a give-up: the best capped solve", []string{"start", "give-up", "start", "hint", "hint", "hint", "hint", "fix", "start", "fix", "start", "hint", "fix"}, MaxScoreAfterGiveUp, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e progress.Entry
			now := t0
			for _, step := range tt.steps {
				now = now.Add(time.Minute)
				switch step {
				case "start":
					e.Begin(now)
				case "hint":
					e.Hints++
				case "wrong":
					recordDiagnosis(&e, now, false, 1)
				case "give-up":
					// As GiveUp records it: never on a solved scenario.
					require.False(t, e.Done())
					e.GivenUp = now
				case "fix":
					recordFix(&e, now, "reference-fixed")
				default:
					t.Fatalf("unknown step %q", step)
				}
			}
			best, ok := BestScore(e)
			require.True(t, ok)
			assert.Equal(t, tt.want, best)
			assert.Equal(t, StatusSolved, StatusOf(e))
			a := attemptOf("x", e)
			assert.Equal(t, tt.after, a.AfterGiveUp)
			if tt.after {
				assert.Equal(t, MaxScoreAfterGiveUp, a.ScoreCap)
				assert.LessOrEqual(t, a.Score, MaxScoreAfterGiveUp)
			}
			wantCap := MaxScore
			if slices.Contains(tt.steps, "give-up") {
				wantCap = MaxScoreAfterGiveUp
			}
			assert.Equal(t, wantCap, ScoreCap(e), "a give-up stays on the record")
		})
	}
}

// Progress written before the cap existed (the same format version) holds
// the uncapped score of a solve after a give-up; it reads capped, and a
// file without a give-up reads as it was.
func TestProgressWrittenBeforeTheCapReadsCapped(t *testing.T) {
	dir := t.TempDir()
	content := `{"version":1,"context":"c","learner":"ann","entries":{
  "gave-up-then-solved": {"started":"2025-01-02T00:00:00Z","fixed":"2025-01-02T00:10:00Z","givenUp":"2025-01-01T00:05:00Z","bestScore":100,"fixedAfter":600000000000},
  "gave-up-then-solved-same-attempt": {"started":"2025-01-01T00:00:00Z","fixed":"2025-01-01T00:10:00Z","givenUp":"2025-01-01T00:05:00Z"},
  "solved": {"started":"2025-01-01T00:00:00Z","fixed":"2025-01-01T00:10:00Z","bestScore":85},
  "solved-before-scores": {"started":"2025-01-01T00:00:00Z","fixed":"2025-01-01T00:10:00Z","hints":1}}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, progress.FileName("c", "ann")), []byte(content), 0o600))
	st, err := progress.Open(dir, "c", "ann")
	require.NoError(t, err)
	require.Empty(t, st.Warning, "the file is read as it is")
	tests := []struct {
		id          string
		want        int
		afterGiveUp bool
	}{
		{"gave-up-then-solved", MaxScoreAfterGiveUp, true},
		{"gave-up-then-solved-same-attempt", 0, true},
		{"solved", 85, false},
		{"solved-before-scores", Score(1, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			e := st.Entries[tt.id]
			best, ok := BestScore(e)
			require.True(t, ok)
			assert.Equal(t, tt.want, best)
			assert.Equal(t, tt.afterGiveUp, e.GaveUp())
		})
	}
}
