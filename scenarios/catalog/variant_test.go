package catalog_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

var variantValues = scenarios.Values{Image: "example/image:v1", ForeignImage: "example/foreign:v1", NodeArch: "amd64"}

// TestEveryIncidentHasBlindVariants: every incident renames at least its
// workload; two seeds give two different variants, each of whose manifests
// and texts hold none of the base literals its params replace; the same
// seed gives the same variant; seed 0 is the base incident.
func TestEveryIncidentHasBlindVariants(t *testing.T) {
	for _, s := range catalog.All() {
		t.Run(s.ID, func(t *testing.T) {
			require.NotEmpty(t, s.Params, "an incident declares params, at least its workload's name")
			assert.Equal(t, s.Workload.Name, s.Params[0].Value, "the first param is the workload's name (it cycles with the seed)")

			same, err := s.Variant(0)
			require.NoError(t, err)
			assert.Equal(t, s.Meta, same.Meta, "seed 0 is the base incident")

			a, err := s.Variant(1)
			require.NoError(t, err)
			b, err := s.Variant(2)
			require.NoError(t, err)
			assert.NotEqual(t, a.Workload.Name, b.Workload.Name, "two seeds, two workloads")
			assert.NotEqual(t, a.Draw().Values, b.Draw().Values)
			assert.Equal(t, s.ID, a.ID, "the id stays: it is the catalogue's, the namespace's and the progress's key")

			for _, v := range []scenarios.Scenario{a, b} {
				yml, err := v.RenderYAML(variantValues, nil)
				require.NoError(t, err)
				for _, p := range s.Params {
					lit := regexp.MustCompile(`(^|[^-_0-9A-Za-z])` + regexp.QuoteMeta(p.Value) + `($|[^-_0-9A-Za-z])`)
					assert.NotRegexp(t, lit, string(yml), "seed %d: the manifests still name %s %q", v.Seed(), p.Name, p.Value)
					for _, text := range append([]string{v.Title, v.Briefing, v.Cause, v.Explanation}, v.Hints...) {
						assert.NotRegexp(t, lit, text, "seed %d: a text still names %s %q", v.Seed(), p.Name, p.Value)
					}
				}
				_, err = cluster.NamespaceFor("a-twenty-char-learnr", v.ID)
				assert.NoError(t, err)
			}

			again, err := s.Variant(1)
			require.NoError(t, err)
			assert.Equal(t, a.Meta, again.Meta, "the same seed gives the same variant")
			y1, err := a.RenderYAML(variantValues, nil)
			require.NoError(t, err)
			y2, err := again.RenderYAML(variantValues, nil)
			require.NoError(t, err)
			assert.Equal(t, string(y1), string(y2))
		})
	}
}
