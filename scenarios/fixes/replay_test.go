package fixes_test

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// TestEveryScenarioReplaysItsFixes deploys every catalogued scenario on a fake
// cluster once per file of its fixes/ folder, applies the fix, and grades it
// with the scenario's static checks: an accepted fix passes them all with its
// approach, a shortcut is refused first by the check its file names. It does
// so for the base incident and for two blind variants (fixes.Vary renames
// the fix's objects as the variant renamed the incident's), with the same
// expect and refusedBy: a variant changes names, never what is a fix.
func TestEveryScenarioReplaysItsFixes(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0xc0ffee} {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) { replayFixes(t, seed) })
	}
}

func replayFixes(t *testing.T, seed uint64) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	vals, err := fixes.ValuesFor("amd64")
	require.NoError(t, err)
	for _, base := range catalog.All() {
		t.Run(base.ID, func(t *testing.T) {
			folder, err := fixes.LoadScenario(root, base)
			require.NoError(t, err, "every scenario needs fixes/ with an accepted fix, a refused shortcut and diagnosis.yaml")
			// The same replay `crashlab author validate` runs.
			outcomes, err := fixes.ReplayOffline(context.Background(), base, folder, vals, seed)
			require.NoError(t, err)
			require.Len(t, outcomes, len(folder.Fixes))
			for _, o := range outcomes {
				t.Run(o.Fix, func(t *testing.T) {
					assert.Empty(t, o.Problem)
					switch {
					case o.Expect == fixes.ExpectPass:
						assert.Empty(t, o.Failed)
					case o.Live:
						t.Logf("refused by the live check %s: replayed on the real cluster by the e2e suite only", o.RefusedBy)
					default:
						require.NotEmpty(t, o.Failed)
						assert.Equal(t, o.RefusedBy, o.Failed[0])
					}
				})
			}
		})
	}
}

// TestFixNamesAreUsableAsLearners: the e2e suite starts each fix under its own
// learner name, in its own namespace, next to the diagnosis run ("diag").
func TestFixNamesAreUsableAsLearners(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	for _, s := range catalog.All() {
		folder, err := fixes.LoadScenario(root, s)
		require.NoError(t, err)
		for _, fx := range folder.Fixes {
			_, err := cluster.NamespaceFor(fx.Name, s.ID)
			assert.NoError(t, err, "%s/%s", s.ID, fx.Name)
			assert.NotEqual(t, "diag", fx.Name, "the e2e suite's diagnosis run uses learner diag")
			assert.False(t, strings.HasPrefix(fx.Name, "bench"), "the bench uses learners bench<N>")
		}
	}
}

// TestFixesAreNotEmbedded: the fixes hold the intended answers, which must
// never be readable from the crashlab binary. Only a //go:embed pattern in a
// scenario's package could put them there.
func TestFixesAreNotEmbedded(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "*", "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
		require.NoError(t, err)
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				patterns, ok := strings.CutPrefix(c.Text, "//go:embed ")
				if !ok {
					continue
				}
				for _, p := range strings.Fields(patterns) {
					p = strings.TrimPrefix(strings.Trim(p, "`\""), "all:")
					matches, _ := path.Match(p, "fixes")
					assert.False(t, matches || strings.HasPrefix(p, "fixes/") || p == ".",
						"%s: //go:embed %s would put fixes/ into the binary", file, p)
				}
			}
		}
	}
}
