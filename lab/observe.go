package lab

import (
	"context"
	"strings"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
)

// ScenarioFacts is what the lab sees of one started scenario.
type ScenarioFacts struct {
	Scenario string
	Facts    podstate.Facts
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
			sc, err := s.lookup(id)
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
		nsObj, err := s.startedNamespace(ctx, sc.ID, ns)
		if err != nil {
			if len(ids) > 0 {
				return nil, err
			}
			// Listing everything: a scenario not started here (or a
			// namespace of that name the lab does not own) is not shown.
			continue
		}
		f, err := s.observer().Observe(ctx, s.playedIn(ctx, sc, nsObj).Target(ns))
		if err != nil {
			return nil, err
		}
		out = append(out, ScenarioFacts{Scenario: sc.ID, Facts: f})
		if len(ids) > 0 {
			s.note(sc, "status")
		}
	}
	return out, nil
}

// Diagnose grades answers (question id to a value or a choice id) against
// the live pods of a started scenario and records a correct diagnosis in the
// learner's progress, with how long after the start it came; each wrong
// answer before it costs points (WrongAnswerCost). A wrong diagnosis is a
// verdict that did not pass, not an error. The questions are judged in the
// attempt's order (Questions), so a verdict lists choices as the learner saw
// them.
func (s *Service) Diagnose(ctx context.Context, id string, answers map[string]string) (grader.Verdict, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return grader.Verdict{}, err
	}
	if s.remote != nil {
		return s.remote.Diagnose(ctx, sc.ID, answers)
	}
	nsObj, err := s.startedNamespace(ctx, sc.ID, ns)
	if err != nil {
		return grader.Verdict{}, err
	}
	s.note(sc, "diagnose")
	sc = s.playedIn(ctx, sc, nsObj)
	if err := s.requireAsDeployed(ctx, sc, ns); err != nil {
		return grader.Verdict{}, err
	}
	f, err := s.observer().Observe(ctx, sc.Target(ns))
	if err != nil {
		return grader.Verdict{}, err
	}
	qs := s.attemptQuestions(sc)
	v := grader.JudgeDiagnosis(sc.ID, sc.Workload.Container, qs, answers, f)
	wrong := wrongAnswers(qs, answers, v, f, sc.Workload.Container)
	if v.Passed || wrong > 0 {
		s.record(sc, func(e *progress.Entry) { recordDiagnosis(e, time.Now(), v.Passed, wrong) })
	}
	return v, nil
}

// recordDiagnosis saves the attempt's first correct diagnosis and how long
// after the start it came, or adds wrong answers given before it. Answers
// after the diagnosis passed, or after the attempt ended, cost nothing: they
// are practice.
func recordDiagnosis(e *progress.Entry, now time.Time, passed bool, wrong int) {
	if e.DiagnosedThisAttempt() || e.AttemptOver() {
		return
	}
	if !passed {
		e.WrongAnswers += wrong
		return
	}
	e.Diagnosed = now
	if !e.Started.IsZero() && now.After(e.Started) {
		e.DiagnosedAfter = now.Sub(e.Started)
	}
}

// wrongAnswers counts the answers the verdict marks wrong: a choice that
// names one of the question's choices, a fact the pods show another value
// of. An empty answer, a typo that names no choice, and a fact the pods do
// not show yet are not wrong answers: the learner could not have known.
func wrongAnswers(qs []grader.Question, answers map[string]string, v grader.Verdict, f podstate.Facts, container string) int {
	failed := map[string]bool{}
	for _, c := range v.Checks {
		if !c.Passed {
			failed[c.Name] = true
		}
	}
	n := 0
	for _, q := range qs {
		ans := strings.TrimSpace(answers[q.ID])
		if ans == "" || !failed[q.ID] {
			continue
		}
		if q.Fact != "" {
			if factShown(f, container, q.Fact) {
				n++
			}
			continue
		}
		for _, c := range q.Choices {
			if strings.EqualFold(c.ID, ans) {
				n++
				break
			}
		}
	}
	return n
}

// factShown tells whether the pods show any value of a fact question.
func factShown(f podstate.Facts, container, fact string) bool {
	if fact == grader.FactNodeArch {
		for _, p := range f.Pods {
			if p.NodeArch != "" {
				return true
			}
		}
		return false
	}
	for _, c := range f.Containers(container) {
		switch fact {
		case grader.FactLastReason, grader.FactLastExitCode:
			if c.Last != nil {
				return true
			}
		case grader.FactWaitingReason:
			if c.WaitingReason != "" {
				return true
			}
		}
	}
	return false
}
