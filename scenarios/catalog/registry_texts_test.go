package catalog_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

const registryRepo = "registry.example:5000/crashlab/workload"

// registryValues are what `--registry registry.example:5000` deploys.
var registryValues = scenarios.Values{Image: registryRepo + ":0123456789ab-amd64", ForeignImage: registryRepo + ":ba9876543210-amd64", NodeArch: "amd64"}

// localRelease is the lab's local name for the released image, in any
// form but the ":latest" a broken manifest names literally (the mailer's).
var localRelease = regexp.MustCompile(regexp.QuoteMeta(images.Repository) + `($|[^:]|:[^l])`)

func learnerTexts(s scenarios.Scenario) string {
	return strings.Join(append([]string{s.Briefing, s.Explanation}, s.Hints...), "\n")
}

// TestTextsNameTheRegistrysImage: deployed from a registry, no text tells
// the learner to use the lab's local image name, which the nodes do not
// hold; the image incidents name the registry's instead. Read back through
// the attempt record, as hint and explain do.
func TestTextsNameTheRegistrysImage(t *testing.T) {
	imageIncidents := map[string]bool{
		"mailer-down-after-cluster-move": true,
		"storefront-down-after-release":  true,
		"invoice-api-down-after-rebuild": true,
	}
	for _, s := range catalog.All() {
		t.Run(s.ID, func(t *testing.T) {
			assert.NotContains(t, learnerTexts(s), "{{", "the catalogue's texts are rendered")
			if imageIncidents[s.ID] {
				assert.Contains(t, learnerTexts(s), images.Repository, "before anything is deployed: the lab's own name")
			}
			for _, seed := range []uint64{0, 3} {
				v, err := s.Variant(seed)
				require.NoError(t, err)
				ctx := context.Background()
				cs := fakekube.New()
				ns := "crashlab-" + s.ID
				require.NoError(t, scenarios.Deploy(ctx, cs, v, ns, "", registryValues))
				a, err := scenarios.LoadAttempt(ctx, cs, s, ns)
				require.NoError(t, err)
				text := learnerTexts(a.Variant)
				assert.NotRegexp(t, localRelease, text, "seed %d: the local name the nodes do not hold", seed)
				if imageIncidents[s.ID] {
					assert.Contains(t, text, registryRepo, "seed %d", seed)
					assert.Contains(t, strings.Join(a.Variant.Hints, "\n"), registryRepo+":TAG", "the hint names the registry's image, the learner finds the tag")
				}
			}
		})
	}
}

func TestRepository(t *testing.T) {
	for image, want := range map[string]string{
		"":                                      images.Repository,
		"crashlab.local/workload:abc-amd64":     "crashlab.local/workload",
		"localhost:5000/crashlab/workload:abc":  "localhost:5000/crashlab/workload",
		"localhost:5000/crashlab/workload":      "localhost:5000/crashlab/workload",
		"reg:5000/crashlab/workload@sha256:abc": "reg:5000/crashlab/workload",
	} {
		assert.Equal(t, want, scenarios.Values{Image: image}.Repository(), image)
	}
}
