// Package catalog lists the lab's scenarios; adding one is one line here.
package catalog

import (
	"fmt"
	"sort"

	"github.com/crashlab/crashlab/scenarios"
	archmismatch "github.com/crashlab/crashlab/scenarios/arch-mismatch"
	eagerliveness "github.com/crashlab/crashlab/scenarios/eager-liveness"
	exitzero "github.com/crashlab/crashlab/scenarios/exit-zero"
	missingsecretkey "github.com/crashlab/crashlab/scenarios/missing-secret-key"
	oomkilled "github.com/crashlab/crashlab/scenarios/oom-killed"
	wrongentrypoint "github.com/crashlab/crashlab/scenarios/wrong-entrypoint"
)

// All returns every scenario, ordered by level then id.
func All() []scenarios.Scenario {
	list := []scenarios.Scenario{
		missingsecretkey.Scenario(),
		eagerliveness.Scenario(),
		archmismatch.Scenario(),
		oomkilled.Scenario(),
		wrongentrypoint.Scenario(),
		exitzero.Scenario(),
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Level != list[j].Level {
			return list[i].Level < list[j].Level
		}
		return list[i].ID < list[j].ID
	})
	return list
}

// Get finds a scenario by id.
func Get(id string) (scenarios.Scenario, error) {
	var ids []string
	for _, s := range All() {
		if s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return scenarios.Scenario{}, fmt.Errorf("no scenario %q: run `crashlab list` to see them (%v)", id, ids)
}
