// Package stuckininit is the scenario where a Deployment's schema migration
// init container is given a JDBC URL instead of a postgres:// one, exits 1 on
// every run, and keeps the app from ever starting (Init:CrashLoopBackOff).
package stuckininit

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "accounts-api-stuck-in-init"

const (
	envName = "DATABASE_URL"
	// configMap and configKey hold the URL the app itself uses: the one the
	// migration must run against.
	configMap = "accounts-config"
	configKey = "database_url"
)

// checks judge the init container itself: the shared rules (keep, ...) read
// only the pod's app containers, and the shortcuts here are about where the
// migration runs, not only what it runs.
func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	want := baselineConfig(b)
	// The ConfigMap's name as deployed: a blind variant renames it.
	cm := b.Name(configMap)
	return []grader.Check{
		{Name: "migration-kept", Run: func(s *podstate.State) grader.Result { return migrationKept(s, base) }},
		{Name: "env-" + envName, Run: func(s *podstate.State) grader.Result { return urlFixed(s, want, cm) }},
	}
}

// baselineConfig is the database URL of the released ConfigMap.
func baselineConfig(b scenarios.Baseline) string {
	for _, o := range b.Objects {
		if cm, ok := o.(*corev1.ConfigMap); ok && cm.Name == b.Name(configMap) {
			return cm.Data[configKey]
		}
	}
	return ""
}

func initContainer(spec *corev1.PodSpec, name string) *corev1.Container {
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == name {
			return &spec.InitContainers[i]
		}
	}
	return nil
}

// migrationKept: the migration still runs, as released, as an init
// container that finishes before the app starts.
func migrationKept(s *podstate.State, base *corev1.Container) grader.Result {
	name := s.Target.Container
	spec := s.TargetPodSpec()
	if spec == nil || base == nil {
		return grader.Fail("the lab's record of the released pod template is missing")
	}
	c := initContainer(spec, name)
	if c == nil {
		if slices.ContainsFunc(spec.Containers, func(o corev1.Container) bool { return o.Name == name }) {
			return grader.Fail("%s was moved from initContainers into containers: it then runs next to the app instead of before it, and the app serves against a schema that may not be migrated yet", name)
		}
		return grader.Fail("the %s init container is gone: the pods start, but the app now serves against a schema no migration has prepared; give the migration the URL it needs instead", name)
	}
	if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
		return grader.Fail("%s was made a sidecar (restartPolicy: Always): the app no longer waits for the migration to finish", name)
	}
	if c.Image != base.Image || !slices.Equal(c.Command, base.Command) || !slices.Equal(c.Args, base.Args) {
		return grader.Fail("the %s init container's image, command or arguments changed: it must still run the released migration and check its database URL; fix the URL it is given instead", name)
	}
	return grader.Pass("the migration runs as released, before the app starts")
}

// urlFixed: the migration's DATABASE_URL resolves to the database the app
// itself uses.
func urlFixed(s *podstate.State, want, configMap string) grader.Result {
	spec := s.TargetPodSpec()
	if spec == nil {
		return grader.Fail("the pod template is missing")
	}
	c := initContainer(spec, s.Target.Container)
	if c == nil {
		return grader.Fail("the %s init container is missing", s.Target.Container)
	}
	e := podstate.Env(c, envName)
	if e == nil {
		return grader.Fail("%s is no longer set on %s: the migration needs it", envName, c.Name)
	}
	got, from, ok := resolve(s, e)
	switch {
	case !ok:
		return grader.Fail("%s of %s refers to %s, which does not exist", envName, c.Name, from)
	case got != want:
		return grader.Fail("%s of %s resolves to a value other than the database URL the app uses (%s/%s): the migration would run against the wrong database, or fail again", envName, c.Name, configMap, configKey)
	case e.ValueFrom != nil:
		return grader.Result{Passed: true, Approach: "url-from-config", Message: "the migration reads the same database URL as the app, from " + from}
	}
	return grader.Result{Passed: true, Approach: "url-corrected", Message: "the migration is given the postgres:// URL of the app's database"}
}

// resolve returns an env entry's value as the kubelet would build it, and
// where it comes from.
func resolve(s *podstate.State, e *corev1.EnvVar) (value, from string, ok bool) {
	if e.ValueFrom == nil {
		return e.Value, "its value", true
	}
	switch {
	case e.ValueFrom.ConfigMapKeyRef != nil:
		ref := e.ValueFrom.ConfigMapKeyRef
		from = "ConfigMap " + ref.Name + " key " + ref.Key
		cm := s.ConfigMaps[ref.Name]
		if cm == nil {
			return "", from, false
		}
		v, ok := cm.Data[ref.Key]
		return v, from, ok
	case e.ValueFrom.SecretKeyRef != nil:
		ref := e.ValueFrom.SecretKeyRef
		from = "Secret " + ref.Name + " key " + ref.Key
		v, ok := s.SecretValue(ref.Name, ref.Key)
		return v, from, ok
	}
	return "", "a field of the pod", false
}
