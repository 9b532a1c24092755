package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
)

// CheckOptions tune the live part of Check.
type CheckOptions struct {
	// ReadyTimeout bounds the wait for Ready pods; zero is the grader's default.
	ReadyTimeout time.Duration
}

// Check judges the learner's fix of a started scenario against the record
// written at start (never against what this build would deploy today): the
// scenario's static rules, then the live workload, then the rules again on
// the objects as they are at the end. A fix that passes is recorded in the
// learner's progress; a fix that does not is a verdict that did not pass.
//
// Errors, never verdicts: a record that is missing or was altered
// (scenarios.IsRecordProblem), since judging without it would skip rules;
// and an interrupted check (podstate.ErrInterrupted, context.Canceled), since
// nothing half-watched proves anything.
func (s *Service) Check(ctx context.Context, id string, opts CheckOptions) (grader.Verdict, error) {
	sc, ns, err := s.scenarioIn(id)
	if err != nil {
		return grader.Verdict{}, err
	}
	if s.remote != nil {
		return s.remote.Check(ctx, sc.ID, opts.ReadyTimeout, s.onProgress)
	}
	nsObj, err := s.startedNamespace(ctx, sc.ID, ns)
	if err != nil {
		return grader.Verdict{}, err
	}
	s.note(sc, "check")
	attempt, err := scenarios.LoadAttemptOf(ctx, s.client, sc, nsObj)
	if err != nil {
		return grader.Verdict{}, err
	}
	st, err := podstate.Read(ctx, s.client, attempt.Variant.Target(ns), attempt.UIDs)
	if err != nil {
		return grader.Verdict{}, err
	}
	if grader.Untouched(st, attempt.Baseline.Objects) {
		if err := ctx.Err(); err != nil {
			// A cancelled check proves nothing, not even "nothing changed".
			return grader.Verdict{}, fmt.Errorf("%w: %w", podstate.ErrInterrupted, err)
		}
		return grader.NothingChangedVerdict(sc.ID), nil
	}
	// Judged as the attempt deployed it: the variant its record names.
	return s.judgeFix(ctx, attempt.Variant, ns, attempt, opts, true)
}

// judgeFix runs the scenario's fix checks in ns against attempt, and
// records a pass in the learner's progress.
func (s *Service) judgeFix(ctx context.Context, sc scenarios.Scenario, ns string, attempt scenarios.Attempt, opts CheckOptions, record bool) (grader.Verdict, error) {
	live := sc.Live(s.client, ns, attempt.Baseline, grader.LiveOptions{
		ReadyTimeout: opts.ReadyTimeout,
		// A fix made inside a running container must not pass: one pod is
		// replaced and its successor must come up healthy too.
		Replace:  true,
		Progress: s.onProgress,
	})
	v, err := grader.JudgeFixWith(ctx, s.client, sc.ID, sc.Target(ns), attempt.UIDs, sc.FixChecks(attempt.Baseline), live)
	if err != nil {
		return grader.Verdict{}, err
	}
	if v.Passed && record {
		s.record(sc, func(e *progress.Entry) { recordFix(e, time.Now(), v.Approach) })
	}
	return v, nil
}

// recordFix saves a passing fix: its approach, and for the attempt's first
// pass how long it took and the attempt's score (none when the learner gave
// up on it first, at most ScoreCap after an earlier give-up).
func recordFix(e *progress.Entry, now time.Time, approach string) {
	if !e.FixedThisAttempt() {
		if !e.Started.IsZero() && now.After(e.Started) {
			e.FixedAfter = now.Sub(e.Started)
		}
		if !e.GaveUpThisAttempt() {
			e.BestScore = max(e.BestScore, min(ScoreCap(*e), Score(e.Hints, e.WrongAnswers)))
		}
	}
	e.Fixed, e.Approach = now, approach
}
