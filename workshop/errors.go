package workshop

import (
	"errors"
	"fmt"
)

// These errors state a fact about a workshop; which crashlab command or flag
// helps is the command line's to say.
var (
	// ErrNeedsLearners is a plan without learners.
	ErrNeedsLearners = errors.New("a workshop needs learners")
	// ErrNeedsIncidents is a plan without incidents.
	ErrNeedsIncidents = errors.New("a workshop needs incidents")
	// ErrLearnerTaken is a learner whose incident namespace another
	// workshop on the cluster already has.
	ErrLearnerTaken = errors.New("learner's namespace belongs to another workshop")
	// ErrNoWorkshop is a workshop the cluster does not have.
	ErrNoWorkshop = errors.New("no such workshop on this cluster")
	// ErrNoLearners is a workshop that has no learners yet.
	ErrNoLearners = errors.New("workshop has no learners")
	// ErrUnknownLearner is a learner the workshop does not have; see
	// UnknownLearnerError.
	ErrUnknownLearner = errors.New("workshop has no such learner")
)

// UnknownLearnerError names the workshop and the learner it does not have.
type UnknownLearnerError struct{ Workshop, Learner string }

func (e *UnknownLearnerError) Error() string {
	return fmt.Sprintf("workshop %q has no learner %q", e.Workshop, e.Learner)
}

func (e *UnknownLearnerError) Unwrap() error { return ErrUnknownLearner }

// factError is an error whose text is the fact with its data, and that
// errors.Is knows by its sentinel.
type factError struct {
	kind error
	msg  string
}

func (e *factError) Error() string { return e.msg }
func (e *factError) Unwrap() error { return e.kind }

func factf(kind error, format string, a ...any) error {
	return &factError{kind: kind, msg: fmt.Sprintf(format, a...)}
}
