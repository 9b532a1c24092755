package lab

import (
	"context"
	"errors"
	"time"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/progress"
)

// Remote is a judge that is not this process: the lab's controller, which a
// workshop learner's requests reach through their Attempt. With a Remote the
// service judges nothing and records nothing itself; what the Remote decided
// is the record, and the learner cannot write it.
type Remote interface {
	// Begin opens the incident's page: the attempt's clock starts.
	Begin(ctx context.Context, id string) error
	// Hints asks for at least n hints and returns how many were given.
	Hints(ctx context.Context, id string, n int) (int, error)
	// Questions are the attempt's questions, choices in its order.
	Questions(ctx context.Context, id string) ([]grader.Question, error)
	// Diagnose has the answers judged against the live pods.
	Diagnose(ctx context.Context, id string, answers map[string]string) (grader.Verdict, error)
	// Check has the fix judged, reporting each step; an ended ctx withdraws
	// the check and is an interruption, never a verdict.
	Check(ctx context.Context, id string, readyTimeout time.Duration, step func(string)) (grader.Verdict, error)
	// GiveUp gives up the attempt.
	GiveUp(ctx context.Context, id string) error
	// Entry is the attempt's record as the remote keeps it.
	Entry(ctx context.Context, id string) (progress.Entry, error)
}

// WithRemote has r judge and record (see Remote).
func WithRemote(r Remote) Option {
	return optionFunc(func(s *Service) { s.remote = r; s.store = remoteStore{r} })
}

// ErrRecordedRemotely is a write of progress under a Remote: only the
// remote writes the record.
var ErrRecordedRemotely = errors.New("this learner's record is kept by the lab's controller")

// remoteTimeout bounds a read of the remote record by the verbs that take
// no context (hints, explain, progress).
const remoteTimeout = 10 * time.Second

// remoteStore reads the record from the remote and writes nothing.
type remoteStore struct{ r Remote }

func (st remoteStore) Entry(id string, _ ...string) progress.Entry {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	e, err := st.r.Entry(ctx, id)
	if err != nil {
		return progress.Entry{}
	}
	return e
}

func (remoteStore) UpdateAliased(string, []string, func(*progress.Entry)) error {
	return ErrRecordedRemotely
}
