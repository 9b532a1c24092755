package attempts

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crashlab/crashlab/progress"
)

func TestAnEntryReadsTheSameAfterItsFirstWrite(t *testing.T) {
	// Nanoseconds are what time.Now gives; the status keeps microseconds.
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)
	e := progress.Entry{Started: t0, Diagnosed: t0.Add(90 * time.Second), GivenUp: t0.Add(time.Hour), Hints: 2, WrongAnswers: 1, BestScore: 40,
		Approach: "reference-fixed", DiagnosedAfter: 90 * time.Second, FixedAfter: 150 * time.Second,
		Commands: []progress.Command{{At: t0, Name: "start"}, {At: t0.Add(time.Minute), Name: "hint"}}}
	once := EntryOf(ProgressOf(e))
	assert.Equal(t, once, EntryOf(ProgressOf(once)), "a second write changes nothing")
	assert.Equal(t, t0.Truncate(time.Microsecond), once.Started, "the start keeps its microseconds: it seeds the order of choices")
	assert.Equal(t, e.Hints, once.Hints)
	assert.Equal(t, e.WrongAnswers, once.WrongAnswers)
	assert.Equal(t, e.BestScore, once.BestScore)
	assert.Equal(t, e.DiagnosedAfter, once.DiagnosedAfter)
	assert.True(t, once.Fixed.IsZero())
	assert.Equal(t, []progress.Command{{At: t0.Truncate(time.Microsecond), Name: "start"}, {At: t0.Add(time.Minute).Truncate(time.Microsecond), Name: "hint"}}, once.Commands,
		"the lab's commands stay in the status, for the replay")
}

func TestAttemptNamesNeverCollide(t *testing.T) {
	// Learner names and incident ids are DNS labels: no dots.
	assert.NotEqual(t, Name("a-b", "c"), Name("a", "b-c"))
}
