package fixes_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// The explanation names the learner's accepted fix and the others from
// scenario.yaml's approaches, never from fixes/ (which stays out of the
// binary). So every approach an accepted fix in fixes/ names, and every
// approach a scenario's Go or CEL checks can return, must be listed there; and every
// listed approach must be one the checks can return.
func TestApproachesListEveryAcceptedFix(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	for _, s := range catalog.All() {
		t.Run(s.ID, func(t *testing.T) {
			listed := map[string]bool{}
			for _, a := range s.Approaches {
				listed[a.ID] = true
			}
			folder, err := fixes.LoadScenario(root, s)
			require.NoError(t, err)
			for _, fx := range folder.Passing() {
				assert.True(t, listed[fx.Approach], "fixes/%s.yaml passes with approach %q, which scenario.yaml's approaches do not list", fx.Name, fx.Approach)
			}
			returned := approachesInGo(t, filepath.Join(root, "scenarios", s.ID))
			for _, r := range s.Rules { // declarative rules name theirs in scenario.yaml
				if r.Approach != "" {
					returned[r.Approach] = true
				}
			}
			for _, c := range s.Checks { // so do CEL checks
				for _, a := range c.Approaches() {
					returned[a] = true
				}
			}
			for a := range returned {
				assert.True(t, listed[a], "the Go checks return approach %q, which scenario.yaml's approaches do not list", a)
			}
			for a := range listed {
				assert.True(t, returned[a], "scenario.yaml lists approach %q, which no check returns", a)
			}
		})
	}
}

// approachesInGo collects the string literals a scenario's Go code gives a
// field named Approach (grader.Result{Approach: "..."}).
func approachesInGo(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	out := map[string]bool{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if key, ok := kv.Key.(*ast.Ident); !ok || key.Name != "Approach" {
				return true
			}
			lit, ok := kv.Value.(*ast.BasicLit)
			require.True(t, ok && lit.Kind == token.STRING, "%s: Approach must be a string literal, so that this test can read it", file)
			v, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			out[v] = true
			return true
		})
	}
	return out
}
