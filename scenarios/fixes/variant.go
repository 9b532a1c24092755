package fixes

import (
	"encoding/json"
	"slices"

	"github.com/crashlab/crashlab/scenarios"
)

// Vary returns the fix as it applies to a blind variant (drawn as d): the
// base incident's names in its steps and after signature replaced as the
// variant replaced them in its manifests, so that an accepted fix still
// passes and a refused shortcut is still refused. The base draw returns fx.
func Vary(fx Fix, d scenarios.Draw) Fix {
	if d.IsBase() {
		return fx
	}
	out := fx
	out.Steps = make([]Step, len(fx.Steps))
	for i, st := range fx.Steps {
		// The literals are names and numbers, never quotes or backslashes,
		// so replacing them in the JSON text keeps it the same JSON.
		st.Spec = json.RawMessage(d.Apply(string(st.Spec)))
		out.Steps[i] = st
	}
	out.Why = d.Apply(fx.Why)
	if fx.After != nil {
		a := *fx.After
		a.Signature = slices.Clone(a.Signature)
		for i, e := range a.Signature {
			a.Signature[i] = d.Apply(e)
		}
		out.After = &a
	}
	return out
}
