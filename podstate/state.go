package podstate

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
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

// Container returns the target container of the workload's pod template,
// an init container too (a target that is one, or a helper a fix moved
// into initContainers).
func (s *State) Container() *corev1.Container {
	return ContainerOf(s.TargetPodSpec(), s.Target.Container)
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

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
