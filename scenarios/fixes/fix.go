// Package fixes reads and replays a scenario's fixes/ folder: every accepted
// fix and every shortcut the grader must refuse, written as data (one YAML file
// per fix, kubectl-like steps). The unit tests replay each fix on a fake
// clientset and the e2e suite on the real cluster, through the same Apply.
//
// The folder holds the intended answers, so it is only ever read from disk:
// by the tests, and by `crashlab author validate` and `author test` for the
// author's own folder. Nothing embeds fixes/ (TestFixesAreNotEmbedded), and
// `pack push` and a room's controller leave them behind.
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

	yaml "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"

	"github.com/crashlab/crashlab/internal/yamlfile"
	"github.com/crashlab/crashlab/podstate"
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

// After is evidence (podstate.Evidence predicates, templates allowed; an entry
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

// LoadFile reads and validates one fix file. Its mistakes name the path and,
// where they have one, the line.
func LoadFile(path string) (Fix, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Fix{}, err
	}
	f, err := parse(path, strings.TrimSuffix(filepath.Base(path), ".yaml"), raw)
	if err != nil {
		return Fix{}, err
	}
	f.File = path
	return f, nil
}

// Parse reads and validates the YAML of one fix called name; its errors name
// the file name.yaml and the line.
func Parse(name string, raw []byte) (Fix, error) {
	return parse(name+".yaml", name, raw)
}

func parse(path, name string, raw []byte) (Fix, error) {
	fx := Fix{Name: name}
	if !dnsLabel.MatchString(name) {
		return fx, &yamlfile.Error{File: path, Msg: fmt.Sprintf("fix name %q must be a DNS label (lower-case letters, digits, '-'): the e2e suite uses it as a learner name", name)}
	}
	var f file
	if err := yamlfile.Decode(path, raw, &f); err != nil {
		return fx, err
	}
	doc, _ := yamlfile.Parse(path, raw, 0) // Decode parsed it already
	// at places a mistake at the line of the field it is about.
	// A field that is missing has no line: "" names none.
	at := func(field string, format string, args ...any) error {
		line := 0
		if field != "" {
			line = yamlfile.Line(doc, field)
		}
		return &yamlfile.Error{File: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	fx.Expect, fx.Approach, fx.RefusedBy, fx.Why, fx.After = f.Expect, f.Approach, f.RefusedBy, strings.TrimSpace(f.Why), f.After
	switch f.Expect {
	case ExpectPass:
		if f.Approach == "" {
			return fx, at("expect", "expect: pass needs approach (the Verdict.Approach the grader must name)")
		}
		if f.RefusedBy != "" {
			return fx, at("refusedBy", "expect: pass takes no refusedBy")
		}
	case ExpectRefuse:
		if f.RefusedBy == "" {
			return fx, at("expect", "expect: refuse needs refusedBy (the first check that must fail)")
		}
		if f.Approach != "" {
			return fx, at("approach", "expect: refuse takes no approach")
		}
	case "":
		return fx, at("", "expect is missing (pass or refuse)")
	default:
		return fx, at("expect", "expect %q: must be pass or refuse", f.Expect)
	}
	if fx.Why == "" {
		return fx, at("", "why is missing: say what a learner would do and why it is or is not a fix")
	}
	if len(f.Steps) == 0 {
		return fx, at("steps", "steps: a fix needs at least one step")
	}
	var errs []error
	for i, m := range f.Steps {
		st, err := parseStep(m)
		if err != nil {
			errs = append(errs, stepError(path, doc, i, err))
			continue
		}
		fx.Steps = append(fx.Steps, st)
	}
	if len(errs) > 0 {
		return fx, errors.Join(errs...)
	}
	if fx.After != nil {
		if err := validateAfter(*fx.After); err != nil {
			return fx, at("after", "after: %v", err)
		}
	}
	return fx, nil
}

// stepError places a step's mistake: a field the step's body or the object
// it carries does not know is found under the step (its path is relative to
// the body, or to the patch or manifest in it); anything else is at the
// step's first line.
func stepError(file string, doc *yaml.Node, i int, err error) error {
	step := fmt.Sprintf("steps[%d]", i)
	line := yamlfile.Line(doc, step)
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		if l := yamlfile.Find(stepNode(doc, i), fe.FieldPath()); l > 0 {
			line = l
		}
	}
	return &yamlfile.Error{File: file, Line: line, Msg: fmt.Sprintf("step %d: %v", i+1, err)}
}

// stepNode is the node of the i-th step, nil when there is none.
func stepNode(doc *yaml.Node, i int) *yaml.Node {
	if doc == nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == "steps" && root.Content[j+1].Kind == yaml.SequenceNode && i < len(root.Content[j+1].Content) {
			return root.Content[j+1].Content[i]
		}
	}
	return nil
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
		if _, err := podstate.Evidence(podstate.Facts{}, "", e); err != nil {
			return fmt.Errorf("signature: %w", err)
		}
	}
	return nil
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
