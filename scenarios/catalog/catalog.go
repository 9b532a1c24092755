// Package catalog lists the lab's scenarios: every folder under scenarios/
// with a scenario.yaml, found by embed, with the Go hooks its package
// registers (hooks.go imports those packages; a test regenerates it).
package catalog

//go:generate go test -run TestHooksFileIsCurrent ./hookscheck -args -update

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/crashlab/crashlab/scenarios"
)

// ErrUnknownScenario is the error of Get for an id the catalogue lacks.
var ErrUnknownScenario = errors.New("no scenario")

// ErrBadCatalogue wraps the mistakes found in the catalogue's folders. The
// folders are embedded, so it is a bug of the build, which the catalogue's
// tests report first; a binary built anyway says so instead of panicking.
var ErrBadCatalogue = errors.New("the scenario catalogue built into crashlab has mistakes")

// ErrBadPack wraps the mistakes of a pack named with UsePacks: the
// trainer's to fix, not a bug of the build.
var ErrBadPack = errors.New("a pack of incidents has mistakes")

// packs are the incidents of the packs UsePacks loaded, beside the
// built-in ones.
var packs struct {
	sync.Mutex
	list  []scenarios.Scenario
	metas []scenarios.Pack
}

// UsePacks adds the incidents of the packs in dirs (--incidents,
// CRASHLAB_INCIDENTS) to the catalogue, replacing any added before. Every
// mistake is returned, wrapped in ErrBadPack: a bad pack.yaml or incident
// folder, a pack for another crashlab version, and an incident id (or
// alias) that a built-in incident or another pack already has.
func UsePacks(labVersion string, dirs ...string) error {
	var list []scenarios.Scenario
	var metas []scenarios.Pack
	var errs []error
	for _, d := range dirs {
		p, l, err := scenarios.LoadPack(d, labVersion)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		metas, list = append(metas, p), append(list, l...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w:\n%w", ErrBadPack, err)
	}
	builtIn, err := scenarios.Discover()
	if err != nil {
		return fmt.Errorf("%w:\n%w", ErrBadCatalogue, err)
	}
	if err := collisions(builtIn, list); err != nil {
		return fmt.Errorf("%w:\n%w", ErrBadPack, err)
	}
	packs.Lock()
	defer packs.Unlock()
	packs.list, packs.metas = list, metas
	return nil
}

// Packs are the packs in use.
func Packs() []scenarios.Pack {
	packs.Lock()
	defer packs.Unlock()
	return append([]scenarios.Pack(nil), packs.metas...)
}

// Collisions are the ids and aliases of added (a pack's incidents) that a
// built-in incident or another added one already has, one error each.
func Collisions(added []scenarios.Scenario) ([]error, error) {
	builtIn, err := scenarios.Discover()
	if err != nil {
		return nil, fmt.Errorf("%w:\n%w", ErrBadCatalogue, err)
	}
	if j, ok := collisions(builtIn, added).(interface{ Unwrap() []error }); ok {
		return j.Unwrap(), nil
	}
	return nil, nil
}

// collisions reports every id or alias of added that names an incident
// already there, or another added one.
func collisions(builtIn, added []scenarios.Scenario) error {
	owner := map[string]string{}
	for _, s := range builtIn {
		for _, n := range append([]string{s.ID}, s.Aliases...) {
			owner[n] = "the built-in incident " + s.ID
		}
	}
	var errs []error
	for _, s := range added {
		for _, n := range append([]string{s.ID}, s.Aliases...) {
			if other, ok := owner[n]; ok {
				errs = append(errs, fmt.Errorf("%s: id %q is taken by %s: rename the folder and its id", s.Folder(), n, other))
				continue
			}
			owner[n] = fmt.Sprintf("%s of %s", s.ID, strings.TrimPrefix(s.Source(), "pack "))
		}
	}
	return errors.Join(errs...)
}

// Load returns every scenario, ordered by level then id, or every mistake of
// the catalogue (each naming its file and line) wrapped in ErrBadCatalogue.
// The incidents of the packs in use come with the built-in ones.
func Load() ([]scenarios.Scenario, error) {
	list, err := scenarios.Discover()
	if err != nil {
		return nil, fmt.Errorf("%w:\n%w", ErrBadCatalogue, err)
	}
	packs.Lock()
	list = append(list, packs.list...)
	packs.Unlock()
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
