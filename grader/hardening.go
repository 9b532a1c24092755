package grader

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
)

// hardening is the security baseline a fix must keep, read from the
// released pod template: what it turns on stays on, with the same values.
type hardening struct {
	runAsNonRoot   bool
	readOnlyRoot   bool
	noEscalation   bool
	dropAll        bool
	sysctls        []corev1.Sysctl
	nonRootUserSet bool
}

func hardeningOf(spec *corev1.PodSpec, c *corev1.Container) hardening {
	var h hardening
	if c == nil || spec == nil {
		return h
	}
	eff := effective(spec, c)
	h.runAsNonRoot = eff.runAsNonRoot != nil && *eff.runAsNonRoot
	h.nonRootUserSet = eff.runAsUser != nil && *eff.runAsUser != 0
	if sc := c.SecurityContext; sc != nil {
		h.readOnlyRoot = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
		h.noEscalation = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		h.dropAll = sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL")
	}
	if spec.SecurityContext != nil {
		h.sysctls = spec.SecurityContext.Sysctls
	}
	return h
}

type effectiveContext struct {
	runAsNonRoot *bool
	runAsUser    *int64
}

// effective merges the pod's and the container's securityContext the way
// the kubelet does: the container's own setting wins.
func effective(spec *corev1.PodSpec, c *corev1.Container) effectiveContext {
	var e effectiveContext
	if p := spec.SecurityContext; p != nil {
		e.runAsNonRoot, e.runAsUser = p.RunAsNonRoot, p.RunAsUser
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsNonRoot != nil {
			e.runAsNonRoot = sc.RunAsNonRoot
		}
		if sc.RunAsUser != nil {
			e.runAsUser = sc.RunAsUser
		}
	}
	return e
}

// hardeningKept refuses a fix that switches off any part of the released
// baseline, or grants what the baseline never had (privileged, added
// capabilities, the node's namespaces).
// HardeningKept is the check "hardening-kept": the security baseline the
// released pod template turns on (non-root, read-only root filesystem, no
// privilege escalation, all capabilities dropped, its sysctls) stays on, and
// nothing privileged, no added capability and no host namespace comes in.
// The hardening incidents share it: their fix must work within the baseline.
func HardeningKept(spec *corev1.PodSpec, c *corev1.Container) Check {
	return hardeningKept(hardeningOf(spec, c))
}

func hardeningKept(base hardening) Check {
	return Check{Name: "hardening-kept", Run: func(s *podstate.State) Result {
		spec, c := s.TargetPodSpec(), s.Container()
		if spec == nil || c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		got := hardeningOf(spec, c)
		eff := effective(spec, c)
		var lost []string
		if base.runAsNonRoot && !got.runAsNonRoot {
			lost = append(lost, "runAsNonRoot is no longer true")
		}
		if base.nonRootUserSet && eff.runAsUser != nil && *eff.runAsUser == 0 {
			lost = append(lost, "the container runs as root (runAsUser 0)")
		}
		if base.readOnlyRoot && !got.readOnlyRoot {
			lost = append(lost, "readOnlyRootFilesystem is no longer true")
		}
		if base.noEscalation && !got.noEscalation {
			lost = append(lost, "allowPrivilegeEscalation is no longer false")
		}
		if base.dropAll && !got.dropAll {
			lost = append(lost, "capabilities no longer drop ALL")
		}
		if sc := c.SecurityContext; sc != nil {
			if sc.Privileged != nil && *sc.Privileged {
				lost = append(lost, "the container runs privileged")
			}
			if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
				lost = append(lost, fmt.Sprintf("capabilities %v are added", sc.Capabilities.Add))
			}
		}
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			lost = append(lost, "the pod shares the node's network, PID or IPC namespace")
		}
		for _, want := range base.sysctls {
			i := slices.IndexFunc(got.sysctls, func(g corev1.Sysctl) bool { return g.Name == want.Name })
			switch {
			case i < 0:
				lost = append(lost, fmt.Sprintf("sysctl %s=%s is gone", want.Name, want.Value))
			case got.sysctls[i].Value != want.Value:
				lost = append(lost, fmt.Sprintf("sysctl %s is %s instead of %s", want.Name, got.sysctls[i].Value, want.Value))
			}
		}
		if len(lost) > 0 {
			return Fail("the security baseline is weakened: %s. The baseline stays; make the app work within it", strings.Join(lost, "; "))
		}
		return Pass("the security baseline is kept as released")
	}}
}
