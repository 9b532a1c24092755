package content

import (
	_ "embed"
	"fmt"

	"github.com/crashlab/crashlab/internal/yamlfile"
)

//go:embed drill.yaml
var drillYAML []byte

// DrillBank is drill.yaml: the facts `crashlab drill` asks about.
type DrillBank struct {
	ObservedOn string            `json:"observedOn"`
	Triage     []TriageStep      `json:"triage"`
	ExitCodes  []ExitCodeFact    `json:"exitCodes"`
	Statuses   []StatusFact      `json:"statuses"`
	Commands   []CommandFact     `json:"commands"`
	Questions  []WrittenQuestion `json:"questions"`
}

// TriageStep is one step of the triage sequence, in order.
type TriageStep struct {
	Step   string   `json:"step"`
	Shows  string   `json:"shows"`
	Accept []string `json:"accept"`
}

// ExitCodeFact is what an exit code says.
type ExitCodeFact struct {
	Code    int      `json:"code"`
	Meaning string   `json:"meaning"`
	Note    string   `json:"note,omitempty"` // shown after the answer
	Terms   []string `json:"terms"`
	Runtime string   `json:"runtime,omitempty"`
	Source  string   `json:"source"`
	// NotWith lists codes whose meaning would also fit on some runtime; they
	// are never offered as wrong choices beside this one.
	NotWith []int `json:"notWith,omitempty"`
}

// StatusFact is what a status or reason says.
type StatusFact struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Runtime string `json:"runtime,omitempty"`
	Source  string `json:"source"`
}

// CommandFact is which command shows what.
type CommandFact struct {
	Command string   `json:"command"`
	Shows   string   `json:"shows"`
	Accept  []string `json:"accept"`
}

// WrittenQuestion is a question written out with its right and wrong answers.
type WrittenQuestion struct {
	ID      string   `json:"id"`
	Topic   string   `json:"topic"`
	Prompt  string   `json:"prompt"`
	Answer  string   `json:"answer"`
	Wrong   []string `json:"wrong"`
	Accept  []string `json:"accept,omitempty"`
	Why     string   `json:"why"`
	Runtime string   `json:"runtime,omitempty"`
	Source  string   `json:"source"`
}

// Drill reads the embedded drill.yaml and checks that every fact says
// where it comes from.
func Drill() (DrillBank, error) {
	var b DrillBank
	// Strict, with the line: a misspelt field would drop a fact in silence.
	if err := yamlfile.Decode("content/drill.yaml", drillYAML, &b); err != nil {
		return b, err
	}
	sources := map[string]bool{"observed": true, "documented": true}
	check := func(what, source string) error {
		if !sources[source] {
			return fmt.Errorf("content/drill.yaml: %s: source %q is neither observed nor documented", what, source)
		}
		return nil
	}
	for _, e := range b.ExitCodes {
		if err := check(fmt.Sprintf("exit code %d", e.Code), e.Source); err != nil {
			return b, err
		}
	}
	for _, s := range b.Statuses {
		if err := check(s.Name, s.Source); err != nil {
			return b, err
		}
	}
	for _, q := range b.Questions {
		if err := check(q.ID, q.Source); err != nil {
			return b, err
		}
		if q.Answer == "" || len(q.Wrong) < 2 {
			return b, fmt.Errorf("content/drill.yaml: question %s needs an answer and at least two wrong ones", q.ID)
		}
	}
	if len(b.Triage) < 2 {
		return b, fmt.Errorf("content/drill.yaml: the triage needs at least two steps")
	}
	return b, nil
}
