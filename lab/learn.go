package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

// ErrNotSolved is the error of Explain before the learner solved the
// scenario or gave up on it: the explanation names the cause.
var ErrNotSolved = errors.New("not solved yet")

// ScenarioSummary is one row of the catalogue with the learner's progress.
// It never holds a scenario's aliases (earlier ids name causes), and holds
// its cause only once the learner solved it or gave up.
type ScenarioSummary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Level int    `json:"level"`
	// Source is where the incident comes from: built-in, or pack NAME@VERSION.
	Source string `json:"source"`
	Status Status `json:"status"`
	// Done is true once a fix passed (Status solved).
	Done bool `json:"done"`
	// BestScore is the best score of a solved attempt (0 after giving up);
	// nil while the scenario is neither solved nor given up.
	BestScore *int   `json:"bestScore,omitempty"`
	Cause     string `json:"cause,omitempty"`
	// AfterGiveUp is true once the learner has given up on it: every
	// attempt from then on scores at most ScoreCap (MaxScore before).
	AfterGiveUp bool `json:"afterGiveUp"`
	ScoreCap    int  `json:"scoreCap"`
}

func summaryOf(sc scenarios.Scenario, e progress.Entry) ScenarioSummary {
	row := ScenarioSummary{ID: sc.ID, Title: sc.Title, Level: sc.Level, Source: sc.Source(), Status: StatusOf(e), Done: e.Done(), AfterGiveUp: e.GaveUp(), ScoreCap: ScoreCap(e)}
	if best, ok := BestScore(e); ok {
		row.BestScore = &best
	}
	if revealed(e) {
		row.Cause = sc.Cause
	}
	return row
}

// List returns the catalogue with the learner's status, best score and,
// for what the learner solved or gave up, the cause. It needs no cluster:
// progress that cannot be read is a warning and the list shows nothing done.
func (s *Service) List() []ScenarioSummary {
	st := s.entries()
	var out []ScenarioSummary
	for _, sc := range s.catalog.All() {
		out = append(out, summaryOf(sc, entryOf(st, sc)))
	}
	return out
}

// Hints are a scenario's hints and how many of them the learner has seen.
type Hints struct {
	Scenario  string
	Namespace string // the hints' NAMESPACE placeholder stands for it
	All       []string
	Shown     int
}

// Seen returns the hints the learner has seen, in order.
func (h Hints) Seen() []string { return h.All[:h.Shown] }

// Hint shows one more hint than last time, up to the last one. The count is
// kept in the learner's progress and raised inside its locked update, so two
// hints asked for at once are two hints. Each hint of an attempt costs
// points (HintCost).
func (s *Service) Hint(id string) (Hints, error) {
	return s.showHints(id, func(seen, all int) int { return min(max(seen, 0)+1, all) })
}

// HintsUpTo shows the first n hints (all of them when there are fewer),
// counting them as AllHints does; a count already higher stays. The lab's
// controller answers an Attempt's hint requests with it: the request is a
// count, so asking twice for the same count costs once.
func (s *Service) HintsUpTo(id string, n int) (Hints, error) {
	return s.showHints(id, func(_, all int) int { return min(max(n, 0), all) })
}

// AllHints shows every hint at once, and counts them all: reading them is
// reading them.
func (s *Service) AllHints(id string) (Hints, error) {
	return s.showHints(id, func(_, all int) int { return all })
}

func (s *Service) showHints(id string, next func(seen, all int) int) (Hints, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return Hints{}, err
	}
	h := Hints{Scenario: sc.ID, Namespace: ns, All: s.playedNow(sc).Hints}
	if s.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		defer cancel()
		e, err := s.remote.Entry(ctx, sc.ID)
		if err != nil {
			return h, fmt.Errorf("read the hint count: %w", err)
		}
		n, err := s.remote.Hints(ctx, sc.ID, max(e.Hints, next(e.Hints, len(h.All))))
		if err != nil {
			return h, fmt.Errorf("ask for a hint: %w", err)
		}
		h.Shown = min(n, len(h.All))
		return h, nil
	}
	st, err := s.openProgress()
	if err != nil {
		return h, fmt.Errorf("read the hint count: %w", err)
	}
	if err := st.UpdateAliased(sc.ID, sc.Aliases, func(e *progress.Entry) {
		e.Hints = max(e.Hints, next(e.Hints, len(h.All)))
		h.Shown = min(e.Hints, len(h.All))
		if s.store == nil {
			e.Note("hint", time.Now())
		}
	}); err != nil {
		return h, fmt.Errorf("save the hint count: %w", err)
	}
	return h, nil
}

// Explanation is why a scenario failed, its fix and how to prevent it, with
// the accepted fix the learner used and the others.
type Explanation struct {
	Scenario string
	Title    string
	Cause    string
	Text     string
	// Approach is the accepted fix the learner's passing check named; empty
	// when the learner gave up or the check named none.
	Approach   string
	Approaches []scenarios.Approach
	// GaveUp is true when the learner gave up on it.
	GaveUp bool
}

// Others are the accepted approaches the learner did not use.
func (e Explanation) Others() []scenarios.Approach {
	var out []scenarios.Approach
	for _, a := range e.Approaches {
		if a.ID != e.Approach {
			out = append(out, a)
		}
	}
	return out
}

// Explain returns the scenario's write-up once the learner solved it or gave
// up on it; before that, an error wrapping ErrNotSolved (GiveUp shows it).
func (s *Service) Explain(id string) (Explanation, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return Explanation{}, err
	}
	st, err := s.openProgress()
	if err != nil {
		return Explanation{}, fmt.Errorf("read whether %s is solved: %w", sc.ID, err)
	}
	e := entryOf(st, sc)
	if !revealed(e) {
		return Explanation{}, fmt.Errorf("scenario %s is %w", sc.ID, ErrNotSolved)
	}
	s.note(sc, "explain")
	return explanationOf(s.playedNow(sc), e), nil
}

// GiveUp records that the learner gave up on the scenario (the attempt then
// scores nothing) and returns the explanation. A scenario already solved is
// not given up: its explanation is returned as Explain would.
func (s *Service) GiveUp(id string) (Explanation, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return Explanation{}, err
	}
	if s.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		defer cancel()
		if err := s.remote.GiveUp(ctx, sc.ID); err != nil {
			return Explanation{}, fmt.Errorf("record giving up: %w", err)
		}
		e, err := s.remote.Entry(ctx, sc.ID)
		if err != nil {
			return Explanation{}, fmt.Errorf("record giving up: %w", err)
		}
		return explanationOf(s.playedNow(sc), e), nil
	}
	st, err := s.openProgress()
	if err != nil {
		return Explanation{}, fmt.Errorf("record giving up: %w", err)
	}
	var saved progress.Entry
	if err := st.UpdateAliased(sc.ID, sc.Aliases, func(e *progress.Entry) {
		if !e.Done() && !e.GaveUpThisAttempt() {
			e.GivenUp = time.Now()
			e.Note("give-up", e.GivenUp)
		}
		saved = *e
	}); err != nil {
		return Explanation{}, fmt.Errorf("record giving up: %w", err)
	}
	return explanationOf(s.playedNow(sc), saved), nil
}

func explanationOf(sc scenarios.Scenario, e progress.Entry) Explanation {
	x := Explanation{Scenario: sc.ID, Title: sc.Title, Cause: sc.Cause, Text: sc.Explanation, Approaches: sc.Approaches}
	if e.Done() {
		x.Approach = e.Approach
	} else {
		x.GaveUp = e.GaveUp()
	}
	return x
}
