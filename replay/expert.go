package replay

import (
	"fmt"
	"strings"
	"time"
)

// Looks an expert path's Step may name.
var Looks = []string{ActionGet, ActionDescribe, ActionLogs, ActionEvents, ActionExec, ActionRolloutStatus, ActionRolloutHistory, ActionTop}

// Kinds a Step may name, by their singular lowercase name, and the short
// names kubectl accepts for them.
var stepKinds = map[string]string{
	"pod": "pod", "po": "pod", "pods": "pod",
	"deployment": "deployment", "deploy": "deployment", "deployments": "deployment",
	"replicaset": "replicaset", "rs": "replicaset",
	"statefulset": "statefulset", "sts": "statefulset",
	"daemonset": "daemonset", "ds": "daemonset",
	"job": "job", "cronjob": "cronjob", "cj": "cronjob",
	"secret": "secret", "configmap": "configmap", "cm": "configmap",
	"node": "node", "no": "node", "event": "event", "ev": "event", "events": "event",
	"service": "service", "svc": "service", "endpoints": "endpoints", "ep": "endpoints",
	"endpointslice": "endpointslice", "endpointslices": "endpointslice",
	"persistentvolumeclaim": "persistentvolumeclaim", "pvc": "persistentvolumeclaim",
	"persistentvolume": "persistentvolume", "pv": "persistentvolume",
	"storageclass": "storageclass", "sc": "storageclass",
	"serviceaccount": "serviceaccount", "sa": "serviceaccount",
	"resourcequota": "resourcequota", "quota": "resourcequota", "limitrange": "limitrange", "limits": "limitrange",
	"networkpolicy": "networkpolicy", "netpol": "networkpolicy", "priorityclass": "priorityclass", "pc": "priorityclass",
	"namespace": "namespace", "ns": "namespace",
}

// Step is one look of an expert path: what an experienced engineer looks
// at on the way to the cause, in scenario.yaml as
//
//   - {look: logs, previous: true, evidence: true, shows: the app says DATABASE_URL is not set}
//   - {look: get, kind: secret, name: orders-db, evidence: true}
type Step struct {
	// Look is get, describe, logs, events, exec, rollout-status,
	// rollout-history or top.
	Look string `json:"look"`
	// Kind is the object's kind (pod, deployment, secret; kubectl's short
	// names are accepted); logs are a pod's, events need none.
	Kind string `json:"kind,omitempty"`
	// Name is the object's name, already rendered for the variant; ""
	// matches any. For pods and replica sets, whose names are drawn, it is
	// the workload's name and matches the pods it owns (name-...).
	Name string `json:"name,omitempty"`
	// Previous: the logs of the previous run (--previous).
	Previous bool `json:"previous,omitempty"`
	// Container, when set, is the container whose logs or shell it is.
	Container string `json:"container,omitempty"`
	// Evidence tells that this look shows the evidence of the cause.
	Evidence bool `json:"evidence,omitempty"`
	// Shows says in a few words what the look shows, for the replay's text.
	Shows string `json:"shows,omitempty"`
}

// ObjectKind is the singular lowercase kind the step looks at ("pod" for
// logs and exec, "event" for events), from its kind or kubectl's short
// name for it.
func (s Step) ObjectKind() string {
	switch s.Look {
	case ActionLogs, ActionExec:
		return "pod"
	case ActionEvents:
		return "event"
	}
	return stepKinds[s.Kind]
}

// Validate checks one step.
func (s Step) Validate() error {
	known := false
	for _, l := range Looks {
		known = known || l == s.Look
	}
	if !known {
		return fmt.Errorf("%w %q (one of %s)", ErrUnknownLook, s.Look, strings.Join(Looks, ", "))
	}
	if s.Kind != "" {
		if _, ok := stepKinds[s.Kind]; !ok {
			return fmt.Errorf("look %s: %w %q", s.Look, ErrUnknownKind, s.Kind)
		}
	}
	switch {
	case s.Look != ActionLogs && s.Look != ActionEvents && s.Look != ActionExec && s.Kind == "":
		return fmt.Errorf("look %s needs a kind", s.Look)
	case s.Previous && s.Look != ActionLogs:
		return fmt.Errorf("look %s: previous is for logs", s.Look)
	}
	return nil
}

// ValidatePath checks an expert path: at least one step, every step
// valid, at least one that shows the evidence.
func ValidatePath(path []Step) error {
	if len(path) == 0 {
		return ErrEmptyPath
	}
	evidence := false
	for i, s := range path {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("expert step %d: %w", i+1, err)
		}
		evidence = evidence || s.Evidence
	}
	if !evidence {
		return ErrNoEvidence
	}
	return nil
}

// Matches tells whether a look of the timeline is this step. A get step
// is matched by a get or a list of the kind (a named one only by a read of
// that object); a logs step by the pod's logs (of the previous run when
// it says so); a describe step by a describe; an events step by a list of
// events.
func (s Step) Matches(l Look) bool {
	kind := stepKinds[s.Kind]
	switch s.Look {
	case ActionLogs:
		if l.Action != ActionLogs || (s.Previous && !l.Previous) || (s.Container != "" && l.Container != s.Container) {
			return false
		}
		return s.Name == "" || ownedName(s.Name, l.Name)
	case ActionEvents:
		return l.Action == ActionEvents && (s.Name == "" || l.Name == "" || l.Name == s.Name || ownedName(s.Name, l.Name))
	case ActionExec:
		return l.Action == ActionExec && (s.Container == "" || l.Container == s.Container) && (s.Name == "" || ownedName(s.Name, l.Name))
	case ActionGet:
		if l.Action != ActionGet || (l.Kind != kind && !(l.Kind == "all" && allKinds[kind])) {
			return false
		}
	case ActionDescribe, ActionRolloutStatus, ActionRolloutHistory, ActionTop:
		if l.Action != s.Look || l.Kind != kind {
			return false
		}
	default:
		return false
	}
	if s.Name == "" {
		return true
	}
	if kind == "pod" || kind == "replicaset" {
		return l.Name == "" && s.Look == ActionGet || ownedName(s.Name, l.Name)
	}
	return l.Name == s.Name
}

// allKinds are the kinds kubectl get all lists.
var allKinds = map[string]bool{"pod": true, "deployment": true, "replicaset": true, "statefulset": true, "daemonset": true, "job": true, "cronjob": true, "service": true}

// ownedName tells whether name is the object workload names or one it owns
// (orders-api-7d9c5b6f4-x2x4q for orders-api).
func ownedName(workload, name string) bool {
	return name == workload || strings.HasPrefix(name, workload+"-")
}

// StepResult is what the learner did of one step of the expert path.
type StepResult struct {
	Step  Step `json:"step"`
	Taken bool `json:"taken"`
	// At and Since are the first time the learner took it.
	At    time.Time     `json:"at,omitzero"`
	Since time.Duration `json:"since,omitempty"`
	// Entry is the index in the timeline of the first entry that took it
	// (-1 when not taken).
	Entry int `json:"entry"`
	// Rank is the step's place among the taken steps by first time (1 is
	// the first taken); 0 when not taken.
	Rank int `json:"rank,omitempty"`
}

// Summary compares an investigation with the expert path.
type Summary struct {
	Steps []StepResult `json:"steps"`
	// InOrder tells whether the steps taken were taken in the path's order.
	InOrder bool `json:"inOrder"`
	// EvidenceSeen tells whether the learner took a look that shows the
	// evidence; EvidenceAfter is the time from the page to the first one,
	// EvidenceEntry its timeline index (-1 when none).
	EvidenceSeen  bool          `json:"evidenceSeen"`
	EvidenceAfter time.Duration `json:"evidenceAfter,omitempty"`
	EvidenceEntry int           `json:"evidenceEntry"`
	// Missed are the indexes in Steps of the steps never taken.
	Missed []int `json:"missed,omitempty"`
	// Diagnosed tells whether the diagnosis passed (diagnosedAt not zero).
	Diagnosed bool `json:"diagnosed"`
	// WritesBefore are the timeline indexes of the learner's writes before
	// the diagnosis passed (all writes when it did not).
	WritesBefore []int `json:"writesBefore,omitempty"`
}

// Compare measures the timeline against the expert path. diagnosedAt is
// when the diagnosis passed, zero when it did not. The lab's own entries
// are neither looks nor writes.
func Compare(t Timeline, path []Step, diagnosedAt time.Time) Summary {
	sum := Summary{Steps: make([]StepResult, len(path)), EvidenceEntry: -1, Diagnosed: !diagnosedAt.IsZero(), InOrder: true}
	for i, s := range path {
		sum.Steps[i] = StepResult{Step: s, Entry: -1}
	}
	for i, e := range t.Entries {
		if e.Source == SourceLab {
			continue
		}
		if e.Write && (diagnosedAt.IsZero() || e.WrittenAt.Before(diagnosedAt)) {
			sum.WritesBefore = append(sum.WritesBefore, i)
		}
		if e.Failed() {
			continue // a look that found nothing showed nothing
		}
		for j, s := range path {
			r := &sum.Steps[j]
			if r.Taken || !s.Matches(e.Look) {
				continue
			}
			r.Taken, r.At, r.Since, r.Entry = true, e.Time, e.Time.Sub(t.Page), i
			if s.Evidence && !sum.EvidenceSeen {
				sum.EvidenceSeen, sum.EvidenceAfter, sum.EvidenceEntry = true, e.Time.Sub(t.Page), i
			}
		}
	}
	rank, last := 0, -1
	for {
		next := -1
		for j, r := range sum.Steps {
			if r.Taken && r.Rank == 0 && (next < 0 || r.Entry < sum.Steps[next].Entry) {
				next = j
			}
		}
		if next < 0 {
			break
		}
		rank++
		sum.Steps[next].Rank = rank
		if next < last {
			sum.InOrder = false
		}
		last = next
	}
	for j, r := range sum.Steps {
		if !r.Taken {
			sum.Missed = append(sum.Missed, j)
		}
	}
	return sum
}
