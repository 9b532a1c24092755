package grader

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/kubernetes"
)

// State is the live content of a lab namespace that static fix checks judge.
type State struct {
	Target Target
	// Recorded maps "Kind/name" to the UID the lab created the object with.
	Recorded     map[string]string
	Deployment   *appsv1.Deployment // nil when deleted
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	ReplicaSets  []appsv1.ReplicaSet
	Pods         []corev1.Pod // every pod in the namespace
	Current      []corev1.Pod // pods of the Deployment's current ReplicaSet
	Secrets      map[string]*corev1.Secret
	ConfigMaps   map[string]*corev1.ConfigMap
	Jobs         []batchv1.Job
	CronJobs     []batchv1.CronJob
	Nodes        []corev1.Node
	Events       []corev1.Event
	// ForPod is set by ReadPod: facts then also name what the pod lacks
	// (Unmet, MissingConfig). A lab incident's facts leave them out,
	// because `status` shows its facts and they would name the cause.
	ForPod bool
	// Claims, StorageClasses, PersistentVolumes and NodePods are read by
	// ReadPod only (explain POD), for a pod that waits for a node: Read
	// leaves them nil, and nil means "not read", never "none".
	Claims            map[string]*corev1.PersistentVolumeClaim
	StorageClasses    map[string]*storagev1.StorageClass
	PersistentVolumes []corev1.PersistentVolume
	// NodePods are the pods bound to a node, in every namespace: what
	// they request is taken from the node's allocatable.
	NodePods []corev1.Pod
	// Unread names what was looked for but could not be read ("Secret/x",
	// "ConfigMap/x", "StorageClasses"): unknown, so never called missing.
	Unread map[string]bool
	// Final is set on the state read after the live checks: by then a rollout
	// has finished, so rules that spare a rollout's old pods no longer do.
	Final bool
}

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
	Run  func(*State) Result
}

// Container returns the target container of the workload's pod template,
// an init container too (a target that is one, or a helper a fix moved
// into initContainers).
func (s *State) Container() *corev1.Container {
	return containerOf(s.TargetPodSpec(), s.Target.Container)
}

// Env returns the container's env entry by name as the kubelet resolves it:
// of duplicate entries the last one wins, so a correct entry followed by a
// placeholder of the same name is the placeholder.
func Env(c *corev1.Container, name string) *corev1.EnvVar {
	if c == nil {
		return nil
	}
	for i := len(c.Env) - 1; i >= 0; i-- {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// SecretValue resolves a key of a Secret in the namespace.
func (s *State) SecretValue(name, key string) (string, bool) {
	sec := s.Secrets[name]
	if sec == nil {
		return "", false
	}
	if v, ok := sec.Data[key]; ok {
		return string(v), true
	}
	v, ok := sec.StringData[key]
	return v, ok
}

// LoadState reads the namespace: Read under the name the checks know it by.
func LoadState(ctx context.Context, c kubernetes.Interface, t Target, recorded map[string]string) (*State, error) {
	return Read(ctx, c, t, recorded)
}

// WorkloadFound tells whether the target workload exists in the snapshot.
func (s *State) WorkloadFound() bool {
	t := s.Target
	switch t.Kind {
	case KindDeployment:
		return s.Deployment != nil
	case KindStatefulSet:
		return slices.ContainsFunc(s.StatefulSets, func(o appsv1.StatefulSet) bool { return o.Name == t.Name })
	case KindJob:
		return slices.ContainsFunc(s.Jobs, func(o batchv1.Job) bool { return o.Name == t.Name })
	case KindCronJob:
		return slices.ContainsFunc(s.CronJobs, func(o batchv1.CronJob) bool { return o.Name == t.Name })
	case KindPod:
		return slices.ContainsFunc(s.Pods, func(o corev1.Pod) bool { return o.Name == t.Name })
	}
	return false
}

// ObjectKeyDeployment is the record key of a Deployment.
func ObjectKeyDeployment(name string) string { return "Deployment/" + name }

// OnlyOwnedPods rejects bare pods or a second workload running the app in the
// namespace: the target Deployment must be what serves.
func OnlyOwnedPods() Check {
	return Check{Name: "no-stand-ins", Run: func(s *State) Result {
		t := s.Target
		for _, p := range s.Pods {
			if len(p.OwnerReferences) == 0 && !(t.Kind == KindPod && p.Name == t.Name) {
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
			if added(KindDeployment, d.Name, string(d.UID)) {
				return Fail("Deployment %s was added next to %s %s: fix the original instead", d.Name, t.Kind, t.Name)
			}
		}
		for _, o := range s.StatefulSets {
			if added(KindStatefulSet, o.Name, string(o.UID)) {
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
	return Check{Name: "app-unchanged", Run: func(s *State) Result {
		c := s.Container()
		if c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		if base == nil {
			return Fail("the lab's record of the released container is missing")
		}
		probe := func(a, b *corev1.Probe) bool {
			return equality.Semantic.DeepEqual(defaultedProbe(a), defaultedProbe(b))
		}
		limit := func(r corev1.ResourceName) bool {
			x, okx := c.Resources.Limits[r]
			y, oky := base.Resources.Limits[r]
			return okx == oky && (!okx || x.Cmp(y) == 0)
		}
		changed := (parts.Image && c.Image != base.Image) ||
			(parts.Command && !slices.Equal(c.Command, base.Command)) ||
			(parts.Args && !slices.Equal(c.Args, base.Args)) ||
			(parts.LivenessProbe && !probe(c.LivenessProbe, base.LivenessProbe)) ||
			(parts.ReadinessProbe && !probe(c.ReadinessProbe, base.ReadinessProbe)) ||
			(parts.StartupProbe && !probe(c.StartupProbe, base.StartupProbe)) ||
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
func changedDuring(before, after *State) string {
	gens := func(s *State) map[string]int64 {
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
	versions := func(s *State) map[string]string {
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
