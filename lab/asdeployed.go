package lab

import (
	"context"
	"errors"
	"strings"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// ErrChangedSinceStart is a diagnosis asked of an incident the learner has
// changed: the answers are judged against the live pods, so they must be
// the pods of the incident as deployed, not of a failure the learner made.
var ErrChangedSinceStart = errors.New("the incident was changed since it was started")

// ChangedError is ErrChangedSinceStart with what changed, one sentence each.
type ChangedError struct{ Changes []string }

func (e *ChangedError) Error() string {
	return ErrChangedSinceStart.Error() + ": " + strings.Join(e.Changes, "; ")
}

func (e *ChangedError) Unwrap() error { return ErrChangedSinceStart }

// requireAsDeployed compares the workload and the objects it reads with the
// attempt record. The record is read as check reads it, so a missing or
// altered one fails closed here too (scenarios.IsRecordProblem), and an
// unreadable namespace is an error, never "unchanged".
func (s *Service) requireAsDeployed(ctx context.Context, sc scenarios.Scenario, ns string) error {
	attempt, err := scenarios.LoadAttempt(ctx, s.client, sc, ns)
	if err != nil {
		return err
	}
	st, err := podstate.Read(ctx, s.client, sc.Target(ns), attempt.UIDs)
	if err != nil {
		return err
	}
	if changes := grader.ChangesSinceStart(st, attempt.Baseline.Objects); len(changes) > 0 {
		return &ChangedError{Changes: changes}
	}
	return nil
}
