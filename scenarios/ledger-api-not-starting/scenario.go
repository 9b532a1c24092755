// Package ledgerconfig is the scenario where a configMapKeyRef names a
// ConfigMap the release renamed, so the kubelet never creates the container
// (CreateContainerConfigError).
package ledgerconfig

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	// id is this folder's name, the scenario's id.
	id      = "ledger-api-not-starting"
	envName = "LEDGER_DB_HOST"
	// realConfigMap is the name the release gave the settings.
	realConfigMap = "ledger-settings"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// configMap returns a ConfigMap of the baseline by name.
func configMap(b scenarios.Baseline, name string) *corev1.ConfigMap {
	for _, o := range b.Objects {
		if cm, ok := o.(*corev1.ConfigMap); ok && cm.Name == name {
			return cm
		}
	}
	return nil
}

func checks(b scenarios.Baseline) []grader.Check {
	// The ConfigMap's name as deployed: a blind variant renames it.
	realConfigMap := b.Name(realConfigMap)
	base := podstate.Env(b.TargetContainer(), envName)
	var baseRef corev1.ConfigMapKeySelector
	if base != nil && base.ValueFrom != nil && base.ValueFrom.ConfigMapKeyRef != nil {
		baseRef = *base.ValueFrom.ConfigMapKeyRef
	}
	var want, realKey string
	if cm := configMap(b, realConfigMap); cm != nil {
		realKey = baseRef.Key
		want = cm.Data[realKey]
	}
	return []grader.Check{
		{Name: "env-" + envName, Run: func(s *podstate.State) grader.Result {
			if want == "" {
				return grader.Fail("the lab's record of ConfigMap %s/%s is missing", realConfigMap, baseRef.Key)
			}
			e := podstate.Env(s.Container(), envName)
			switch {
			case e == nil:
				return grader.Fail("%s is no longer set on the container: the app needs its database host; removing it only hides the problem", envName)
			case e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil:
				return grader.Fail("%s is written into the Deployment instead of coming from a ConfigMap: the platform team manages the setting in %s", envName, realConfigMap)
			}
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := s.ConfigMaps[ref.Name]
			if cm == nil {
				return grader.Fail("%s still refers to ConfigMap %q, which does not exist (making the reference optional only starts the app without its setting)", envName, ref.Name)
			}
			got, ok := cm.Data[ref.Key]
			switch {
			case !ok:
				return grader.Fail("%s refers to key %q of ConfigMap %q, which does not exist", envName, ref.Key, ref.Name)
			case got != want:
				return grader.Fail("%s resolves to %q, not the database host the release configured in %s (%q): the app would talk to the wrong database", envName, got, realConfigMap, want)
			case ref.Name == realConfigMap:
				return grader.Result{Passed: true, Approach: "reference-fixed", Message: fmt.Sprintf("the configMapKeyRef names %s/%s, which the release created", ref.Name, ref.Key)}
			case ref.Name == baseRef.Name:
				return grader.Result{Passed: true, Approach: "configmap-created", Message: fmt.Sprintf("ConfigMap %s now exists with the release's database host", ref.Name)}
			}
			return grader.Fail("%s comes from ConfigMap %s, a copy nobody maintains: use %s, or the name the Deployment asks for", envName, ref.Name, realConfigMap)
		}},
	}
}
