// Package exitzerohelper is the scenario where a one-shot helper (a cache
// warm-up that exits 0 when done) was added to a Deployment's containers: the
// pod's restartPolicy Always restarts it after every successful run, so it
// crash-loops with reason Completed and exit code 0 and the pod never becomes
// Ready.
package exitzerohelper

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "catalog-api-never-ready"

// checks judge the helper wherever the fix put it: the shared rules (keep,
// ...) read only the pod's app containers, and the accepted fix moves the
// helper into initContainers.
func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	return []grader.Check{{Name: "warm-up-runs-once", Run: func(s *podstate.State) grader.Result { return runsOnce(s, base) }}}
}

func find(list []corev1.Container, name string) *corev1.Container {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// runsOnce: the released warm-up still runs in every pod, unchanged, once
// and to completion before the app starts.
func runsOnce(s *podstate.State, base *corev1.Container) grader.Result {
	name := s.Target.Container
	spec := s.TargetPodSpec()
	if spec == nil || base == nil {
		return grader.Fail("the lab's record of the released pod template is missing")
	}
	inApp, inInit := find(spec.Containers, name), find(spec.InitContainers, name)
	c := inInit
	if c == nil {
		c = inApp
	}
	switch {
	case c == nil:
		return grader.Fail("the %s helper is gone: the pods become Ready, but the app now starts with a cold cache and every first request goes to the database; run the helper once per pod instead", name)
	case c.Image != base.Image || !slices.Equal(c.Command, base.Command) || !slices.Equal(c.Args, base.Args):
		return grader.Fail("the %s helper's image, command or arguments changed: a helper kept alive by other arguments (or a sleep) hides the restarts instead of running the one-shot job the way it is meant to run; keep it as released and change where it runs", name)
	case !equality.Semantic.DeepEqual(c.VolumeMounts, base.VolumeMounts):
		return grader.Fail("the %s helper no longer mounts the cache volume as released: it would warm a cache the app never sees", name)
	case inApp != nil:
		return grader.Fail("%s still runs next to the app in containers: with the pod's restartPolicy Always, the kubelet restarts it after every successful run", name)
	case c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways:
		return grader.Fail("%s was made a native sidecar (restartPolicy: Always): a sidecar is meant to keep running; this one-shot job exits 0, so the kubelet restarts it forever, the app waits for it to be running, and the pod is never Ready", name)
	}
	return grader.Result{Passed: true, Approach: "moved-to-init", Message: name + " runs once per pod as an init container, to completion, before the app starts"}
}
