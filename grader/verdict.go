package grader

// CheckResult is one named check with a sentence a learner understands.
type CheckResult struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
}

// Verdict is the outcome of grading a diagnosis or a fix.
type Verdict struct {
	Kind     string        `json:"kind"` // diagnosis or fix
	Scenario string        `json:"scenario"`
	Passed   bool          `json:"passed"`
	Checks   []CheckResult `json:"checks"`
	// Approach names the accepted fix the learner used, when several exist.
	Approach string `json:"approach,omitempty"`
}

func (v *Verdict) add(name string, passed bool, msg string) {
	v.Checks = append(v.Checks, CheckResult{Name: name, Passed: passed, Message: msg})
}

// finish sets Passed: every check passed and there was at least one.
func (v *Verdict) finish() {
	v.Passed = len(v.Checks) > 0
	for _, c := range v.Checks {
		if !c.Passed {
			v.Passed = false
		}
	}
}
