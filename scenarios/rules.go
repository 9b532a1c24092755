package scenarios

import (
	"fmt"
	"slices"

	"github.com/crashlab/crashlab/grader"
)

// Rule is a declarative fix check in scenario.yaml, for what repeats across
// scenarios: each is a shorthand for a CEL check (rulescel.go writes it),
// run by the same engine as an incident's own `checks:`. Rules run first,
// in the order written.
//
//	rules:
//	  - rule: keep            # parts of the released container a fix must leave alone
//	    parts: [image, command, args]   # also livenessProbe, readinessProbe, startupProbe, memoryLimit, cpuLimit
//	    fail: what to do instead
//	    pass: what holds
//	  - rule: probeKept       # the container keeps a probe of that kind
//	    name: liveness-kept
//	    probe: liveness
//	  - rule: probeOnHealth   # every such probe asks the released health endpoint
//	    name: liveness-on-health
//	    probes: [liveness, startup]
//	  - rule: memoryLimit     # the limit fits the need the released args state, with headroom
//	    name: memory-limit
//	    needArg: --alloc-mb
//	    minHeadroomMiB: 16
//	    headroomDivisor: 4
//	    maxFactor: 4
//	    approach: limit-raised
//	  - rule: hardeningKept   # the released security baseline stays, nothing privileged comes in
type Rule struct {
	Rule   string   `json:"rule"`
	Name   string   `json:"name,omitempty"`
	Parts  []string `json:"parts,omitempty"`
	Probe  string   `json:"probe,omitempty"`
	Probes []string `json:"probes,omitempty"`
	Fail   string   `json:"fail,omitempty"`
	Pass   string   `json:"pass,omitempty"`
	// memoryLimit
	NeedArg         string `json:"needArg,omitempty"`
	MinHeadroomMiB  int64  `json:"minHeadroomMiB,omitempty"`
	HeadroomDivisor int64  `json:"headroomDivisor,omitempty"`
	MaxFactor       int64  `json:"maxFactor,omitempty"`
	Approach        string `json:"approach,omitempty"`
}

var keepParts = []string{"image", "command", "args", "livenessProbe", "readinessProbe", "startupProbe", "memoryLimit", "cpuLimit"}

// validate reports a rule the grader could not run.
func (r Rule) validate() error {
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("rule %s needs %s", r.Rule, what)
		}
		return nil
	}
	switch r.Rule {
	case "keep":
		if err := need(len(r.Parts) > 0 && r.Fail != "" && r.Pass != "", "parts, fail and pass"); err != nil {
			return err
		}
		for _, p := range r.Parts {
			if !slices.Contains(keepParts, p) {
				return fmt.Errorf("rule keep: unknown part %q (parts: %v)", p, keepParts)
			}
		}
		return nil
	case "probeKept":
		return need(r.Name != "" && slices.Contains(grader.ProbeKinds, r.Probe) && r.Fail != "" && r.Pass != "", fmt.Sprintf("a name, probe (one of %v), fail and pass", grader.ProbeKinds))
	case "probeOnHealth":
		if err := need(r.Name != "" && len(r.Probes) > 0, "a name and probes"); err != nil {
			return err
		}
		for _, p := range r.Probes {
			if !slices.Contains(grader.ProbeKinds, p) {
				return fmt.Errorf("rule probeOnHealth: unknown probe %q (probes: %v)", p, grader.ProbeKinds)
			}
		}
		return nil
	case "hardeningKept":
		return need(r.Name == "" && len(r.Parts) == 0 && r.Fail == "" && r.Pass == "", "nothing else (its check is hardening-kept)")
	case "memoryLimit":
		return need(r.Name != "" && r.NeedArg != "" && r.MaxFactor > 0 && (r.MinHeadroomMiB > 0 || r.HeadroomDivisor > 0), "a name, needArg, maxFactor and minHeadroomMiB or headroomDivisor")
	}
	return fmt.Errorf("unknown rule %q (rules: keep, probeKept, probeOnHealth, memoryLimit, hardeningKept)", r.Rule)
}

// check builds the grader check of a rule against the baseline: the CEL
// check it stands for (rulescel.go).
func (r Rule) check(b Baseline) grader.Check {
	return compiledCheck(r.spec(), b.Workload.Kind, b.checkInputs())
}
