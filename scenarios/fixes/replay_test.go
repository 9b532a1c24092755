package fixes_test

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// liveChecks are the checks the grader runs on the live workload once every
// static check passed. The fake clientset runs no kubelet, so a shortcut only
// a live check refuses is replayed for real by the e2e suite; here it must get
// through every static check, or on the cluster the live check would never
// run and a static one would be named instead. A refusedBy in neither this
// list nor the scenario's static checks fails, so a typo cannot hide until
// the e2e run. (attempt-record is listed for the record checks in progress.)
var liveChecks = map[string]bool{
	"pods-ready": true, "stays-up": true, "survives-restart": true,
	"job-completed": true, "job-ran-task": true, "attempt-record": true,
}

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
			s, err := base.Variant(seed)
			require.NoError(t, err)
			baseline, err := s.Render(vals)
			require.NoError(t, err)
			// The check names a refusal may be expected from; the checks that
			// judge each fix are built from its own attempt record below.
			static := map[string]bool{}
			for _, c := range s.FixChecks(baseline) {
				static[c.Name] = true
			}
			for _, fx := range folder.Fixes {
				fx := fixes.Vary(fx, s.Draw())
				t.Run(fx.Name, func(t *testing.T) {
					ctx := context.Background()
					c, ns := deployOnFake(t, s, fx.Name, vals)
					require.NoError(t, fixes.Apply(ctx, c, ns, vals, fx))
					acceptedByAPIServer(t, c, ns)

					// Judged as `crashlab check` judges: against the attempt
					// record written at start, static checks only.
					attempt, err := scenarios.LoadAttempt(ctx, c, base, ns)
					require.NoError(t, err, "the fix must leave the lab's attempt record alone")
					require.Equal(t, seed, attempt.Variant.Seed(), "the record names the variant")
					s := attempt.Variant
					v, err := grader.JudgeFixWith(ctx, c, s.ID, s.Target(ns), attempt.UIDs, s.FixChecks(attempt.Baseline), nil)
					require.NoError(t, err)
					failed := failedChecks(v)
					switch {
					case fx.Expect == fixes.ExpectPass:
						assert.Empty(t, failed, "an accepted fix (%s) must pass every static check: %+v", fx.Why, v.Checks)
						assert.Equal(t, fx.Approach, v.Approach, "the approach the grader names")
					case static[fx.RefusedBy]:
						require.NotEmpty(t, failed, "shortcut %s (%s) must be refused: %+v", fx.Name, fx.Why, v.Checks)
						assert.Equal(t, fx.RefusedBy, failed[0], "the first check to refuse it: %+v", v.Checks)
					default:
						require.True(t, liveChecks[fx.RefusedBy] || slices.Contains(s.LiveCheckNames(), fx.RefusedBy), "refusedBy %q is neither a static check of %s (%v) nor a live one", fx.RefusedBy, s.ID, keys(static))
						assert.Empty(t, failed, "shortcut %s is for the live check %s, so every static check must let it through: %+v", fx.Name, fx.RefusedBy, v.Checks)
						t.Logf("refused by the live check %s: replayed on the real cluster by the e2e suite only", fx.RefusedBy)
					}

					if fx.After != nil {
						sig, err := fixes.AfterSignature(ctx, c, ns, vals, fx)
						require.NoError(t, err)
						assert.NotEmpty(t, sig, "the after signature renders to evidence")
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

// deployOnFake deploys s with scenarios.Deploy, as `crashlab start` does, on a
// fake cluster with one node, and lets the Deployment controller's stand-in
// start the broken pods. It returns the client and the lab namespace.
func deployOnFake(t *testing.T, s scenarios.Scenario, learner string, vals scenarios.Values) (kubernetes.Interface, string) {
	t.Helper()
	c := fakeCluster(labNode(vals))
	ns, err := cluster.NamespaceFor(learner, s.ID)
	require.NoError(t, err)
	require.NoError(t, scenarios.Deploy(context.Background(), c, s, ns, learner, vals))
	runBrokenPods(t, c, ns)
	return c, ns
}

func failedChecks(v grader.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
