// Package missingsecretkey is the scenario where a secretKeyRef names a key the
// Secret does not have, so the app starts without its database URL and exits.
package missingsecretkey

import (
	"fmt"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	envName    = "DATABASE_URL"
	secretName = "orders-db"
	// goodKey is the key the Secret really holds the URL under.
	goodKey = "database_url"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "orders-api-down-after-config"

func checks(b scenarios.Baseline) []grader.Check {
	// The Secret and its key as deployed: a blind variant renames them.
	secretName, goodKey := b.Name(secretName), b.Name(goodKey)
	want := string(b.Secret(secretName).StringData[goodKey])
	base := b.TargetContainer()
	baseRef := podstate.Env(base, envName).ValueFrom.SecretKeyRef
	return []grader.Check{
		{Name: "env-" + envName, Run: func(s *podstate.State) grader.Result {
			e := podstate.Env(s.Container(), envName)
			switch {
			case e == nil:
				return grader.Fail("%s is no longer set on the container: the app needs it; removing it only hides the problem", envName)
			case e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil:
				return grader.Fail("%s is written into the Deployment instead of coming from Secret %s: credentials belong in the Secret", envName, secretName)
			}
			ref := e.ValueFrom.SecretKeyRef
			got, ok := s.SecretValue(ref.Name, ref.Key)
			switch {
			case !ok:
				return grader.Fail("%s still refers to key %q of Secret %q, which does not exist", envName, ref.Key, ref.Name)
			case got != want:
				return grader.Fail("%s resolves to a value other than the database URL the platform team stored in %s/%s: the app would run against the wrong database", envName, secretName, goodKey)
			case ref.Name == secretName && ref.Key == goodKey:
				return grader.Result{Passed: true, Approach: "reference-fixed", Message: "the secretKeyRef now names the key the Secret holds"}
			case ref.Name == secretName && ref.Key == baseRef.Key:
				return grader.Result{Passed: true, Approach: "secret-key-added", Message: "the key the Deployment asks for now exists with the real database URL"}
			}
			return grader.Result{Passed: true, Approach: "reference-repointed", Message: fmt.Sprintf("the secretKeyRef now names %s/%s, which holds the real database URL", ref.Name, ref.Key)}
		}},
	}
}
