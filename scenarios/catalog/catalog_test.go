package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

func TestEveryScenarioLoadsAndRenders(t *testing.T) {
	var all []scenarios.Scenario
	require.NotPanics(t, func() { all = catalog.All() }, "an embedded scenario failed validation")
	require.NotEmpty(t, all)
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			b, err := s.Render(values)
			require.NoError(t, err)
			require.NotNil(t, b.Container(s.Workload.Name, s.Workload.Container))
			assert.NotEmpty(t, s.FixChecks(b), "every scenario has fix checks")
			names := map[string]bool{}
			for _, c := range s.FixChecks(b) {
				assert.False(t, names[c.Name], "check %s listed twice", c.Name)
				names[c.Name] = true
				assert.NotNil(t, c.Run, c.Name)
			}
			qids := map[string]bool{}
			for _, q := range s.Questions {
				assert.False(t, qids[q.ID], "question id %s repeated", q.ID)
				qids[q.ID] = true
			}
		})
	}
}

func TestScenarioIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range catalog.All() {
		assert.False(t, seen[s.ID], "duplicate scenario id %s", s.ID)
		seen[s.ID] = true
	}
}

func TestAllIsOrderedByLevelThenID(t *testing.T) {
	all := catalog.All()
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		assert.True(t, a.Level < b.Level || (a.Level == b.Level && a.ID < b.ID), "%s (level %d) before %s (level %d)", a.ID, a.Level, b.ID, b.Level)
	}
}

func TestGet(t *testing.T) {
	for _, s := range catalog.All() {
		got, err := catalog.Get(s.ID)
		require.NoError(t, err)
		assert.Equal(t, s.ID, got.ID)
		assert.Equal(t, s.Title, got.Title)
	}
	_, err := catalog.Get("no-such-scenario")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-such-scenario")
	for _, s := range catalog.All() {
		assert.Contains(t, err.Error(), s.ID, "the error lists the known ids")
	}
	_, err = catalog.Get("")
	assert.Error(t, err)
}
