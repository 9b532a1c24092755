package fixes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/yamlfile"
	"github.com/crashlab/crashlab/scenarios"
)

// Module is the module whose root RepoRoot looks for.
const Module = "github.com/crashlab/crashlab"

// Diagnosis is diagnosis.yaml: the answers the e2e suite gives to the choice
// questions of scenario.yaml (question id → choice id), one its author meant
// as right and one that must be marked wrong. Fact questions are answered from
// the live pods and are not listed.
type Diagnosis struct {
	Correct map[string]string `json:"correct"`
	Wrong   map[string]string `json:"wrong"`
}

// Validate checks the answers against the scenario's questions: every choice
// question answered both ways with choices it offers, the two answers differ.
func (d Diagnosis) Validate(qs []grader.Question) error {
	byID := map[string]grader.Question{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	for _, answers := range []map[string]string{d.Correct, d.Wrong} {
		for id := range answers {
			q, ok := byID[id]
			if !ok {
				return fmt.Errorf("question %q is not in scenario.yaml", id)
			}
			if q.Fact != "" {
				return fmt.Errorf("question %q asks for a fact, which the e2e suite reads from the pods: leave it out", id)
			}
		}
	}
	for _, q := range qs {
		if q.Fact != "" {
			continue
		}
		right, wrong := d.Correct[q.ID], d.Wrong[q.ID]
		if right == "" || wrong == "" {
			return fmt.Errorf("question %q needs a correct and a wrong answer", q.ID)
		}
		if right == wrong {
			return fmt.Errorf("question %q: the wrong answer is the correct one", q.ID)
		}
		for _, a := range []string{right, wrong} {
			if !hasChoice(q, a) {
				return fmt.Errorf("question %q has no choice %q", q.ID, a)
			}
		}
	}
	return nil
}

func hasChoice(q grader.Question, id string) bool {
	for _, c := range q.Choices {
		if c.ID == id {
			return true
		}
	}
	return false
}

// LoadDiagnosis reads a diagnosis.yaml.
func LoadDiagnosis(path string) (Diagnosis, error) {
	var d Diagnosis
	raw, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	if err := yamlfile.Decode(path, raw, &d); err != nil {
		return d, err
	}
	return d, nil
}

// Folder is a scenario's fixes/ folder.
type Folder struct {
	Dir       string
	Fixes     []Fix
	Diagnosis Diagnosis
}

// Passing and Refused split the fixes by what the grader must do.
func (f Folder) Passing() []Fix { return f.filter(ExpectPass) }

// Refused are the shortcuts the grader must refuse.
func (f Folder) Refused() []Fix { return f.filter(ExpectRefuse) }

func (f Folder) filter(e Expect) []Fix {
	var out []Fix
	for _, fx := range f.Fixes {
		if fx.Expect == e {
			out = append(out, fx)
		}
	}
	return out
}

// Dir is the fixes/ folder of scenario id in the repository at root.
func Dir(root, id string) string { return filepath.Join(root, "scenarios", id, "fixes") }

// LoadScenario reads the fixes/ folder of scenario s in the repository at root
// and checks it is complete: at least one accepted fix, at least one refused
// shortcut, and diagnosis answers for the scenario's choice questions.
func LoadScenario(root string, s scenarios.Scenario) (Folder, error) {
	return LoadFolder(Dir(root, s.ID), s)
}

// LoadFolder is LoadScenario for the fixes/ folder at dir (a pack's
// incident keeps its fixes/ next to its scenario.yaml, like a built-in one).
func LoadFolder(dir string, s scenarios.Scenario) (Folder, error) {
	f := Folder{Dir: dir}
	var errs []error
	fixes, err := Load(f.Dir)
	if err != nil {
		errs = append(errs, err)
	}
	f.Fixes = fixes
	if d, err := LoadDiagnosis(filepath.Join(f.Dir, DiagnosisFile)); err != nil {
		errs = append(errs, fmt.Errorf("scenario %s: %w", s.ID, err))
	} else if err := d.Validate(s.Questions); err != nil {
		errs = append(errs, fmt.Errorf("scenario %s: %s: %w", s.ID, DiagnosisFile, err))
	} else {
		f.Diagnosis = d
	}
	if len(f.Passing()) == 0 {
		errs = append(errs, fmt.Errorf("scenario %s: %s has no fix with expect: pass", s.ID, f.Dir))
	}
	if len(f.Refused()) == 0 {
		errs = append(errs, fmt.Errorf("scenario %s: %s has no shortcut with expect: refuse", s.ID, f.Dir))
	}
	return f, errors.Join(errs...)
}

// RepoRoot finds the repository root from the working directory (a test runs
// in its package's folder): the nearest folder up whose go.mod declares Module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory", Module)
		}
		dir = parent
	}
}

func isModuleRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.TrimSpace(mod) == Module
		}
	}
	return false
}

// LiveValues are the template values the lab deploys with on this cluster,
// derived as `crashlab start` derives them: from the first node's architecture.
func LiveValues(ctx context.Context, c kubernetes.Interface) (scenarios.Values, error) {
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return scenarios.Values{}, fmt.Errorf("list nodes: %w", err)
	}
	if len(nodes.Items) == 0 {
		return scenarios.Values{}, fmt.Errorf("the cluster has no nodes")
	}
	return ValuesFor(nodes.Items[0].Status.NodeInfo.Architecture)
}

// ValuesFor are the template values for a node of architecture arch.
func ValuesFor(arch string) (scenarios.Values, error) {
	imgs, err := images.ForNode(arch)
	if err != nil {
		return scenarios.Values{}, err
	}
	return scenarios.Values{Image: imgs[0].Ref, ForeignImage: imgs[1].Ref, NodeArch: arch}, nil
}
