// Package catalog lists the lab's scenarios: every folder under scenarios/
// with a scenario.yaml, found by embed, with the Go hooks its package
// registers (hooks.go imports those packages; a test regenerates it).
package catalog

//go:generate go test -run TestHooksFileIsCurrent ./hookscheck -args -update

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/crashlab/crashlab/scenarios"
)

// ErrUnknownScenario is the error of Get for an id the catalogue lacks.
var ErrUnknownScenario = errors.New("no scenario")

// All returns every scenario, ordered by level then id.
func All() []scenarios.Scenario {
	list, err := scenarios.Discover()
	if err != nil {
		// The folders are embedded: a bad one is a build bug that the
		// catalogue's tests catch first.
		panic(err)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Level != list[j].Level {
			return list[i].Level < list[j].Level
		}
		return list[i].ID < list[j].ID
	})
	return list
}

// Get finds a scenario by id, or by an earlier id (scenario.yaml's aliases),
// which still works for a release; the scenario returned then has another ID
// than the one asked for. The error names the ids, never the aliases: old ids
// named causes.
func Get(id string) (scenarios.Scenario, error) {
	s, _, err := Resolve(id)
	return s, err
}

// Resolve is Get that also says whether id was an alias.
func Resolve(id string) (scenarios.Scenario, bool, error) {
	all := All()
	var ids []string
	for _, s := range all {
		if s.ID == id {
			return s, false, nil
		}
		ids = append(ids, s.ID)
	}
	for _, s := range all {
		if slices.Contains(s.Aliases, id) {
			return s, true, nil
		}
	}
	return scenarios.Scenario{}, false, fmt.Errorf("%w %q (the catalogue has %v)", ErrUnknownScenario, id, ids)
}
