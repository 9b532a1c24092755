package grader

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Question is one diagnosis question. A fact question is answered with a value
// and graded against that fact on the live pods; a choice question is graded by
// the evidence each choice claims, checked against the live pods.
type Question struct {
	ID      string   `json:"id"`
	Prompt  string   `json:"prompt"`
	Fact    string   `json:"fact,omitempty"`
	Choices []Choice `json:"choices,omitempty"`
}

// Choice is a possible cause. Evidence lists predicates (see Evidence) that must
// all hold on the live pods for the choice to be the right one.
type Choice struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Evidence []string `json:"evidence"`
}

// Fact names a fact question can ask about.
const (
	FactLastReason    = "lastReason"
	FactLastExitCode  = "lastExitCode"
	FactWaitingReason = "waitingReason"
	FactNodeArch      = "nodeArch"
	// FactFamily is the status family most current pods show (see Family).
	FactFamily = "family"
)

// Validate reports a question the grader could never judge.
func (q Question) Validate() error {
	switch {
	case q.ID == "" || q.Prompt == "":
		return fmt.Errorf("question needs an id and a prompt")
	case q.Fact != "" && len(q.Choices) > 0:
		return fmt.Errorf("question %s: either a fact or choices, not both", q.ID)
	case q.Fact != "":
		if _, err := factValues(Facts{}, "", q.Fact); err != nil {
			return fmt.Errorf("question %s: %w", q.ID, err)
		}
	case len(q.Choices) < 2:
		return fmt.Errorf("question %s: needs a fact or at least two choices", q.ID)
	}
	for _, c := range q.Choices {
		if c.ID == "" || len(c.Evidence) == 0 {
			return fmt.Errorf("question %s: every choice needs an id and evidence", q.ID)
		}
		for _, e := range c.Evidence {
			if _, err := Evidence(Facts{}, "", e); err != nil {
				return fmt.Errorf("question %s choice %s: %w", q.ID, c.ID, err)
			}
		}
		if !slices.ContainsFunc(c.Evidence, specific) {
			return fmt.Errorf("question %s choice %s: evidence %v names no message, log, event message or missing key: a reason or exit code alone also shows up for unrelated trouble", q.ID, c.ID, c.Evidence)
		}
	}
	return nil
}

// factValues returns every value the fact has on the container across the
// current pods: pods flip between reasons, and any value a learner could have
// seen on a current pod counts.
func factValues(f Facts, container, fact string) ([]string, error) {
	seen := map[string]bool{}
	add := func(v string) {
		if v != "" {
			seen[v] = true
		}
	}
	for _, c := range f.Containers(container) {
		switch fact {
		case FactLastReason:
			if c.Last != nil {
				add(c.Last.Reason)
			}
		case FactLastExitCode:
			if c.Last != nil {
				add(strconv.Itoa(int(c.Last.ExitCode)))
			}
		case FactWaitingReason:
			add(c.WaitingReason)
		case FactNodeArch, FactFamily:
		default:
			return nil, fmt.Errorf("unknown fact %q", fact)
		}
	}
	switch fact {
	case FactLastReason, FactLastExitCode, FactWaitingReason:
	case FactFamily:
		// Any family a pod shows counts, as for the other facts: pods
		// flip (ErrImagePull and ImagePullBackOff fold into one family,
		// but a crash loop runs for a moment between back-offs).
		for _, v := range f.Families() {
			add(v)
		}
	case FactNodeArch:
		for _, p := range f.Pods {
			add(p.NodeArch)
		}
	default:
		return nil, fmt.Errorf("unknown fact %q", fact)
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil
}

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

// JudgeDiagnosis grades answers (question id → value or choice id) against the
// live facts.
func JudgeDiagnosis(scenario, container string, qs []Question, answers map[string]string, f Facts) Verdict {
	v := Verdict{Kind: "diagnosis", Scenario: scenario}
	if !f.Found || len(f.Pods) == 0 {
		v.add("workload", false, fmt.Sprintf("no pods of %s found in %s: the scenario %s is not running there (not started, or reset and not yet deployed)", f.Workload, f.Namespace, scenario))
		v.finish()
		return v
	}
	for _, q := range qs {
		ans := strings.TrimSpace(answers[q.ID])
		if ans == "" {
			v.add(q.ID, false, "not answered")
			continue
		}
		if q.Fact != "" {
			vals, err := factValues(f, container, q.Fact)
			switch {
			case err != nil:
				v.add(q.ID, false, err.Error())
			case len(vals) == 0:
				v.add(q.ID, false, "the pods show no value for this yet (has the container failed once?): look again in a few seconds")
			case containsFold(vals, ans):
				v.add(q.ID, true, fmt.Sprintf("%s: the live pod shows exactly that", ans))
			default:
				v.add(q.ID, false, fmt.Sprintf("%s is not what the pod shows: look again at the container's last state (`kubectl describe pod`)", ans))
			}
			continue
		}
		var chosen *Choice
		for i := range q.Choices {
			if strings.EqualFold(q.Choices[i].ID, ans) {
				chosen = &q.Choices[i]
			}
		}
		if chosen == nil {
			v.add(q.ID, false, fmt.Sprintf("%q is not one of the choices (%s)", ans, choiceIDs(q.Choices)))
			continue
		}
		if holds, missing := ChoiceHolds(f, container, chosen.Evidence); holds {
			v.add(q.ID, true, "the live pod bears this out")
		} else {
			v.add(q.ID, false, fmt.Sprintf("the live pod does not bear this out (%s does not hold together with the rest): look at the events and `kubectl logs --previous`", missing))
		}
	}
	v.finish()
	return v
}

func containsFold(vals []string, s string) bool {
	for _, v := range vals {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func choiceIDs(cs []Choice) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// specific tells whether a predicate is evidence of one cause rather than of
// many: a message, a log line, an event message or a missing key says what
// happened; a reason or an exit code alone does not (a StartError/128 also
// comes from a node that could not set up a cgroup). OOMKilled is the
// runtime's own verdict from the kernel's OOM event, so it counts.
func specific(pred string) bool {
	if strings.HasPrefix(pred, "!") {
		return false
	}
	for _, p := range []string{"log~", "lastMessage~", "waitingMessage~", "eventMessage~", "unschedulable~"} {
		if strings.HasPrefix(pred, p) && len(pred) > len(p) {
			return true
		}
	}
	return pred == "missingSecretKey" || pred == "lastReason=OOMKilled"
}

// containerScoped are the predicates about one container's state; a choice's
// container predicates must all hold on the same container of the same pod,
// so a reason from one pod and a message from another do not add up.
func containerScoped(pred string) bool {
	if strings.HasPrefix(pred, "!") {
		return false
	}
	for _, podWide := range []string{"event=", "eventMessage~", "family=", "podPhase=", "unschedulable~"} {
		if strings.HasPrefix(pred, podWide) {
			return false
		}
	}
	return true
}

// ChoiceHolds evaluates a choice's evidence: its container predicates together
// on one container, the others (events, negations) on the whole workload. It
// returns the first predicate that does not hold.
func ChoiceHolds(f Facts, container string, evidence []string) (bool, string) {
	var scoped []string
	for _, e := range evidence {
		if containerScoped(e) {
			scoped = append(scoped, e)
			continue
		}
		if ok, err := Evidence(f, container, e); err != nil || !ok {
			return false, e
		}
	}
	if len(scoped) == 0 {
		return true, ""
	}
	missing := scoped[0]
	for _, p := range f.Pods {
		for _, c := range p.Containers {
			if container != "" && c.Name != container {
				continue
			}
			one := Facts{Found: true, Pods: []PodFacts{{Name: p.Name, NodeArch: p.NodeArch, Containers: []ContainerFacts{c}}}}
			all := true
			for _, e := range scoped {
				if ok, err := Evidence(one, container, e); err != nil || !ok {
					all = false
					break
				}
			}
			if all {
				return true, ""
			}
		}
	}
	return false, missing
}
