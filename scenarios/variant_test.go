package scenarios_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/scenarios"
)

const variantParams = `
params:
  - {name: workload, value: web, pool: [shop, blog]}
  - {name: service, value: "web service", with: workload, pool: ["shop service", "blog service"]}
`

// variantMeta is the valid scenario with params, its title naming the
// service in prose.
func variantMeta(t *testing.T) string {
	return replace(t, validMeta, "title: A test incident", "title: The web service is down") + variantParams
}

func TestDrawApplyIsTokenBounded(t *testing.T) {
	s, err := scenarios.Load(scenarioFS(variantMeta(t), validManifests), nil)
	require.NoError(t, err)
	v, err := s.Variant(1)
	require.NoError(t, err)
	d := v.Draw()
	for _, tc := range []struct{ in, want string }{
		{"web", "shop"},
		{"deploy/web -c app", "deploy/shop -c app"},
		{"web-down-after-config", "web-down-after-config"}, // an id or another name
		{"webby web_x xweb", "webby web_x xweb"},
		{"the web service is down", "the shop service is down"}, // longest literal first
		{`name: "web"`, `name: "shop"`},
		{"web.internal:80", "shop.internal:80"},
	} {
		assert.Equal(t, tc.want, d.Apply(tc.in), tc.in)
	}
	assert.Equal(t, "shop", d.Name("web"), "a Go check's constant")
	assert.Equal(t, "app", d.Name("app"), "a literal no param names")
	assert.Equal(t, "shop", v.Workload.Name)
	assert.Equal(t, "test-scenario", v.ID)
}

func TestVariantSeeds(t *testing.T) {
	s, err := scenarios.Load(scenarioFS(variantMeta(t), validManifests), nil)
	require.NoError(t, err)
	same, err := s.Variant(0)
	require.NoError(t, err)
	assert.Equal(t, s.Meta, same.Meta, "seed 0 is the base incident")
	one, err := s.Variant(1)
	require.NoError(t, err)
	two, err := s.Variant(2)
	require.NoError(t, err)
	assert.NotEqual(t, one.Workload.Name, two.Workload.Name, "consecutive seeds, other workloads")
	again, err := s.Variant(1)
	require.NoError(t, err)
	assert.Equal(t, one.Meta, again.Meta)
	assert.Equal(t, "web", s.Workload.Name, "the base is left alone")
	_, err = one.Variant(2)
	assert.ErrorIs(t, err, scenarios.ErrVariantOfVariant)
	back, err := one.Variant(1)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), back.Seed())
}

func TestLoadRejectsBadParams(t *testing.T) {
	for _, tc := range []struct{ name, params, want string }{
		{"a literal the incident lacks", "params: [{name: w, value: nowhere, pool: [a]}]", "does not occur"},
		{"an alternative already in it", "params: [{name: w, value: web, pool: [app]}]", "already occurs"},
		{"no pool", "params: [{name: w, value: web}]", "pool"},
		{"with of another size", "params: [{name: w, value: web, pool: [a, b]}, {name: x, value: app, with: w, pool: [c]}]", "with"},
		{"with an unknown param", "params: [{name: x, value: app, with: w, pool: [c]}]", "with"},
		{"one value twice", "params: [{name: w, value: web, pool: [a]}, {name: x, value: app, pool: [a]}]", "already a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Load(scenarioFS(validMeta+"\n"+tc.params+"\n", validManifests), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestTheRecordKeepsTheVariant: the seed goes into the attempt record (and
// its digest), and LoadAttempt rebuilds the same variant from it; a base
// incident's record has no seed, as before variants.
func TestTheRecordKeepsTheVariant(t *testing.T) {
	ctx := context.Background()
	s, err := scenarios.Load(scenarioFS(variantMeta(t), validManifests), nil)
	require.NoError(t, err)
	for _, seed := range []uint64{0, 2} {
		v, err := s.Variant(seed)
		require.NoError(t, err)
		cs := labCluster()
		require.NoError(t, scenarios.Deploy(ctx, cs, v, "ns1", "", testValues))
		a, err := scenarios.LoadAttempt(ctx, cs, s, "ns1")
		require.NoError(t, err)
		assert.Equal(t, seed, a.Variant.Seed())
		assert.Equal(t, v.Meta, a.Variant.Meta)
		assert.Equal(t, v.Workload, a.Baseline.Workload)
		assert.Equal(t, v.Draw().Name("web"), a.Baseline.Name("web"))
		cm, err := cs.CoreV1().ConfigMaps("ns1").Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
		require.NoError(t, err)
		_, has := cm.Data["variant"]
		assert.Equal(t, seed != 0, has, "only a variant's record names a seed")

		// An edited seed is an altered record.
		if seed != 0 {
			cm.Data["variant"] = "3"
			_, err = cs.CoreV1().ConfigMaps("ns1").Update(ctx, cm, metav1.UpdateOptions{})
			require.NoError(t, err)
			_, err = scenarios.LoadAttempt(ctx, cs, s, "ns1")
			assert.ErrorIs(t, err, scenarios.ErrRecordAltered)
		}
	}
}

// TestVariantRenamesTheExpertPath: a variant's expert path names the
// variant's objects, as its texts do.
func TestVariantRenamesTheExpertPath(t *testing.T) {
	meta := replace(t, variantMeta(t), "{look: get, kind: pod}", "{look: get, kind: secret, name: creds, shows: the web service's keys}")
	s, err := scenarios.Load(scenarioFS(meta, validManifests), nil)
	require.NoError(t, err)
	v, err := s.Variant(1)
	require.NoError(t, err)
	require.Len(t, v.Expert, 2)
	assert.Equal(t, "creds", v.Expert[0].Name, "a name no param draws stays")
	assert.Equal(t, "the "+v.Draw().Param("service")+"'s keys", v.Expert[0].Shows)
	assert.Equal(t, v.Workload.Name, v.Expert[1].Name)
	assert.NotEqual(t, "web", v.Expert[1].Name)
	assert.Equal(t, "web", s.Expert[1].Name, "the base is left alone")
}
