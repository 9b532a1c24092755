// Package nativesegfault is the scenario where a settings change turns on
// the resizer's native codec, which dies of a segmentation fault at start
// (SIGSEGV, exit 139).
package nativesegfault

import (
	"fmt"
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
const id = "media-resizer-crashing"

const (
	envName   = "IMAGE_CODEC"
	configMap = "resizer-settings"
	// safeCodec is the codec the resizer ran with before the tuning.
	safeCodec = "portable"
)

// codecs are the values the release knows.
var codecs = []string{"portable", "native"}

func checks(b scenarios.Baseline) []grader.Check {
	// The ConfigMap's name as deployed: a blind variant renames it.
	configMap := b.Name(configMap)
	return []grader.Check{
		{Name: "codec-setting", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
			}
			v, from, ok := resolve(s, c, envName)
			switch {
			case !ok:
				return grader.Fail("%s no longer reaches the container (%s): the resizer refuses to start without a codec; set it to %s instead of removing it", envName, from, safeCodec)
			case v == safeCodec && strings.HasPrefix(from, "ConfigMap "+configMap+" "):
				return grader.Result{Passed: true, Approach: "setting-reverted", Message: fmt.Sprintf("%s comes from %s again and is %s, the codec the resizer ran with before", envName, configMap, safeCodec)}
			case v == safeCodec:
				return grader.Result{Passed: true, Approach: "deployment-overrides", Message: fmt.Sprintf("the Deployment sets %s=%s (%s)", envName, safeCodec, from)}
			case v == "native":
				return grader.Fail("%s is still native (%s): that codec is what crashes", envName, from)
			}
			return grader.Fail("%s is %q (%s), not a codec the resizer ships (%s): set it to %s", envName, v, from, strings.Join(codecs, ", "), safeCodec)
		}},
	}
}

// resolve returns the value the kubelet gives the container for name, as it
// builds the environment: envFrom first, then env, the last entry of a name
// winning. from says where the value came from, ok whether it is set.
func resolve(s *podstate.State, c *corev1.Container, name string) (value, from string, ok bool) {
	from = "neither env nor envFrom sets it"
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil || !strings.HasPrefix(name, ef.Prefix) {
			continue
		}
		key := strings.TrimPrefix(name, ef.Prefix)
		if cm := s.ConfigMaps[ef.ConfigMapRef.Name]; cm != nil {
			if v, found := cm.Data[key]; found {
				value, from, ok = v, fmt.Sprintf("ConfigMap %s key %s, through envFrom", cm.Name, key), true
			}
		}
	}
	e := podstate.Env(c, name)
	switch {
	case e == nil:
		return value, from, ok
	case e.ValueFrom == nil:
		return e.Value, "a value written in the Deployment", true
	case e.ValueFrom.ConfigMapKeyRef != nil:
		ref := e.ValueFrom.ConfigMapKeyRef
		from = fmt.Sprintf("ConfigMap %s key %s", ref.Name, ref.Key)
		if cm := s.ConfigMaps[ref.Name]; cm != nil {
			if v, found := cm.Data[ref.Key]; found {
				return v, from, true
			}
		}
		return "", from + ", which does not exist", false
	case e.ValueFrom.SecretKeyRef != nil:
		ref := e.ValueFrom.SecretKeyRef
		from = fmt.Sprintf("Secret %s key %s", ref.Name, ref.Key)
		v, found := s.SecretValue(ref.Name, ref.Key)
		if !found {
			from += ", which does not exist"
		}
		return v, from, found
	}
	return "", "a field of the pod", false
}
