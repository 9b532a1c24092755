package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/scenarios"
)

// ErrNoAuditLog: the cluster does not record API requests where the lab can
// read them, so there is no investigation to replay.
var ErrNoAuditLog = cluster.ErrNoAuditLog

// AuditLogSource opens the cluster's audit log (every file of it, oldest
// first, as JSON lines); an error wrapping ErrNoAuditLog when it has none.
type AuditLogSource func(ctx context.Context) (io.ReadCloser, error)

// WithAuditLog reads the cluster's audit log from src for Replay.
func WithAuditLog(src AuditLogSource) Option {
	return optionFunc(func(s *Service) { s.auditLog = src })
}

// WithAuditUser keeps, in Replay, only the requests made as username: the
// candidate's identity when the interviewer's process replays, so that the
// interviewer's own looks at the namespace are not the candidate's.
func WithAuditUser(username string) Option {
	return optionFunc(func(s *Service) { s.auditUser = username })
}

// WithUnrecordedCommands leaves the lab commands names out of the
// attempt's record of commands: the lab's controller explains an incident
// on its own once it is solved, which is not the learner's command.
func WithUnrecordedCommands(names ...string) Option {
	return optionFunc(func(s *Service) {
		if s.unnoted == nil {
			s.unnoted = map[string]bool{}
		}
		for _, n := range names {
			s.unnoted[n] = true
		}
	})
}

// ReplayOptions change what Replay shows.
type ReplayOptions struct {
	// Reveal shows the evidence marks and the expert path of an open
	// attempt too: for a reader who is not the learner (the interviewer's
	// report), never for the learner's own replay.
	Reveal bool
	// Log is the audit log already read, by a reader that replays many
	// attempts from one read (the lab's controller); nil: read it.
	Log *replay.Log
}

// RemoteReplayer is a Remote that keeps the learner's replay: the lab's
// controller, which reads the audit log the learner cannot. ReplayJSON is
// the replay as JSON, "" when there is none.
type RemoteReplayer interface {
	ReplayJSON(ctx context.Context, id string) (string, error)
}

// replaySlack is how long after an attempt's end its requests still count:
// the passing check's own moment, and a write the API server logged just
// after the lab read the pods.
const replaySlack = 5 * time.Second

// Replay is the learner's investigation of one attempt, from the page.
type Replay struct {
	Scenario  string `json:"scenario"`
	Namespace string `json:"namespace"`
	// Page is when the attempt started; End when it ended (a passing
	// check or a give-up), zero while it is open.
	Page time.Time `json:"page"`
	End  time.Time `json:"end,omitzero"`
	// Timeline is every look, write and lab command in order.
	Timeline replay.Timeline `json:"timeline"`
	// Expert is the incident's expert path (rendered for the attempt's
	// variant) and Summary the investigation measured against it.
	Expert  []replay.Step  `json:"expert"`
	Summary replay.Summary `json:"summary"`
	// Revealed tells that the expert path and the evidence marks are
	// shown, since they name where the cause is: only once the attempt is
	// over (a passing check or a give-up), or to a reader who is not the
	// learner (ReplayOptions.Reveal).
	Revealed bool `json:"revealed"`
	// Skipped counts the audit log's lines that could not be read.
	Skipped int `json:"skipped,omitempty"`
}

// Replay rebuilds the learner's investigation of the current or last
// attempt at scenario id from the cluster's audit log and the lab's own
// record of its commands. It is feedback: nothing in it is judged or
// scored. An error wraps ErrNotStarted for an incident never started, and
// ErrNoAuditLog when the cluster records no requests.
func (s *Service) Replay(ctx context.Context, id string) (Replay, error) {
	return s.ReplayFor(ctx, id, ReplayOptions{})
}

// ReplayFor is Replay with options.
func (s *Service) ReplayFor(ctx context.Context, id string, o ReplayOptions) (Replay, error) {
	sc, err := s.lookup(id)
	if err != nil {
		return Replay{}, err
	}
	e := entryOf(s.entries(), sc)
	if e.Started.IsZero() {
		return Replay{}, fmt.Errorf("scenario %s is %w: nothing to replay", sc.ID, ErrNotStarted)
	}
	if rr, ok := s.remote.(RemoteReplayer); ok {
		return remoteReplay(ctx, rr, sc.ID)
	}
	if o.Log != nil {
		return s.replayOf(ctx, sc, e, *o.Log, o)
	}
	log, err := s.readAuditLog(ctx)
	if err != nil {
		return Replay{}, err
	}
	return s.replayOf(ctx, sc, e, log, o)
}

// remoteReplay is the replay the lab's controller keeps for the attempt.
func remoteReplay(ctx context.Context, rr RemoteReplayer, id string) (Replay, error) {
	raw, err := rr.ReplayJSON(ctx, id)
	if err != nil {
		return Replay{}, err
	}
	if raw == "" {
		return Replay{}, fmt.Errorf("the lab's controller keeps no replay of this attempt: %w", ErrNoAuditLog)
	}
	var r Replay
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Replay{}, fmt.Errorf("the replay the lab's controller keeps cannot be read: %w", err)
	}
	return r, nil
}

// Replays are the replays of every incident started, keyed by id, from one
// read of the audit log: what `progress -o json` shows.
func (s *Service) Replays(ctx context.Context) (map[string]Replay, error) {
	rr, remote := s.remote.(RemoteReplayer)
	if s.auditLog == nil && !remote {
		return nil, ErrNoAuditLog
	}
	st := s.entries()
	var started []scenarios.Scenario
	for _, sc := range s.catalog.All() {
		if !entryOf(st, sc).Started.IsZero() {
			started = append(started, sc)
		}
	}
	out := map[string]Replay{}
	if remote {
		for _, sc := range started {
			r, err := remoteReplay(ctx, rr, sc.ID)
			switch {
			case errors.Is(err, ErrNoAuditLog):
				continue
			case err != nil:
				return nil, err
			}
			out[sc.ID] = r
		}
		return out, nil
	}
	if len(started) == 0 {
		return out, nil
	}
	log, err := s.readAuditLog(ctx)
	if err != nil {
		return nil, err
	}
	for _, sc := range started {
		r, err := s.replayOf(ctx, sc, entryOf(st, sc), log, ReplayOptions{})
		if err != nil {
			return nil, err
		}
		out[sc.ID] = r
	}
	return out, nil
}

// readAuditLog reads the whole audit log; ErrNoAuditLog when the cluster
// keeps none.
func (s *Service) readAuditLog(ctx context.Context) (replay.Log, error) {
	if s.auditLog == nil {
		return replay.Log{}, ErrNoAuditLog
	}
	rc, err := s.auditLog(ctx)
	if err != nil {
		return replay.Log{}, err
	}
	defer rc.Close()
	log, err := replay.Read(rc)
	if err != nil {
		if ctx.Err() != nil {
			return replay.Log{}, ctx.Err()
		}
		return replay.Log{}, fmt.Errorf("read the audit log: %w", err)
	}
	return log, nil
}

// replayOf is the replay of the attempt e at sc, from log.
func (s *Service) replayOf(ctx context.Context, sc scenarios.Scenario, e progress.Entry, log replay.Log, o ReplayOptions) (Replay, error) {
	ns, err := s.Namespace(sc.ID)
	if err != nil {
		return Replay{}, err
	}
	if nsObj, err := s.startedNamespace(ctx, sc.ID, ns); err == nil {
		// The expert path names the attempt's own objects.
		sc = s.playedIn(ctx, sc, nsObj)
	}
	out := Replay{Scenario: sc.ID, Namespace: ns, Page: e.Started, End: attemptEnd(e), Expert: sc.Expert, Skipped: log.Skipped}
	f := replay.Filter{Namespaces: []string{ns}, From: e.Started, Username: s.auditUser}
	if !out.End.IsZero() {
		f.To = out.End.Add(replaySlack)
	}
	out.Timeline = replay.Build(f.Apply(log.Events), e.Started, labCommands(e))
	diagnosed := time.Time{}
	if e.DiagnosedThisAttempt() {
		diagnosed = e.Diagnosed
	}
	out.Summary = replay.Compare(out.Timeline, sc.Expert, diagnosed)
	out.Revealed = !out.End.IsZero() || o.Reveal
	if !out.Revealed {
		// Which look shows the evidence, and the path to it, would tell an
		// open attempt where the cause is: only the writes made before a
		// diagnosis are said.
		out.Expert = nil
		out.Summary = replay.Summary{EvidenceEntry: -1, Diagnosed: out.Summary.Diagnosed, WritesBefore: out.Summary.WritesBefore}
	}
	return out, nil
}

// attemptEnd is when the attempt ended, zero while it is open.
func attemptEnd(e progress.Entry) time.Time {
	switch {
	case e.FixedThisAttempt():
		return e.Fixed
	case e.GaveUpThisAttempt():
		return e.GivenUp
	}
	return time.Time{}
}

// labCommands are the lab's commands of the attempt, as the replay shows
// them.
func labCommands(e progress.Entry) []replay.LabCommand {
	var out []replay.LabCommand
	for _, c := range e.Commands {
		if c.At.Before(e.Started) {
			continue
		}
		out = append(out, replay.LabCommand{Time: c.At, Command: "crashlab " + c.Name})
	}
	return out
}
