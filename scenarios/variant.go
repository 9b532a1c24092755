package scenarios

import (
	"errors"
	"fmt"
	"github.com/crashlab/crashlab/grader/celcheck"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/replay"
)

// A blind variant is the incident with its object names and values drawn
// from a seed. In an interview the catalogue is public, so the names of the
// base incident (the workload orders-api, the Secret orders-db, the key
// database-url) would be enough to look the cause up; a variant renames them
// everywhere the learner or the grader meets them. Seed 0 is the base
// incident exactly as written.
//
// Each param names one literal of the base incident and a pool of
// alternatives. A variant replaces every token-bounded occurrence of each
// literal, all at once, in the manifests and in every text of scenario.yaml
// and explanation.md; the Go checks read the variant's values from the
// baseline (Baseline.Name) and the fixes/ replay applies the same
// replacement to its steps (Draw.Apply). The id is never replaced: it is the
// catalogue's key, the namespace's and the progress's, and `crashlab
// diagnose <id>` must keep working.

// Param is one parameter of a scenario, in scenario.yaml's params:
//
//	params:
//	  - {name: workload, value: orders-api, pool: [billing-api, ...]}
//	  - {name: service, value: orders API, with: workload, pool: [billing API, ...]}
type Param struct {
	Name string `json:"name"`
	// Value is the literal as the base incident writes it.
	Value string `json:"value"`
	// Pool are the alternatives a variant draws from; the base value is
	// never one of them, so a variant shows none of the base literals.
	Pool []string `json:"pool"`
	// With names an earlier param whose draw this one follows (same index
	// into a pool of the same length), for values that must agree: the
	// prose name of the workload, a limit that must stay below a need.
	With string `json:"with,omitempty"`
}

// ErrVariantOfVariant is the error of Variant on a scenario that is already
// a variant of another seed: variants are drawn from the base incident.
var ErrVariantOfVariant = errors.New("a variant is drawn from the base incident, not from another variant")

// Draw is which values a scenario was drawn with: the seed (0 for the base
// incident) and each param's value. The zero Draw is the base incident.
type Draw struct {
	Seed uint64
	// Values is each param's value by param name (the base literal under
	// seed 0).
	Values map[string]string
	// literals is each param's base literal → its value in this draw.
	literals map[string]string
}

// IsBase tells whether the draw is the base incident.
func (d Draw) IsBase() bool { return d.Seed == 0 }

// Param is the value of the param of that name ("" when there is none).
func (d Draw) Param(name string) string { return d.Values[name] }

// Name is the draw's value for a literal of the base incident: what the Go
// checks call with their constants (b.Name("orders-db")). A literal no
// param names is returned as it is.
func (d Draw) Name(literal string) string {
	if v, ok := d.literals[literal]; ok {
		return v
	}
	return literal
}

// Apply replaces every param's literal in text with its drawn value: the
// substitution a variant makes in its manifests and texts, and the fixes/
// replay in its steps.
func (d Draw) Apply(text string) string {
	if len(d.literals) == 0 {
		return text
	}
	return replaceTokens(text, d.literals)
}

// Seed is the seed the scenario was drawn with; 0 for the base incident.
func (s Scenario) Seed() uint64 { return s.draw.Seed }

// Draw is the scenario's draw (the zero Draw for the base incident).
func (s Scenario) Draw() Draw { return s.draw }

// Variant returns the scenario drawn with seed: every param's literal
// replaced by a value of its pool in the manifests, the briefing, hints,
// questions, cause, title, approaches, rules' texts, explanation and the
// workload's names. The same seed always gives the same variant; seed 0 is
// the scenario itself. The first param (the workload by convention) takes
// the pool's entries in turn as the seed grows, so consecutive seeds never
// repeat it; the others are drawn with PCG, seeded with the seed and the
// param's name, so the draw does not change with the Go release.
func (s Scenario) Variant(seed uint64) (Scenario, error) {
	if s.draw.Seed != 0 {
		if s.draw.Seed == seed {
			return s, nil
		}
		return s, fmt.Errorf("scenario %s: %w", s.ID, ErrVariantOfVariant)
	}
	if seed == 0 {
		return s, nil
	}
	d := Draw{Seed: seed, Values: map[string]string{}, literals: map[string]string{}}
	index := map[string]int{}
	for i, p := range s.Params {
		var k int
		switch {
		case p.With != "":
			k = index[p.With]
		case i == 0:
			k = int((seed - 1) % uint64(len(p.Pool)))
		default:
			h := fnv.New64a()
			h.Write([]byte(p.Name))
			k = int(rand.NewPCG(seed, h.Sum64()).Uint64() % uint64(len(p.Pool)))
		}
		index[p.Name] = k
		d.Values[p.Name] = p.Pool[k]
		d.literals[p.Value] = p.Pool[k]
	}
	v := s.vary(d)
	if err := v.validate(); err != nil {
		return s, fmt.Errorf("variant %d: %w", seed, err)
	}
	return v, nil
}

// vary returns a copy of s with d applied to every text a learner reads or
// the grader matches; s itself is left alone (no slice is shared).
func (s Scenario) vary(d Draw) Scenario {
	v := s
	v.draw = d
	r := d.Apply
	v.Title, v.Cause, v.Briefing, v.Explanation = r(s.Title), r(s.Cause), r(s.Briefing), r(s.Explanation)
	v.Workload.Name, v.Workload.Container = r(s.Workload.Name), r(s.Workload.Container)
	v.Signature, v.Teaches, v.Hints = mapStrings(s.Signature, r), mapStrings(s.Teaches, r), mapStrings(s.Hints, r)
	v.Questions = make([]grader.Question, len(s.Questions))
	for i, q := range s.Questions {
		q.Prompt = r(q.Prompt)
		cs := make([]grader.Choice, len(q.Choices))
		for j, c := range q.Choices {
			c.Text, c.Evidence = r(c.Text), mapStrings(c.Evidence, r)
			cs[j] = c
		}
		if q.Choices == nil {
			cs = nil
		}
		q.Choices = cs
		v.Questions[i] = q
	}
	v.Rules = make([]Rule, len(s.Rules))
	for i, rl := range s.Rules {
		rl.Fail, rl.Pass = r(rl.Fail), r(rl.Pass)
		rl.Parts, rl.Probes = slices.Clone(rl.Parts), slices.Clone(rl.Probes)
		v.Rules[i] = rl
	}
	v.Checks = make([]celcheck.Spec, len(s.Checks))
	for i, c := range s.Checks {
		v.Checks[i] = c.Map(r)
	}
	v.Approaches = make([]Approach, len(s.Approaches))
	for i, a := range s.Approaches {
		a.Text = r(a.Text)
		v.Approaches[i] = a
	}
	v.Expert = make([]replay.Step, len(s.Expert))
	for i, st := range s.Expert {
		st.Name, st.Container, st.Shows = r(st.Name), r(st.Container), r(st.Shows)
		v.Expert[i] = st
	}
	v.manifests = r(s.manifests)
	v.written = texts{briefing: r(s.written.briefing), explanation: r(s.written.explanation), hints: mapStrings(s.written.hints, r)}
	return v
}

func mapStrings(in []string, fn func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = fn(x)
	}
	return out
}

// tokenByte is a byte that continues a name: a literal only matches where
// neither neighbour is one, so orders-api does not match inside the id
// orders-api-down-after-config, nor 8080 inside 18080.
func tokenByte(b byte) bool {
	return b == '-' || b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// replaceTokens replaces every token-bounded occurrence of the keys of by in
// one pass, longest literal first, so a replacement is never replaced again.
func replaceTokens(text string, by map[string]string) string {
	lits := make([]string, 0, len(by))
	for l := range by {
		lits = append(lits, l)
	}
	sort.Slice(lits, func(i, j int) bool {
		if len(lits[i]) != len(lits[j]) {
			return len(lits[i]) > len(lits[j])
		}
		return lits[i] < lits[j]
	})
	var out strings.Builder
	for i := 0; i < len(text); {
		if i == 0 || !tokenByte(text[i-1]) {
			if l := tokenAt(text, i, lits); l != "" {
				out.WriteString(by[l])
				i += len(l)
				continue
			}
		}
		out.WriteByte(text[i])
		i++
	}
	return out.String()
}

// tokenAt is the first of lits that starts at text[i] and ends at a token
// boundary ("" when none does).
func tokenAt(text string, i int, lits []string) string {
	for _, l := range lits {
		end := i + len(l)
		if strings.HasPrefix(text[i:], l) && (end == len(text) || !tokenByte(text[end])) {
			return l
		}
	}
	return ""
}

// hasToken tells whether lit occurs token-bounded in text.
func hasToken(text, lit string) bool {
	return replaceTokens(text, map[string]string{lit: ""}) != text
}

// texts are every text of the base incident a variant changes, joined, so
// that validateParams can check where a literal occurs.
func (s Scenario) texts() string {
	parts := []string{s.Title, s.Cause, s.Briefing, s.Explanation, s.Workload.Name, s.Workload.Container, s.manifests}
	parts = append(parts, s.Signature...)
	parts = append(parts, s.Teaches...)
	parts = append(parts, s.Hints...)
	for _, q := range s.Questions {
		parts = append(parts, q.Prompt)
		for _, c := range q.Choices {
			parts = append(parts, c.Text)
			parts = append(parts, c.Evidence...)
		}
	}
	for _, r := range s.Rules {
		parts = append(parts, r.Fail, r.Pass)
	}
	for _, c := range s.Checks {
		parts = append(parts, c.Texts()...)
	}
	for _, a := range s.Approaches {
		parts = append(parts, a.Text)
	}
	for _, st := range s.Expert {
		parts = append(parts, st.Name, st.Container, st.Shows)
	}
	return strings.Join(parts, "\n")
}

// validateParams refuses params a variant could not apply cleanly: a
// literal the incident does not contain (a typo would leave it unchanged),
// an alternative that already occurs in it or in another pool (two names
// would merge), or a With that names no earlier param of the same pool size.
func (s Scenario) validateParams() error {
	if len(s.Params) == 0 {
		return nil
	}
	all := s.texts()
	seen := map[string]string{}
	pools := map[string]int{}
	for _, p := range s.Params {
		switch {
		case p.Name == "" || strings.TrimSpace(p.Value) == "":
			return fmt.Errorf("param %q needs a name and a value", p.Name)
		case len(p.Pool) == 0:
			return fmt.Errorf("param %s needs a pool of alternatives", p.Name)
		case pools[p.Name] != 0:
			return fmt.Errorf("param %s is declared twice", p.Name)
		case !hasToken(all, p.Value):
			return fmt.Errorf("param %s: %q does not occur (as a whole name) in the incident", p.Name, p.Value)
		}
		if p.With != "" {
			n, ok := pools[p.With]
			if !ok || n != len(p.Pool) {
				return fmt.Errorf("param %s: with %q needs an earlier param whose pool has %d entries", p.Name, p.With, len(p.Pool))
			}
		}
		for _, x := range append([]string{p.Value}, p.Pool...) {
			if other, dup := seen[x]; dup {
				return fmt.Errorf("param %s: %q is already a value of param %s", p.Name, x, other)
			}
			seen[x] = p.Name
		}
		for _, x := range p.Pool {
			if strings.TrimSpace(x) == "" || hasToken(all, x) {
				return fmt.Errorf("param %s: %q already occurs in the incident (or is empty): a variant would merge two names", p.Name, x)
			}
		}
		pools[p.Name] = len(p.Pool)
	}
	return nil
}
