package catalog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

func TestEveryScenarioLoadsAndRenders(t *testing.T) {
	// Every mistake of every folder is listed, with its file and line.
	all, err := catalog.Load()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			b, err := s.Render(values)
			require.NoError(t, err)
			b.Workload = s.Workload
			require.NotNil(t, b.TargetContainer(), "the workload and container scenario.yaml names")
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

// Earlier ids named causes: each is refused like any unknown id, so taking
// one confirms nothing; the error lists the ids only.
func TestAliasesAreRefused(t *testing.T) {
	var aliases []string
	for _, s := range catalog.All() {
		aliases = append(aliases, s.Aliases...)
	}
	require.NotEmpty(t, aliases, "the catalogue still carries old ids, for progress saved under them")
	_, unknown := catalog.Get("no-such-scenario")
	require.ErrorIs(t, unknown, catalog.ErrUnknownScenario)
	for _, a := range aliases {
		t.Run(a, func(t *testing.T) {
			_, err := catalog.Get(a)
			require.ErrorIs(t, err, catalog.ErrUnknownScenario)
			assert.Equal(t, strings.ReplaceAll(unknown.Error(), "no-such-scenario", a), err.Error())
		})
	}
	for _, a := range aliases {
		assert.NotContains(t, unknown.Error(), a, "the error never names an old id")
	}
}

// A namespace is crashlab-<learner>-<id>, at most 63 characters: ids leave
// room for learner names of 20 characters, which the e2e suite uses (its
// fixes' file names).
func TestIDsLeaveRoomForLearnerNames(t *testing.T) {
	for _, s := range catalog.All() {
		_, err := cluster.NamespaceFor(strings.Repeat("l", 20), s.ID)
		assert.NoError(t, err, s.ID)
	}
}

// Ids and titles describe the incident as the pager sees it; the causes the
// old ids named stay out of them.
func TestIDsAndTitlesDoNotNameTheCause(t *testing.T) {
	for _, s := range catalog.All() {
		idWords := strings.Split(s.ID, "-")
		titleWords := strings.Fields(strings.ToLower(strings.NewReplacer(",", " ", ".", " ", "'", " ").Replace(s.Title)))
		causeWords := []string{"oom", "oomkilled", "memory", "limit", "secret", "key", "liveness", "probe", "entrypoint", "command", "architecture", "cpu", "arch", "exec", "zero", "killed"}
		for _, a := range s.Aliases {
			causeWords = append(causeWords, strings.Split(a, "-")...)
		}
		for _, w := range causeWords {
			assert.NotContains(t, idWords, w, "%s: its id names its cause", s.ID)
			assert.NotContains(t, titleWords, w, "%s: its title %q names its cause", s.ID, s.Title)
		}
	}
}

// The README's incident table is generated from the scenario folders; a new
// folder without a row means it was not regenerated.
func TestReadmeListsEveryIncident(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range catalog.All() {
		assert.Contains(t, string(readme), "| "+s.ID+" | ", "README.md has no row for %s", s.ID)
	}
}
