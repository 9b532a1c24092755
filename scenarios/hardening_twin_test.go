package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
)

// The hardeningKept rule is CEL; the Go check it replaced stays here as its
// twin. Both must say the same of every edit a learner might make to a
// hardened pod: pass or fail, and the sentence.
func TestHardeningKeptInCELJudgesAsItsGoTwin(t *testing.T) {
	yes, no := true, false
	uid, root := int64(10001), int64(0)
	basePod := corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid,
		Sysctls: []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "1024"}, {Name: "kernel.shm_rmid_forced", Value: "1"}}}}
	baseC := corev1.Container{Name: "app", Image: "img:1", SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: &yes,
		AllowPrivilegeEscalation: &no, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}
	edits := map[string]func(p *corev1.PodSpec, c *corev1.Container){
		"unchanged":                func(*corev1.PodSpec, *corev1.Container) {},
		"image changed":            func(_ *corev1.PodSpec, c *corev1.Container) { c.Image = "img:2" },
		"pod runAsNonRoot false":   func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext.RunAsNonRoot = &no },
		"pod runAsNonRoot removed": func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext.RunAsNonRoot = nil },
		"moved to the container": func(p *corev1.PodSpec, c *corev1.Container) {
			p.SecurityContext.RunAsNonRoot, c.SecurityContext.RunAsNonRoot = nil, &yes
		},
		"container overrides false": func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.RunAsNonRoot = &no },
		"pod user root":             func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext.RunAsUser = &root },
		"container user root":       func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.RunAsUser = &root },
		"user removed":              func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext.RunAsUser = nil },
		"read-only root off":        func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.ReadOnlyRootFilesystem = &no },
		"read-only root removed":    func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.ReadOnlyRootFilesystem = nil },
		"escalation allowed":        func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.AllowPrivilegeEscalation = &yes },
		"escalation unset":          func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.AllowPrivilegeEscalation = nil },
		"drop ALL removed": func(_ *corev1.PodSpec, c *corev1.Container) {
			c.SecurityContext.Capabilities.Drop = []corev1.Capability{"NET_RAW"}
		},
		"capabilities added": func(_ *corev1.PodSpec, c *corev1.Container) {
			c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE", "SYS_TIME"}
		},
		"privileged":             func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.Privileged = &yes },
		"privileged false":       func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext.Privileged = &no },
		"container context gone": func(_ *corev1.PodSpec, c *corev1.Container) { c.SecurityContext = nil },
		"pod context gone":       func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext = nil },
		"host network":           func(p *corev1.PodSpec, _ *corev1.Container) { p.HostNetwork = true },
		"host PID":               func(p *corev1.PodSpec, _ *corev1.Container) { p.HostPID = true },
		"sysctl changed":         func(p *corev1.PodSpec, _ *corev1.Container) { p.SecurityContext.Sysctls[0].Value = "0" },
		"sysctl removed": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.SecurityContext.Sysctls = p.SecurityContext.Sysctls[1:]
		},
		"sysctl added": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.SecurityContext.Sysctls = append(p.SecurityContext.Sysctls, corev1.Sysctl{Name: "net.core.somaxconn", Value: "1024"})
		},
		"sysctl twice, first differs": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.SecurityContext.Sysctls = append([]corev1.Sysctl{{Name: "kernel.shm_rmid_forced", Value: "0"}}, p.SecurityContext.Sysctls...)
		},
		"privileged root init container": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.InitContainers = []corev1.Container{{Name: "ports", SecurityContext: &corev1.SecurityContext{Privileged: &yes, RunAsUser: &root}}}
		},
		"plain init container": func(p *corev1.PodSpec, _ *corev1.Container) { p.InitContainers = []corev1.Container{{Name: "wait"}} },
		"init container as root": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.InitContainers = []corev1.Container{{Name: "wait", SecurityContext: &corev1.SecurityContext{RunAsUser: &root}}}
		},
		"sidecar adds capabilities": func(p *corev1.PodSpec, _ *corev1.Container) {
			p.Containers = []corev1.Container{{Name: "proxy", SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}}}}
		},
		"everything at once": func(p *corev1.PodSpec, c *corev1.Container) {
			p.SecurityContext, c.SecurityContext, p.HostIPC = nil, &corev1.SecurityContext{Privileged: &yes, RunAsUser: &root}, true
		},
	}
	// Released baselines: the hardened pod, and one with nothing turned on
	// (where only what comes in can fail).
	bases := map[string]func() (corev1.PodSpec, corev1.Container){
		"hardened": func() (corev1.PodSpec, corev1.Container) { return *basePod.DeepCopy(), *baseC.DeepCopy() },
		"plain": func() (corev1.PodSpec, corev1.Container) {
			return corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{}}, corev1.Container{Name: "app", Image: "img:1", SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{}}}
		},
	}
	// Whatever the baseline, these bring privilege in (an init container's
	// can rewrite the pod's namespaced sysctls).
	privilegeComesIn := map[string]bool{"privileged": true, "capabilities added": true, "privileged root init container": true, "sidecar adds capabilities": true}
	r := Rule{Rule: "hardeningKept"}
	require.NoError(t, r.validate())
	for baseName, mk := range bases {
		p, c := mk()
		released := podWith(p, c)
		b := Baseline{Workload: Workload{Kind: podstate.KindDeployment, Name: "api", Container: "app", Replicas: 1}, Objects: []runtime.Object{released}}
		cel, twin := r.check(b), hardeningTwin(&p, &c)
		outcomes := map[bool]int{}
		for name, edit := range edits {
			p, c := mk()
			if p.SecurityContext == nil || c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
				continue
			}
			if len(p.SecurityContext.Sysctls) == 0 && strings.HasPrefix(name, "sysctl") {
				continue
			}
			edit(&p, &c)
			st := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"}, Deployment: podWith(p, c)}
			got, want := cel.Run(st), twin.Run(st)
			assert.Equal(t, want, got, "%s base, %s", baseName, name)
			if privilegeComesIn[name] {
				assert.False(t, got.Passed, "%s base, %s: privilege in any container of the pod is refused", baseName, name)
			}
			outcomes[got.Passed]++
		}
		assert.NotZero(t, outcomes[true], "%s base: some edit passes", baseName)
		assert.NotZero(t, outcomes[false], "%s base: some edit fails", baseName)
		gone := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"}}
		assert.Equal(t, twin.Run(gone), cel.Run(gone), "%s base, workload gone", baseName)
	}
}

func podWith(p corev1.PodSpec, c corev1.Container) *appsv1.Deployment {
	d := deploymentWith(c)
	c0 := d.Spec.Template.Spec.Containers
	d.Spec.Template.Spec = p
	d.Spec.Template.Spec.Containers = append(c0, p.Containers...) // the target first, then any sidecar
	return d
}

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
// hardeningTwin is the Go twin of the hardeningKept rule's CEL check, kept
// here only to hold the CEL to it: the security baseline the
// released pod template turns on (non-root, read-only root filesystem, no
// privilege escalation, all capabilities dropped, its sysctls) stays on, and
// nothing privileged, no added capability and no host namespace comes in.
// The hardening incidents share it: their fix must work within the baseline.
func hardeningTwin(spec *corev1.PodSpec, c *corev1.Container) grader.Check {
	return hardeningKeptGo(hardeningOf(spec, c))
}

func hardeningKeptGo(base hardening) grader.Check {
	return grader.Check{Name: "hardening-kept", Run: func(s *podstate.State) grader.Result {
		spec, c := s.TargetPodSpec(), s.Container()
		if spec == nil || c == nil {
			return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
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
		for _, o := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			if o.Name == c.Name {
				continue
			}
			var parts []string
			if sc := o.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				parts = append(parts, fmt.Sprintf("container %s runs privileged", o.Name))
			}
			if sc := o.SecurityContext; sc != nil && sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
				parts = append(parts, fmt.Sprintf("container %s adds capabilities %v", o.Name, sc.Capabilities.Add))
			}
			if e := effective(spec, &o); base.nonRootUserSet && e.runAsUser != nil && *e.runAsUser == 0 {
				parts = append(parts, fmt.Sprintf("container %s runs as root (runAsUser 0)", o.Name))
			}
			if len(parts) > 0 {
				lost = append(lost, strings.Join(parts, "; "))
			}
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
			return grader.Fail("the security baseline is weakened: %s. The baseline stays; make the app work within it", strings.Join(lost, "; "))
		}
		return grader.Pass("the security baseline is kept as released")
	}}
}
