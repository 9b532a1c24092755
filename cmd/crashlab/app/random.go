package app

import (
	"errors"
	"fmt"

	"github.com/crashlab/crashlab/lab"
)

// startID is the incident `start` deploys: the one named, or with --random
// one the learner has not solved yet (of --level, when given). The pick
// needs no cluster: it reads the learner's progress. The incident's id is
// printed with its briefing; ids name symptoms, never causes.
func startID(g *globals, flags *startFlags, args []string) (string, error) {
	switch {
	case flags.random && len(args) > 0:
		return "", usageError{fmt.Errorf("start takes an incident id or --random, not both")}
	case !flags.random && len(args) == 0:
		return "", usageError{fmt.Errorf("start accepts 1 arg (an incident id), or --random to pick one you have not solved")}
	case !flags.random && flags.level != 0:
		return "", usageError{fmt.Errorf("--level picks among incidents for --random; with an id, leave it out")}
	case !flags.random:
		return args[0], nil
	}
	if err := checkLevel(flags.level); err != nil {
		return "", err
	}
	svc, err := g.offlineService()
	if err != nil {
		return "", err
	}
	sc, err := svc.RandomUnsolved(flags.level)
	switch {
	case errors.Is(err, lab.ErrNoneLeft) && flags.level != 0:
		return "", fmt.Errorf("%w: `crashlab start --random` picks from every level, `crashlab list` shows your scores", err)
	case errors.Is(err, lab.ErrNoneLeft):
		return "", fmt.Errorf("%w: nothing left to start at random; `crashlab list` shows your scores", err)
	case err != nil:
		return "", err
	}
	return sc.ID, nil
}
