package author

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// Every built-in incident passes what `crashlab author validate` asks of a
// trainer's: strict decoding, compiled checks, its fixes replayed offline,
// no wording tells and a page that does not state the evidence.
func TestEveryBuiltInIncidentValidates(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	for _, s := range catalog.All() {
		t.Run(s.ID, func(t *testing.T) {
			r, err := Validate(context.Background(), filepath.Join(root, "scenarios", s.ID), Options{LabVersion: "dev"})
			require.NoError(t, err)
			assert.Equal(t, []string{s.ID}, r.Incidents)
			for _, p := range r.Problems {
				t.Error(p.String())
			}
			assert.NotEmpty(t, r.Fixes[s.ID], "the fixes were replayed")
		})
	}
}

// The skeleton `author new` writes validates as it is, for any usable id.
func TestNewWritesAValidIncident(t *testing.T) {
	parent := t.TempDir()
	dir, err := New(parent, "ratings-api")
	require.NoError(t, err)
	r, err := Validate(context.Background(), dir, Options{LabVersion: "dev"})
	require.NoError(t, err)
	for _, p := range r.Problems {
		t.Error(p.String())
	}
	require.Len(t, r.Fixes["ratings-api"], 2)
	for _, o := range r.Fixes["ratings-api"] {
		assert.Empty(t, o.Problem, o.Fix)
	}

	_, err = New(parent, "ratings-api")
	assert.ErrorIs(t, err, ErrExists, "never overwrites")
	for _, bad := range []string{"", "Ratings", "ratings_api", "-x", strings.Repeat("a", 40)} {
		_, err := New(parent, bad)
		assert.ErrorIs(t, err, ErrBadID, bad)
	}
}

// A field the workload's kind does not have is one problem, at the
// expression's own line, naming the type and the field meant.
func TestValidateNamesAMisspeltFieldAtItsLine(t *testing.T) {
	dir, err := New(t.TempDir(), "ratings-api")
	require.NoError(t, err)
	path := filepath.Join(dir, "scenario.yaml")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	const good = "expression: env(container, 'UPSTREAM_URL')"
	require.Contains(t, string(raw), good)
	line := 1 + strings.Count(string(raw[:strings.Index(string(raw), good)]), "\n")
	bad := strings.Replace(string(raw), good, `expression: "container.envv.size() > 0 ? env(container, 'UPSTREAM_URL') : null"`, 1)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))

	r, err := Validate(context.Background(), dir, Options{LabVersion: "dev"})
	require.NoError(t, err)
	require.Len(t, r.Problems, 1)
	p := r.Problems[0]
	assert.Equal(t, line, p.Line)
	assert.NotContains(t, p.String(), "\n", "one line per problem")
	assert.Contains(t, p.Message, `"envv"`)
	assert.Contains(t, p.Message, `did you mean "env"`)
}
