package grader

import (
	"fmt"
	"slices"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
)

// Result is what one check returns.
type Result struct {
	Passed  bool
	Message string
	// Approach names which accepted fix the learner used, when several exist.
	Approach string
}

// Pass and Fail build Results.
func Pass(format string, a ...any) Result {
	return Result{Passed: true, Message: fmt.Sprintf(format, a...)}
}
func Fail(format string, a ...any) Result { return Result{Message: fmt.Sprintf(format, a...)} }

// Check is one named static rule on the live state.
type Check struct {
	Name string
	Run  func(*podstate.State) Result
}

// OnlyOwnedPods rejects bare pods or a second workload running the app in the
// namespace: the target Deployment must be what serves.
func OnlyOwnedPods() Check {
	return Check{Name: "no-stand-ins", Run: func(s *podstate.State) Result {
		t := s.Target
		for _, p := range s.Pods {
			if len(p.OwnerReferences) == 0 && !(t.Kind == podstate.KindPod && p.Name == t.Name) {
				return Fail("pod %s has no owner (a bare Pod): %s %s itself must be fixed; delete the pod", p.Name, t.Kind, t.Name)
			}
		}
		// A long-running workload the lab did not create serves in the
		// target's place; the lab's own (a dependency it deployed) does not.
		added := func(kind, name string, uid string) bool {
			if kind == t.Kind && name == t.Name {
				return false
			}
			rec, ok := s.Recorded[kind+"/"+name]
			return !ok || rec != uid
		}
		for _, d := range s.Deployments {
			if added(podstate.KindDeployment, d.Name, string(d.UID)) {
				return Fail("Deployment %s was added next to %s %s: fix the original instead", d.Name, t.Kind, t.Name)
			}
		}
		for _, o := range s.StatefulSets {
			if added(podstate.KindStatefulSet, o.Name, string(o.UID)) {
				return Fail("StatefulSet %s was added next to %s %s: fix the original instead", o.Name, t.Kind, t.Name)
			}
		}
		return Pass("no stand-in pods or workloads next to %s", t.Name)
	}}
}

// AppParts says which parts of the released container a fix must leave alone.
type AppParts struct {
	Image, Command, Args                        bool
	LivenessProbe, ReadinessProbe, StartupProbe bool
	MemoryLimit, CPULimit                       bool
}

// AppUnchanged is the shared rule that the target container still runs the
// released program (and, where a scenario says so, keeps its probes or
// limits as released): a workload that merely stays up is not a fix. failMsg
// says what to do instead; passMsg what holds.
func AppUnchanged(base *corev1.Container, parts AppParts, failMsg, passMsg string) Check {
	return Check{Name: "app-unchanged", Run: func(s *podstate.State) Result {
		c := s.Container()
		if c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if base == nil {
			return Fail("the lab's record of the released container is missing")
		}
		limit := func(r corev1.ResourceName) bool {
			x, okx := c.Resources.Limits[r]
			y, oky := base.Resources.Limits[r]
			return okx == oky && (!okx || x.Cmp(y) == 0)
		}
		changed := (parts.Image && c.Image != base.Image) ||
			(parts.Command && !slices.Equal(c.Command, base.Command)) ||
			(parts.Args && !slices.Equal(c.Args, base.Args)) ||
			(parts.LivenessProbe && !SameProbe(c.LivenessProbe, base.LivenessProbe)) ||
			(parts.ReadinessProbe && !SameProbe(c.ReadinessProbe, base.ReadinessProbe)) ||
			(parts.StartupProbe && !SameProbe(c.StartupProbe, base.StartupProbe)) ||
			(parts.MemoryLimit && !limit(corev1.ResourceMemory)) ||
			(parts.CPULimit && !limit(corev1.ResourceCPU))
		if changed {
			return Fail("%s", failMsg)
		}
		return Pass("%s", passMsg)
	}}
}

// changedDuring names the first workload, Secret or ConfigMap that was deleted
// or edited between two reads of the namespace ("" when none was). Generations
// count for workloads, so status updates and the grader's own pod replacement
// are not edits; any write counts for Secrets and ConfigMaps.
func changedDuring(before, after *podstate.State) string {
	gens := func(s *podstate.State) map[string]int64 {
		m := map[string]int64{}
		for _, d := range s.Deployments {
			m["Deployment "+d.Name] = d.Generation
		}
		for _, j := range s.Jobs {
			m["Job "+j.Name] = j.Generation
		}
		for _, cj := range s.CronJobs {
			m["CronJob "+cj.Name] = cj.Generation
		}
		return m
	}
	versions := func(s *podstate.State) map[string]string {
		m := map[string]string{}
		for n, o := range s.Secrets {
			m["Secret "+n] = o.ResourceVersion
		}
		for n, o := range s.ConfigMaps {
			m["ConfigMap "+n] = o.ResourceVersion
		}
		return m
	}
	a := gens(after)
	for _, k := range sortedKeys(gens(before)) {
		g, ok := a[k]
		switch {
		case !ok:
			return k + " was deleted"
		case g != gens(before)[k]:
			return k + " was edited"
		}
	}
	b, av := versions(before), versions(after)
	for _, k := range sortedKeys(b) {
		v, ok := av[k]
		switch {
		case !ok:
			return k + " was deleted"
		case v != b[k]:
			return k + " was edited"
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
