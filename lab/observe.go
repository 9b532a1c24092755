package lab

import (
	"context"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/progress"
)

// ScenarioFacts is what the lab sees of one started scenario.
type ScenarioFacts struct {
	Scenario string
	Facts    grader.Facts
}

// Status reads the facts of the named scenarios, each of which must be
// started (an error wrapping ErrNotStarted otherwise). With no ids it reads
// every started scenario of the catalogue and skips the others.
func (s *Service) Status(ctx context.Context, ids ...string) ([]ScenarioFacts, error) {
	if _, err := s.cluster(); err != nil {
		return nil, err
	}
	list := s.catalog.All()
	if len(ids) > 0 {
		list = nil
		for _, id := range ids {
			sc, err := s.catalog.Get(id)
			if err != nil {
				return nil, err
			}
			list = append(list, sc)
		}
	}
	var out []ScenarioFacts
	for _, sc := range list {
		ns, err := s.Namespace(sc.ID)
		if err != nil {
			return nil, err
		}
		if err := s.requireStarted(ctx, sc.ID, ns); err != nil {
			if len(ids) > 0 {
				return nil, err
			}
			// Listing everything: a scenario not started here (or a
			// namespace of that name the lab does not own) is not shown.
			continue
		}
		f, err := s.observer().Observe(ctx, sc.Target(ns))
		if err != nil {
			return nil, err
		}
		out = append(out, ScenarioFacts{Scenario: sc.ID, Facts: f})
	}
	return out, nil
}

// Diagnose grades answers (question id to a value or a choice id) against
// the live pods of a started scenario and records a correct diagnosis in the
// learner's progress. A wrong diagnosis is a verdict that did not pass, not
// an error.
func (s *Service) Diagnose(ctx context.Context, id string, answers map[string]string) (grader.Verdict, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return grader.Verdict{}, err
	}
	if err := s.requireStarted(ctx, sc.ID, ns); err != nil {
		return grader.Verdict{}, err
	}
	f, err := s.observer().Observe(ctx, sc.Target(ns))
	if err != nil {
		return grader.Verdict{}, err
	}
	v := grader.JudgeDiagnosis(sc.ID, sc.Workload.Container, sc.Questions, answers, f)
	if v.Passed {
		s.record(sc.ID, func(e *progress.Entry) { e.Diagnosed = time.Now() })
	}
	return v, nil
}
