package lab

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

// Points of an incident: a solved attempt starts at MaxScore and loses
// HintCost per hint read and WrongAnswerCost per wrong diagnosis answer, but
// never goes below MinScore; an attempt the learner gave up on scores 0.
const (
	MaxScore        = 100
	HintCost        = 15
	WrongAnswerCost = 10
	MinScore        = 10
)

// MaxScoreAfterGiveUp caps every attempt started after the learner gave up
// on the incident. Giving up showed them the cause, the explanation and the
// accepted fixes, so a later solve replays what they read rather than
// finds it; it still scores something, so practising it is worth a start.
const MaxScoreAfterGiveUp = 50

// ScoreCap is the most an attempt at the scenario can score from now on:
// MaxScoreAfterGiveUp once the learner has given up on it, MaxScore before.
// The give-up is read from the entry's GivenUp, which no later attempt,
// solve or update clears.
func ScoreCap(e progress.Entry) int {
	if e.GaveUp() {
		return MaxScoreAfterGiveUp
	}
	return MaxScore
}

// Score is the score of a solved attempt that used hints hints and gave
// wrong wrong diagnosis answers.
func Score(hints, wrong int) int {
	return max(MinScore, MaxScore-HintCost*max(hints, 0)-WrongAnswerCost*max(wrong, 0))
}

// BestScore is the best score the entry records, and false while the
// scenario is neither solved nor given up. A scenario given up and never
// solved, or solved only in an attempt given up first, has 0; one solved in
// an attempt after a give-up has at most MaxScoreAfterGiveUp. Progress
// saved before scores existed has a solve without a score: it is scored
// from the hints and wrong answers it recorded.
func BestScore(e progress.Entry) (int, bool) {
	switch {
	case e.BestScore > 0:
		// GiveUp refuses a solved scenario, so every give-up comes before
		// the first solve and every recorded score of an entry with one is
		// from an attempt after it. Capping here also caps what crashlab
		// recorded before the cap existed, with no change of file format.
		return min(e.BestScore, ScoreCap(e)), true
	case e.Done() && !e.GaveUp():
		return Score(e.Hints, e.WrongAnswers), true
	case e.Done() || e.GaveUp():
		return 0, true
	}
	return 0, false
}

// Status is where the learner is with a scenario.
type Status string

// The statuses, in the order a learner goes through them.
const (
	StatusNotStarted Status = "not started"
	StatusStarted    Status = "started"
	StatusDiagnosed  Status = "diagnosed"
	StatusSolved     Status = "solved"
	StatusGivenUp    Status = "given up"
)

// StatusOf reads the status from a progress entry: solved once a fix
// passed, even after giving up; given up in the current attempt; diagnosed
// in the current attempt; started. An attempt started after a give-up is
// started or diagnosed like any other (ScoreCap says it is capped).
func StatusOf(e progress.Entry) Status {
	switch {
	case e.Done():
		return StatusSolved
	case e.GaveUpThisAttempt():
		return StatusGivenUp
	case e.DiagnosedThisAttempt():
		return StatusDiagnosed
	case !e.Started.IsZero():
		return StatusStarted
	}
	return StatusNotStarted
}

// revealed tells whether the learner may see the cause: once solved or
// given up, never before.
func revealed(e progress.Entry) bool { return e.Done() || e.GaveUp() }

// AttemptSeed is the seed of one attempt's order of choices: the learner,
// the scenario and the attempt's start, so that every attempt has its own
// order and the same attempt always shows the same one.
func AttemptSeed(learner, id string, started time.Time) uint64 {
	at := "-"
	if !started.IsZero() {
		at = started.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(strconv.Itoa(len(learner)) + ":" + learner + "\x00" + id + "\x00" + at))
	return binary.BigEndian.Uint64(sum[:8])
}

// ShuffleChoices returns the questions with the choices of every choice
// question in the order seed gives, leaving qs as it is. The order depends
// only on the seed and the question's id, through PCG and a Fisher-Yates
// shuffle written here, so it does not change with the Go release.
func ShuffleChoices(qs []grader.Question, seed uint64) []grader.Question {
	out := make([]grader.Question, len(qs))
	for i, q := range qs {
		out[i] = q
		if len(q.Choices) < 2 {
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(q.ID))
		src := rand.NewPCG(seed, h.Sum64())
		cs := slices.Clone(q.Choices)
		for j := len(cs) - 1; j > 0; j-- {
			k := int(src.Uint64() % uint64(j+1))
			cs[j], cs[k] = cs[k], cs[j]
		}
		out[i].Choices = cs
	}
	return out
}

// Questions returns the scenario's diagnosis questions as the learner's
// current attempt shows them: the choices shuffled with the attempt's seed
// (AttemptSeed of the start saved in progress). The prompt, the usage
// errors and the verdict all list choices in this order; answers name
// choice ids, so the order never changes what is right.
func (s *Service) Questions(id string) ([]grader.Question, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	return s.attemptQuestions(s.playedNow(sc)), nil
}

func (s *Service) attemptQuestions(sc scenarios.Scenario) []grader.Question {
	if s.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		defer cancel()
		if qs, err := s.remote.Questions(ctx, sc.ID); err == nil && len(qs) > 0 {
			return qs
		}
	}
	e := entryOf(s.entries(), sc)
	return ShuffleChoices(sc.Questions, AttemptSeed(s.learner, sc.ID, e.Started))
}

// ErrNoneLeft is the error of RandomUnsolved when the learner solved every
// scenario it could pick from.
var ErrNoneLeft = errors.New("every incident is solved")

// RandomUnsolved picks, at random, a scenario the learner has not solved yet,
// of that level (any level when level is 0). A level no scenario has is an
// error naming the levels there are; none left unsolved wraps ErrNoneLeft.
func (s *Service) RandomUnsolved(level int) (scenarios.Scenario, error) {
	st := s.entries()
	var levels []int
	var pool []scenarios.Scenario
	for _, sc := range s.catalog.All() {
		if !slices.Contains(levels, sc.Level) {
			levels = append(levels, sc.Level)
		}
		if level != 0 && sc.Level != level {
			continue
		}
		if !entryOf(st, sc).Done() {
			pool = append(pool, sc)
		}
	}
	slices.Sort(levels)
	if level != 0 && !slices.Contains(levels, level) {
		names := make([]string, len(levels))
		for i, l := range levels {
			names[i] = strconv.Itoa(l)
		}
		return scenarios.Scenario{}, fmt.Errorf("no incident has level %d (levels: %s)", level, strings.Join(names, ", "))
	}
	if len(pool) == 0 {
		if level != 0 {
			return scenarios.Scenario{}, fmt.Errorf("%w at level %d", ErrNoneLeft, level)
		}
		return scenarios.Scenario{}, ErrNoneLeft
	}
	return pool[rand.IntN(len(pool))], nil
}

// IncidentProgress is one scenario of the learner's progress report.
type IncidentProgress struct {
	ScenarioSummary
	// Hints and WrongAnswers are those of the current (or last) attempt.
	Hints        int
	WrongAnswers int
	// DiagnosedAfter and FixedAfter are how long after the attempt's start
	// the diagnosis and the fix first passed; zero when they have not.
	DiagnosedAfter time.Duration
	FixedAfter     time.Duration
	// Approach is the accepted fix the last passing check named.
	Approach string
}

// Progress returns the learner's progress on every scenario of the
// catalogue, in the catalogue's order. It needs no cluster.
func (s *Service) Progress() []IncidentProgress {
	st := s.entries()
	var out []IncidentProgress
	for _, sc := range s.catalog.All() {
		e := entryOf(st, sc)
		p := IncidentProgress{ScenarioSummary: summaryOf(sc, e), Hints: e.Hints, WrongAnswers: e.WrongAnswers}
		if e.DiagnosedThisAttempt() {
			p.DiagnosedAfter = e.DiagnosedAfter
		}
		if e.FixedThisAttempt() {
			p.FixedAfter = e.FixedAfter
		}
		if e.Done() {
			p.Approach = e.Approach
		}
		out = append(out, p)
	}
	return out
}

// AttemptProgress is where the learner's current attempt at one scenario
// stands, read from their progress: what an incident drill watches for and
// reports.
type AttemptProgress struct {
	Scenario string
	Started  time.Time
	// Diagnosed and Fixed are true once the diagnosis and the fix passed in
	// this attempt, DiagnosedAfter and FixedAfter how long after its start.
	Diagnosed      bool
	Fixed          bool
	DiagnosedAfter time.Duration
	FixedAfter     time.Duration
	Hints          int
	WrongAnswers   int
	// Approach is the accepted fix the attempt's passing check named.
	Approach string
	// GaveUp is true when the learner gave up during this attempt.
	GaveUp bool
	// AfterGiveUp is true when the attempt started after the learner had
	// given up on the scenario; ScoreCap is the most it can score.
	AfterGiveUp bool
	ScoreCap    int
	// Score is the attempt's score once its fix passed (0 when given up);
	// Scored is false while the attempt is open.
	Score  int
	Scored bool
}

// Attempt returns the learner's current attempt at the scenario. It needs no
// cluster: it reads the learner's progress, which the other verbs write
// (from this process or another).
func (s *Service) Attempt(id string) (AttemptProgress, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return AttemptProgress{}, err
	}
	return attemptOf(sc.ID, entryOf(s.entries(), sc)), nil
}

func attemptOf(id string, e progress.Entry) AttemptProgress {
	a := AttemptProgress{
		Scenario: id, Started: e.Started, Hints: e.Hints, WrongAnswers: e.WrongAnswers, GaveUp: e.GaveUpThisAttempt(),
		AfterGiveUp: e.StartedAfterGiveUp(), ScoreCap: MaxScore,
	}
	if a.AfterGiveUp {
		a.ScoreCap = MaxScoreAfterGiveUp
	}
	if e.DiagnosedThisAttempt() {
		a.Diagnosed, a.DiagnosedAfter = true, e.DiagnosedAfter
	}
	if e.FixedThisAttempt() {
		a.Fixed, a.FixedAfter, a.Approach = true, e.FixedAfter, e.Approach
	}
	switch {
	case a.GaveUp:
		a.Scored = true
	case a.Fixed:
		a.Score, a.Scored = min(a.ScoreCap, Score(e.Hints, e.WrongAnswers)), true
	}
	return a
}
