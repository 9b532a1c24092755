package podstate

import (
	"fmt"
	"strconv"
	"strings"
)

// Evidence evaluates one predicate on the facts of a container:
//
//	lastReason=X  lastExitCode=N  waitingReason=X  log~TEXT  event=REASON
//	eventMessage~TEXT  waitingMessage~TEXT  missingSecretKey  neverStarted
//
// A leading "!" negates. Unknown predicates are an error so that a typo in a
// scenario cannot make a choice silently true or false.
func Evidence(f Facts, container, pred string) (bool, error) {
	if strings.HasPrefix(pred, "!") {
		ok, err := Evidence(f, container, pred[1:])
		return !ok, err
	}
	key, val, op := pred, "", ""
	if i := strings.IndexAny(pred, "=~"); i >= 0 {
		key, op, val = pred[:i], pred[i:i+1], pred[i+1:]
	}
	cs := f.Containers(container)
	any := func(fn func(ContainerFacts) bool) bool {
		for _, c := range cs {
			if fn(c) {
				return true
			}
		}
		return false
	}
	contains := func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(val)) }
	switch {
	case key == "lastReason" && op == "=":
		return any(func(c ContainerFacts) bool { t := c.IncidentLast(); return t != nil && t.Reason == val }), nil
	case key == "lastExitCode" && op == "=":
		n, err := strconv.Atoi(val)
		if err != nil {
			return false, fmt.Errorf("lastExitCode needs a number, got %q", val)
		}
		return any(func(c ContainerFacts) bool { t := c.IncidentLast(); return t != nil && int(t.ExitCode) == n }), nil
	case key == "waitingReason" && op == "=":
		return any(func(c ContainerFacts) bool { return c.WaitingReason == val }), nil
	case key == "waitingMessage" && op == "~":
		return any(func(c ContainerFacts) bool { return contains(c.WaitingMessage) }), nil
	case key == "log" && op == "~":
		return any(func(c ContainerFacts) bool { return contains(c.PreviousLog) }), nil
	case key == "lastMessage" && op == "~":
		return any(func(c ContainerFacts) bool { t := c.IncidentLast(); return t != nil && contains(t.Message) }), nil
	case key == "event" && op == "=":
		for _, e := range f.Events {
			if e.Reason == val {
				return true, nil
			}
		}
		return false, nil
	case key == "eventMessage" && op == "~":
		for _, e := range f.Events {
			if contains(e.Message) {
				return true, nil
			}
		}
		return false, nil
	case key == "family" && op == "=":
		// Any current pod, as for the other predicates: pods of one
		// workload can be a step apart (one restarting, one waiting).
		for _, v := range f.Families() {
			if v == val {
				return true, nil
			}
		}
		return false, nil
	case key == "podPhase" && op == "=":
		for _, p := range f.Pods {
			if p.Phase == val {
				return true, nil
			}
		}
		return false, nil
	case key == "unschedulable" && op == "~":
		for _, p := range f.Pods {
			if p.Unschedulable != "" && contains(p.Unschedulable) {
				return true, nil
			}
		}
		return false, nil
	case key == "missingSecretKey" && op == "":
		return any(func(c ContainerFacts) bool { return len(c.MissingSecretKeys) > 0 }), nil
	case key == "neverStarted" && op == "":
		return any(func(c ContainerFacts) bool { t := c.IncidentLast(); return t != nil && t.StartedAt.IsZero() }), nil
	}
	return false, fmt.Errorf("unknown evidence %q", pred)
}
