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

// ErrBadCatalogue wraps the mistakes found in the catalogue's folders. The
// folders are embedded, so it is a bug of the build, which the catalogue's
// tests report first; a binary built anyway says so instead of panicking.
var ErrBadCatalogue = errors.New("the scenario catalogue built into crashlab has mistakes")

// Load returns every scenario, ordered by level then id, or every mistake of
// the catalogue (each naming its file and line) wrapped in ErrBadCatalogue.
func Load() ([]scenarios.Scenario, error) {
	list, err := scenarios.Discover()
	if err != nil {
		return nil, fmt.Errorf("%w:\n%w", ErrBadCatalogue, err)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Level != list[j].Level {
			return list[i].Level < list[j].Level
		}
		return list[i].ID < list[j].ID
	})
	return list, nil
}

// All is Load's list, and empty when the catalogue has mistakes: the command
// line checks Load before any command runs (and the tests before any build),
// so a caller of All never meets that case.
func All() []scenarios.Scenario {
	list, _ := Load()
	return list
}

// Get finds a scenario by its id. An earlier id (scenario.yaml's aliases) is
// refused like any unknown one: old ids named causes, so a command that took
// one, or a note that it was renamed, would confirm a guess at the cause at
// no cost. Aliases are kept only so that progress saved under them carries
// over. The error names the ids, never the aliases.
func Get(id string) (scenarios.Scenario, error) {
	all, err := Load()
	if err != nil {
		return scenarios.Scenario{}, err
	}
	var ids []string
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return scenarios.Scenario{}, fmt.Errorf("%w %q (the catalogue has %v)", ErrUnknownScenario, id, ids)
}
