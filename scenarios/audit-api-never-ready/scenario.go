// Package auditseccomp is the scenario where the pods ask for a Localhost
// seccomp profile the node does not hold, so the container runtime refuses
// to create the container (CreateContainerError).
package auditseccomp

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// id is this folder's name, the scenario's id.
const id = "audit-api-never-ready"

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// effectiveProfile is the seccomp profile the kubelet asks for: the
// container's own, else the pod's.
func effectiveProfile(spec *corev1.PodSpec, c *corev1.Container) *corev1.SeccompProfile {
	if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
		return c.SecurityContext.SeccompProfile
	}
	if spec.SecurityContext != nil {
		return spec.SecurityContext.SeccompProfile
	}
	return nil
}

func checks(scenarios.Baseline) []grader.Check {
	return []grader.Check{
		{Name: "seccomp-profile", Run: func(s *podstate.State) grader.Result {
			spec, c := s.TargetPodSpec(), s.Container()
			if spec == nil || c == nil {
				return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
			}
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				return grader.Fail("the container runs privileged: that gets past the profile by dropping every protection the hardening release asked for; use RuntimeDefault instead")
			}
			p := effectiveProfile(spec, c)
			switch {
			case p == nil:
				return grader.Fail("the pods ask for no seccomp profile any more, so the kubelet's default applies (Unconfined on this cluster): the security requirement is a profile; use RuntimeDefault")
			case p.Type == corev1.SeccompProfileTypeUnconfined:
				return grader.Fail("Unconfined switches seccomp off: the pods start, without the protection the hardening release is about; use RuntimeDefault")
			case p.Type == corev1.SeccompProfileTypeLocalhost:
				name := ""
				if p.LocalhostProfile != nil {
					name = *p.LocalhostProfile
				}
				return grader.Fail("the pods still ask for the Localhost profile %q: a Localhost profile is a file every node must hold, and this cluster's nodes hold none; use RuntimeDefault", name)
			case p.Type == corev1.SeccompProfileTypeRuntimeDefault:
				return grader.Result{Passed: true, Approach: "runtime-default", Message: "the pods run under the runtime's default seccomp profile, which every node has"}
			}
			return grader.Fail("seccomp profile type %q is not one the lab knows", p.Type)
		}},
	}
}
