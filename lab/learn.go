package lab

import (
	"fmt"

	"github.com/crashlab/crashlab/progress"
)

// ScenarioSummary is one row of the catalogue with the learner's progress.
type ScenarioSummary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Level int    `json:"level"`
	Done  bool   `json:"done"`
}

// List returns the catalogue, each scenario marked done when the learner's
// fix of it passed on this context. It needs no cluster: progress that
// cannot be read is a warning and the list shows nothing done.
func (s *Service) List() []ScenarioSummary {
	entries := map[string]progress.Entry{}
	if st, err := s.openProgress(); err == nil {
		entries = st.Entries
	} else {
		s.onWarning(fmt.Sprintf("progress not read: %v", err))
	}
	var out []ScenarioSummary
	for _, sc := range s.catalog.All() {
		out = append(out, ScenarioSummary{ID: sc.ID, Title: sc.Title, Level: sc.Level, Done: entries[sc.ID].Done()})
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
// hints asked for at once are two hints.
func (s *Service) Hint(id string) (Hints, error) {
	h, err := s.hints(id)
	if err != nil {
		return h, err
	}
	st, err := s.openProgress()
	if err != nil {
		return h, fmt.Errorf("read the hint count: %w", err)
	}
	if err := st.Update(h.Scenario, func(e *progress.Entry) {
		e.Hints = min(max(e.Hints, 0)+1, len(h.All))
		h.Shown = e.Hints
	}); err != nil {
		return h, fmt.Errorf("save the hint count: %w", err)
	}
	return h, nil
}

// AllHints shows every hint without counting them.
func (s *Service) AllHints(id string) (Hints, error) {
	h, err := s.hints(id)
	if err != nil {
		return h, err
	}
	h.Shown = len(h.All)
	return h, nil
}

func (s *Service) hints(id string) (Hints, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return Hints{}, err
	}
	return Hints{Scenario: sc.ID, Namespace: ns, All: sc.Hints}, nil
}

// Explanation is why a scenario failed, its fix and how to prevent it.
type Explanation struct {
	Scenario string
	Title    string
	Text     string
}

// Explain returns the scenario's write-up.
func (s *Service) Explain(id string) (Explanation, error) {
	sc, err := s.catalog.Get(id)
	if err != nil {
		return Explanation{}, err
	}
	return Explanation{Scenario: sc.ID, Title: sc.Title, Text: sc.Explanation}, nil
}
