package lab_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

func TestDrawTriage(t *testing.T) {
	vals := scenarios.Values{Image: "img:1", ForeignImage: "img:2", NodeArch: "amd64"}
	all := catalog.All()
	for seed := uint64(1); seed <= 40; seed++ {
		picked, priority, err := lab.DrawTriage(all, vals, lab.TriageOptions{Count: 3, Seed: seed})
		require.NoError(t, err)
		require.Len(t, picked, 3)
		names := map[string]string{}
		for _, sc := range picked {
			objs, err := sc.ObjectNames(vals)
			require.NoError(t, err)
			for _, n := range objs {
				assert.NotContains(t, names, n, "seed %d: %s and %s both deploy %s into the one namespace", seed, names[n], sc.ID, n)
				names[n] = sc.ID
			}
		}
		assert.Contains(t, ids(picked), priority.ID)
		assert.Equal(t, podstate.KindDeployment, priority.Workload.Kind)
		assert.False(t, priority.HasLiveHook(), "the shared judge grades the priority")
		again, p2, err := lab.DrawTriage(all, vals, lab.TriageOptions{Count: 3, Seed: seed})
		require.NoError(t, err)
		assert.Equal(t, ids(picked), ids(again), "a seed gives the same round")
		assert.Equal(t, priority.ID, p2.ID)
	}
	_, _, err := lab.DrawTriage(all, vals, lab.TriageOptions{Count: 1, Seed: 1})
	assert.Error(t, err)
	_, _, err = lab.DrawTriage(all, vals, lab.TriageOptions{Count: len(all) + 1, Seed: 1})
	assert.ErrorIs(t, err, lab.ErrTooFewIncidents)
	var few *lab.TooFewIncidentsError
	require.ErrorAs(t, err, &few)
	assert.Positive(t, few.Fit)
}

// The priority is not always listed first, nor always the same scenario.
func TestTriagePriorityMoves(t *testing.T) {
	vals := scenarios.Values{Image: "img:1", ForeignImage: "img:2", NodeArch: "amd64"}
	firsts, priorities := map[bool]int{}, map[string]bool{}
	for seed := uint64(1); seed <= 60; seed++ {
		picked, priority, err := lab.DrawTriage(catalog.All(), vals, lab.TriageOptions{Count: 3, Seed: seed})
		require.NoError(t, err)
		firsts[picked[0].ID == priority.ID]++
		priorities[priority.ID] = true
	}
	assert.Positive(t, firsts[false])
	assert.Positive(t, firsts[true])
	assert.Greater(t, len(priorities), 2)
}

func ids(ss []scenarios.Scenario) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}
