package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

// folders is every scenario folder's data (scenario.yaml, manifests.yaml,
// explanation.md), found by one embed: a folder with a scenario.yaml is a scenario, with no registration anywhere. fixes/ is left
// out on purpose: it names the intended answers and stays out of the binary.
//
//go:embed */scenario.yaml */manifests.yaml */explanation.md
var folders embed.FS

var (
	hooksMu sync.Mutex
	hooks   = map[string]Hooks{}
)

// Register attaches a folder's Go hooks (checks no rule in scenario.yaml can
// express) to the scenario of that id. A scenario package calls it from init;
// scenarios/catalog imports every such package (a generated file, kept
// current by a test), so adding one is still no registration line by hand.
func Register(id string, h Hooks) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	if _, dup := hooks[id]; dup {
		panic(fmt.Sprintf("scenarios: hooks for %q registered twice", id))
	}
	hooks[id] = h
}

// Discover loads every embedded scenario folder with its registered hooks. A
// folder whose id differs from its name, or hooks with no folder, are errors.
func Discover() ([]Scenario, error) {
	return discover(folders)
}

func discover(fsys fs.FS) ([]Scenario, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	hooksMu.Lock()
	defer hooksMu.Unlock()
	seen := map[string]bool{}
	var out []Scenario
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(fsys, e.Name()+"/scenario.yaml"); err != nil {
			continue
		}
		sub, err := fs.Sub(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		s, err := LoadWith(sub, hooks[e.Name()])
		if err != nil {
			return nil, fmt.Errorf("scenario folder %s: %w", e.Name(), err)
		}
		if s.ID != e.Name() {
			return nil, fmt.Errorf("scenario folder %s: scenario.yaml says id %q; the folder name is the id", e.Name(), s.ID)
		}
		seen[s.ID] = true
		out = append(out, s)
	}
	// An id or alias names one scenario: an alias that is also an id, or
	// that two scenarios claim, would make `crashlab start` ambiguous.
	owner := map[string]string{}
	for _, s := range out {
		owner[s.ID] = s.ID
	}
	for _, s := range out {
		for _, a := range s.Aliases {
			if other, taken := owner[a]; taken {
				return nil, fmt.Errorf("scenario %s: alias %q is already the id or an alias of %s", s.ID, a, other)
			}
			owner[a] = s.ID
		}
	}
	var orphans []string
	for id := range hooks {
		if !seen[id] {
			orphans = append(orphans, id)
		}
	}
	if len(orphans) > 0 {
		sort.Strings(orphans)
		return nil, fmt.Errorf("Go hooks registered for %v, which has no scenario folder", orphans)
	}
	return out, nil
}

// MustGet is the embedded scenario of that id, for a scenario package's own
// tests; an error there is a build bug.
func MustGet(id string) Scenario {
	all, err := Discover()
	if err != nil {
		panic(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	panic(fmt.Sprintf("scenarios: no scenario folder %q", id))
}
