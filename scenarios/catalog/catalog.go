// Package catalog lists the lab's scenarios: every folder under scenarios/
// with a scenario.yaml, found by embed, with the Go hooks its package
// registers (hooks.go imports those packages; a test regenerates it).
package catalog

//go:generate go test -run TestHooksFileIsCurrent ./hookscheck -args -update

import (
	"errors"
	"fmt"
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

// Get finds a scenario by its id. An earlier id (scenario.yaml's aliases) is
// refused like any unknown one: old ids named causes, so a command that took
// one, or a note that it was renamed, would confirm a guess at the cause at
// no cost. Aliases are kept only so that progress saved under them carries
// over. The error names the ids, never the aliases.
func Get(id string) (scenarios.Scenario, error) {
	all := All()
	var ids []string
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return scenarios.Scenario{}, fmt.Errorf("%w %q (the catalogue has %v)", ErrUnknownScenario, id, ids)
}
