package author

import (
	"context"
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
