// Package fixes reads and replays a scenario's fixes/ folder: every accepted
// fix and every shortcut the grader must refuse, written as data (one YAML file
// per fix, kubectl-like steps). The unit tests replay each fix on a fake
// clientset and the e2e suite on the real cluster, through the same Apply.
//
// The folder holds the intended answers, so it is read from disk by tests only:
// nothing in the crashlab binary imports this package or embeds fixes/.
// scenarios/README.md documents the format.
package fixes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

// Expect is what the grader must do with a fix.
type Expect string

// A fix either passes (naming its approach) or is refused (by a named check).
const (
	ExpectPass   Expect = "pass"
	ExpectRefuse Expect = "refuse"
)

// DiagnosisFile is the file of a fixes/ folder that is not a fix.
const DiagnosisFile = "diagnosis.yaml"

// DefaultAfterTimeout bounds how long the e2e suite waits for an after
// signature when the file names no timeout.
const DefaultAfterTimeout = 2 * time.Minute

// Fix is one file of a fixes/ folder.
type Fix struct {
	// Name is the file name without .yaml; the e2e suite uses it as the
	// learner name, so it must be a DNS label.
	Name string
	File string
	// Expect, Approach and RefusedBy: a passing fix names the Verdict.Approach
	// the grader must report; a refused one the FIRST check that must fail.
	Expect    Expect
	Approach  string
	RefusedBy string
	// Why says what a learner under pressure would do and why it is (not) a fix.
	Why   string
	Steps []Step
	// After is evidence the e2e suite waits for on the pods once check returned.
	After *After
}

// Step is one kubectl-like action: Action names it (patch, scale, ...), Spec is
// its body as JSON, with templates still in its strings: they are filled from
// the live cluster when the step is applied.
type Step struct {
	Action string
	Spec   json.RawMessage
}

// After is evidence (grader.Evidence predicates, templates allowed; an entry
// that renders empty is dropped) that must hold on the workload's pods after
// the check, within Timeout.
type After struct {
	Signature []string           `json:"signature"`
	Timeout   scenarios.Duration `json:"timeout,omitempty"`
}

// Wait is the timeout the e2e suite gives the after signature.
func (a After) Wait() time.Duration {
	if a.Timeout.Duration > 0 {
		return a.Timeout.Duration
	}
	return DefaultAfterTimeout
}

// file is a fix file as written.
type file struct {
	Expect    Expect                       `json:"expect"`
	Approach  string                       `json:"approach,omitempty"`
	RefusedBy string                       `json:"refusedBy,omitempty"`
	Why       string                       `json:"why"`
	Steps     []map[string]json.RawMessage `json:"steps"`
	After     *After                       `json:"after,omitempty"`
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Load reads every fix file (*.yaml except diagnosis.yaml) of dir, sorted by
// name. Every bad file gives one error naming the file; all are returned.
func Load(dir string) ([]Fix, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read fixes folder: %w", err)
	}
	var out []Fix
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || name == DiagnosisFile:
			continue
		case strings.HasSuffix(name, ".yml"):
			errs = append(errs, fmt.Errorf("%s: name fix files *.yaml", filepath.Join(dir, name)))
			continue
		case !strings.HasSuffix(name, ".yaml"):
			continue
		}
		f, err := LoadFile(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// LoadFile reads and validates one fix file.
func LoadFile(path string) (Fix, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Fix{}, err
	}
	f, err := Parse(strings.TrimSuffix(filepath.Base(path), ".yaml"), raw)
	if err != nil {
		return Fix{}, fmt.Errorf("%s: %w", path, err)
	}
	f.File = path
	return f, nil
}

// Parse reads and validates the YAML of one fix called name.
func Parse(name string, raw []byte) (Fix, error) {
	fx := Fix{Name: name}
	if !dnsLabel.MatchString(name) {
		return fx, fmt.Errorf("fix name %q must be a DNS label (lower-case letters, digits, '-'): the e2e suite uses it as a learner name", name)
	}
	var f file
	if err := strictYAML(raw, &f); err != nil {
		return fx, err
	}
	fx.Expect, fx.Approach, fx.RefusedBy, fx.Why, fx.After = f.Expect, f.Approach, f.RefusedBy, strings.TrimSpace(f.Why), f.After
	switch f.Expect {
	case ExpectPass:
		if f.Approach == "" {
			return fx, fmt.Errorf("expect: pass needs approach (the Verdict.Approach the grader must name)")
		}
		if f.RefusedBy != "" {
			return fx, fmt.Errorf("expect: pass takes no refusedBy")
		}
	case ExpectRefuse:
		if f.RefusedBy == "" {
			return fx, fmt.Errorf("expect: refuse needs refusedBy (the first check that must fail)")
		}
		if f.Approach != "" {
			return fx, fmt.Errorf("expect: refuse takes no approach")
		}
	case "":
		return fx, fmt.Errorf("expect is missing (pass or refuse)")
	default:
		return fx, fmt.Errorf("expect %q: must be pass or refuse", f.Expect)
	}
	if fx.Why == "" {
		return fx, fmt.Errorf("why is missing: say what a learner would do and why it is or is not a fix")
	}
	if len(f.Steps) == 0 {
		return fx, fmt.Errorf("steps: a fix needs at least one step")
	}
	for i, m := range f.Steps {
		st, err := parseStep(m)
		if err != nil {
			return fx, fmt.Errorf("step %d: %w", i+1, err)
		}
		fx.Steps = append(fx.Steps, st)
	}
	if fx.After != nil {
		if err := validateAfter(*fx.After); err != nil {
			return fx, fmt.Errorf("after: %w", err)
		}
	}
	return fx, nil
}

func parseStep(m map[string]json.RawMessage) (Step, error) {
	if len(m) != 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return Step{}, fmt.Errorf("a step has exactly one action, got %v (known: %s)", keys, strings.Join(actionNames(), ", "))
	}
	for action, spec := range m {
		a, ok := actions[action]
		if !ok {
			return Step{}, fmt.Errorf("unknown step %q (known: %s)", action, strings.Join(actionNames(), ", "))
		}
		if err := checkTemplates(spec); err != nil {
			return Step{}, fmt.Errorf("%s: %w", action, err)
		}
		if err := a.validate(spec); err != nil {
			return Step{}, fmt.Errorf("%s: %w", action, err)
		}
		return Step{Action: action, Spec: spec}, nil
	}
	panic("unreachable")
}

func validateAfter(a After) error {
	if len(a.Signature) == 0 {
		return fmt.Errorf("signature: list the evidence to wait for")
	}
	if a.Timeout.Duration < 0 {
		return fmt.Errorf("timeout must not be negative")
	}
	for _, e := range a.Signature {
		if strings.Contains(e, "{{") {
			if _, err := parseTemplate(e); err != nil {
				return fmt.Errorf("signature %q: %w", e, err)
			}
			continue // checked once rendered, against the live cluster
		}
		if _, err := grader.Evidence(grader.Facts{}, "", e); err != nil {
			return fmt.Errorf("signature: %w", err)
		}
	}
	return nil
}

// strictYAML decodes YAML into v and refuses fields v does not have.
func strictYAML(raw []byte, v any) error {
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return err
	}
	return strictJSON(j, v)
}

// strictJSON decodes as the API server does with strict field validation:
// field names match case-sensitively, and unknown or duplicate fields are
// errors (encoding/json would take "stringdata" for "stringData").
func strictJSON(j []byte, v any) error {
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}
