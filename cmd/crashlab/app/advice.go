package app

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/interview"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/workshop"
)

// The library packages state facts in their errors; which crashlab command or
// flag helps is worded here, once, for every command. A rule finds its error
// in the chain and adds its advice right after that error's own text, so the
// line reads as one sentence wherever the error was wrapped.
type adviceRule struct {
	// find returns the error of the chain the rule is about, or nil.
	find func(err error) error
	// advice is added after the found error's text.
	advice func(found error) string
	// flagWords, when set, replaces the found error's text: a fact the
	// command line says in terms of its flag.
	flagWords func(found error) string
}

func sentinel(target error) func(error) error {
	return func(err error) error { return wrapperOf(err, target) }
}

func typed[T error]() func(error) error {
	return func(err error) error {
		var t T
		if errors.As(err, &t) {
			return t
		}
		return nil
	}
}

func say(s string) func(error) string { return func(error) string { return s } }

var adviceRules = []adviceRule{
	{find: sentinel(cluster.ErrClusterMissing), advice: say(": create it first (crashlab up)")},
	{find: sentinel(cluster.ErrForeignNamespace), advice: say(": delete or rename it yourself, or use --learner to pick another namespace")},
	{find: sentinel(cluster.ErrNamespaceTaken), advice: say(": choose another --learner name")},
	{find: sentinel(cluster.ErrNotEnoughMemory), advice: say(", or ask for fewer --nodes")},
	{find: typed[*cluster.OldContainerdError](), advice: func(e error) string {
		return fmt.Sprintf(": run `crashlab down` and `crashlab --registry %s up`", e.(*cluster.OldContainerdError).Registry)
	}},
	{find: sentinel(cluster.ErrNoCurrentContext), advice: say(": pass --context")},
	{find: sentinel(cluster.ErrNoLabContext), advice: say(": run `crashlab up`, or pass --context to use an existing cluster")},
	{find: sentinel(cluster.ErrUnreachable), advice: say(" (`crashlab up` starts the lab cluster)")},
	{find: sentinel(cluster.ErrNoAuditLog), advice: say(": only the lab's own kind cluster records them (made by `crashlab up` from this version on; `crashlab down` and `crashlab up` turns it on); everything else works as before")},
	{find: typed[*images.PushError](), advice: say(" (is the registry running and reachable from here? a registry over plain HTTP outside localhost and private addresses needs --insecure-registry)")},
	{find: typed[*lab.TooFewIncidentsError](), advice: func(e error) string {
		return fmt.Sprintf("; ask for --count %d or fewer", e.(*lab.TooFewIncidentsError).Fit)
	}},
	{find: sentinel(workshop.ErrNeedsLearners), advice: say(": pass --learners N or --names FILE")},
	{find: sentinel(workshop.ErrNeedsIncidents), advice: say(": pass --incidents ID[,ID…] (see `crashlab list`)")},
	{find: sentinel(workshop.ErrLearnerTaken), advice: say(": give this workshop's learners other names (--names FILE)")},
	{find: sentinel(workshop.ErrNoWorkshop), advice: say(": run `crashlab workshop create` first")},
	{find: sentinel(workshop.ErrNoLearners), advice: say(": run `crashlab workshop create` first")},
	{find: typed[*workshop.UnknownLearnerError](), advice: func(e error) string {
		return fmt.Sprintf(": see `crashlab workshop learners --name %s`", e.(*workshop.UnknownLearnerError).Workshop)
	}},
	{find: sentinel(interview.ErrNoCandidate), flagWords: say("--candidate is required: the candidate's name, for the report")},
	{find: typed[*interview.CandidateError](), flagWords: func(e error) string {
		return fmt.Sprintf("--candidate %q is not usable: %s", e.(*interview.CandidateError).Name, interview.CandidateRule)
	}},
}

// advisedError is an error of a library package with the command line's
// advice worded into its text; errors.Is and errors.As still see the chain.
type advisedError struct {
	msg string
	err error
}

func (e *advisedError) Error() string { return e.msg }
func (e *advisedError) Unwrap() error { return e.err }

// withAdvice adds the command line's advice to a library error; a usage
// error stays one (exit code 2) with the advice inside.
func withAdvice(err error) error {
	if err == nil {
		return nil
	}
	var ue usageError
	if errors.As(err, &ue) {
		if advised := libraryAdvice(ue.error); advised != ue.error {
			return usageError{advised}
		}
		return err
	}
	return libraryAdvice(err)
}

// libraryAdvice applies the first rule whose error is in the chain, once: an
// error already advised is left as it is.
func libraryAdvice(err error) error {
	var done *advisedError
	if errors.As(err, &done) {
		return err
	}
	for _, r := range adviceRules {
		found := r.find(err)
		if found == nil {
			continue
		}
		msg, fact := err.Error(), found.Error()
		i := strings.Index(msg, fact)
		if i < 0 {
			i = len(msg) - len(fact)
			if i < 0 {
				i, fact = len(msg), ""
			}
		}
		words := fact
		if r.flagWords != nil {
			words = r.flagWords(found)
		}
		if r.advice != nil {
			words += r.advice(found)
		}
		return &advisedError{msg: msg[:i] + words + msg[i+len(fact):], err: err}
	}
	return err
}

// wrapperOf finds, in err's chain, the error that wraps target directly (its
// text is the fact with its data), or target itself when it is returned bare.
func wrapperOf(err, target error) error {
	if err == nil || !errors.Is(err, target) {
		return nil
	}
	var bare error
	var walk func(e error) error
	walk = func(e error) error {
		if e == nil {
			return nil
		}
		if same(e, target) {
			bare = e
			return nil
		}
		var kids []error
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			kids = []error{u.Unwrap()}
		case interface{ Unwrap() []error }:
			kids = u.Unwrap()
		}
		for _, k := range kids {
			if same(k, target) {
				return e
			}
		}
		for _, k := range kids {
			if w := walk(k); w != nil {
				return w
			}
		}
		return nil
	}
	if w := walk(err); w != nil {
		return w
	}
	return bare
}

// same is == on errors that can be compared (== panics on others).
func same(a, b error) bool {
	ta := reflect.TypeOf(a)
	return ta != nil && ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}
