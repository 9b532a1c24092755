// Package stsconfig is the scenario where a StatefulSet's first pod
// crash-loops on a bad value in its ConfigMap (an https:// address where the
// app needs an s3:// URL), and the StatefulSet, creating its pods in order,
// never creates the second.
package stsconfig

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "session-store-restarting"

const (
	envName = "SNAPSHOT_URL"
	// wantURL is the snapshot bucket the store restores from (the
	// briefing names it).
	wantURL = "s3://sessions-snapshots"
)

func checks(scenarios.Baseline) []grader.Check {
	return []grader.Check{{Name: "env-" + envName, Run: urlFixed}}
}

// urlFixed: the store's SNAPSHOT_URL, as the kubelet will build it, is the
// snapshot bucket's s3:// URL, whether the ConfigMap or the StatefulSet's
// env was corrected.
func urlFixed(s *podstate.State) grader.Result {
	c := s.Container()
	if c == nil {
		return grader.Fail("container %s is missing from StatefulSet %s", s.Target.Container, s.Target.Name)
	}
	e := podstate.Env(c, envName)
	if e == nil {
		return grader.Fail("%s is no longer set: the store needs it to restore its sessions", envName)
	}
	got, from, ok := resolve(s, e)
	switch {
	case !ok:
		return grader.Fail("%s refers to %s, which does not exist", envName, from)
	case strings.TrimSuffix(got, "/") != wantURL:
		return grader.Fail("%s (from %s) is not the snapshot bucket %s: a URL that only looks right gets the store past its check, then it restores nothing, or the wrong sessions", envName, from, wantURL)
	}
	return grader.Result{Passed: true, Approach: "snapshot-url-fixed", Message: envName + " is the snapshot bucket's s3:// URL, from " + from}
}

// resolve returns an env entry's value as the kubelet would build it, and
// where it comes from.
func resolve(s *podstate.State, e *corev1.EnvVar) (value, from string, ok bool) {
	if e.ValueFrom == nil {
		return e.Value, "the StatefulSet's env", true
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
