package grader

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/crashlab/crashlab/podstate"
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
		if _, err := FactValues(podstate.Facts{}, "", q.Fact); err != nil {
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
			if _, err := podstate.Evidence(podstate.Facts{}, "", e); err != nil {
				return fmt.Errorf("question %s choice %s: %w", q.ID, c.ID, err)
			}
		}
		if !slices.ContainsFunc(c.Evidence, specific) {
			return fmt.Errorf("question %s choice %s: evidence %v names no message, log, event message or missing key: a reason or exit code alone also shows up for unrelated trouble", q.ID, c.ID, c.Evidence)
		}
	}
	return nil
}

// FactValues returns every value the fact has on the container across the
// current pods: pods flip between reasons, and any value a learner could have
// seen on a current pod counts.
func FactValues(f podstate.Facts, container, fact string) ([]string, error) {
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

// JudgeDiagnosis grades answers (question id → value or choice id) against the
// live facts.
func JudgeDiagnosis(scenario, container string, qs []Question, answers map[string]string, f podstate.Facts) Verdict {
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
			vals, err := FactValues(f, container, q.Fact)
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
func ChoiceHolds(f podstate.Facts, container string, evidence []string) (bool, string) {
	var scoped []string
	for _, e := range evidence {
		if containerScoped(e) {
			scoped = append(scoped, e)
			continue
		}
		if ok, err := podstate.Evidence(f, container, e); err != nil || !ok {
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
			one := podstate.Facts{Found: true, Pods: []podstate.PodFacts{{Name: p.Name, NodeArch: p.NodeArch, Containers: []podstate.ContainerFacts{c}}}}
			all := true
			for _, e := range scoped {
				if ok, err := podstate.Evidence(one, container, e); err != nil || !ok {
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
