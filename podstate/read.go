package podstate

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
)

// Workload kinds a scenario's target can be.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindJob         = "Job"
	KindCronJob     = "CronJob"
	KindPod         = "Pod"
)

// WorkloadKinds lists the kinds Read understands.
var WorkloadKinds = []string{KindDeployment, KindStatefulSet, KindJob, KindCronJob, KindPod}

// Read is the one reader of live state: it lists everything in the target's
// namespace that a judgement looks at (workloads, ReplicaSets, pods, Secrets,
// ConfigMaps, events) and the nodes, in one pass, and works out the target's
// current pods from what it listed. Facts, static checks, the live judge and
// status all start from it, so they never disagree about which pods count.
func Read(ctx context.Context, c kubernetes.Interface, t Target, recorded map[string]string) (*State, error) {
	s := &State{Target: t, Recorded: recorded, Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	ns := t.Namespace
	lo := metav1.ListOptions{}
	list := func(what string, fn func() error) error {
		if err := fn(); err != nil {
			return fmt.Errorf("list %s in %s: %w", what, ns, err)
		}
		return nil
	}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"deployments", func() error {
			l, err := c.AppsV1().Deployments(ns).List(ctx, lo)
			if err == nil {
				s.Deployments = l.Items
			}
			return err
		}},
		{"statefulsets", func() error {
			l, err := c.AppsV1().StatefulSets(ns).List(ctx, lo)
			if err == nil {
				s.StatefulSets = l.Items
			}
			return err
		}},
		{"replicasets", func() error {
			l, err := c.AppsV1().ReplicaSets(ns).List(ctx, lo)
			if err == nil {
				s.ReplicaSets = l.Items
			}
			return err
		}},
		{"jobs", func() error {
			l, err := c.BatchV1().Jobs(ns).List(ctx, lo)
			if err == nil {
				s.Jobs = l.Items
			}
			return err
		}},
		{"cronjobs", func() error {
			l, err := c.BatchV1().CronJobs(ns).List(ctx, lo)
			if err == nil {
				s.CronJobs = l.Items
			}
			return err
		}},
		{"pods", func() error {
			l, err := c.CoreV1().Pods(ns).List(ctx, lo)
			if err == nil {
				s.Pods = l.Items
			}
			return err
		}},
		{"secrets", func() error {
			l, err := c.CoreV1().Secrets(ns).List(ctx, lo)
			if err == nil {
				for i := range l.Items {
					s.Secrets[l.Items[i].Name] = &l.Items[i]
				}
			}
			return err
		}},
		{"configmaps", func() error {
			l, err := c.CoreV1().ConfigMaps(ns).List(ctx, lo)
			if err == nil {
				for i := range l.Items {
					// An interview's relay writes its requests next to the
					// incident while a check watches: they are the lab's
					// traffic, not the learner's fix.
					if _, relay := l.Items[i].Labels[cluster.LabelRequest]; relay {
						continue
					}
					s.ConfigMaps[l.Items[i].Name] = &l.Items[i]
				}
			}
			return err
		}},
		{"events", func() error {
			l, err := c.CoreV1().Events(ns).List(ctx, lo)
			if err == nil {
				s.Events = l.Items
			}
			return err
		}},
	}
	for _, st := range steps {
		if err := list(st.what, st.fn); err != nil {
			return nil, err
		}
	}
	nodes, err := c.CoreV1().Nodes().List(ctx, lo)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	s.Nodes = nodes.Items
	for i := range s.Deployments {
		if t.Kind == KindDeployment && s.Deployments[i].Name == t.Name {
			s.Deployment = &s.Deployments[i]
		}
	}
	s.Current = currentPods(t, s.Deployments, s.StatefulSets, s.ReplicaSets, s.Jobs, s.CronJobs, s.Pods)
	return s, nil
}

// currentPods picks the target's current pods from listed objects: the pods
// the workload's controller runs now, not those of an older revision on their
// way out (they are neither blamed nor credited) and none being deleted.
//   - Deployment: the pods of the ReplicaSet of its current revision;
//   - StatefulSet: its pods at the update revision;
//   - Job: its pods; CronJob: the pods of its newest Job;
//   - Pod: the pod itself.
func currentPods(t Target, deps []appsv1.Deployment, sts []appsv1.StatefulSet, rss []appsv1.ReplicaSet, jobs []batchv1.Job, cjs []batchv1.CronJob, pods []corev1.Pod) []corev1.Pod {
	var keep func(p *corev1.Pod) bool
	switch t.Kind {
	case KindDeployment:
		for i := range deps {
			if deps[i].Name == t.Name {
				if rs := currentReplicaSetOf(&deps[i], rss); rs != nil {
					keep = func(p *corev1.Pod) bool { return OwnedBy(p.OwnerReferences, rs.UID) }
				}
			}
		}
	case KindStatefulSet:
		for i := range sts {
			if s := &sts[i]; s.Name == t.Name {
				keep = func(p *corev1.Pod) bool {
					rev := s.Status.UpdateRevision
					return OwnedBy(p.OwnerReferences, s.UID) && (rev == "" || p.Labels[appsv1.ControllerRevisionHashLabelKey] == rev)
				}
			}
		}
	case KindJob:
		for i := range jobs {
			if j := &jobs[i]; j.Name == t.Name {
				keep = func(p *corev1.Pod) bool { return OwnedBy(p.OwnerReferences, j.UID) }
			}
		}
	case KindCronJob:
		for i := range cjs {
			if cj := &cjs[i]; cj.Name == t.Name {
				var newest *batchv1.Job
				for k := range jobs {
					if j := &jobs[k]; OwnedBy(j.OwnerReferences, cj.UID) && (newest == nil || j.CreationTimestamp.After(newest.CreationTimestamp.Time)) {
						newest = j
					}
				}
				if newest != nil {
					keep = func(p *corev1.Pod) bool { return OwnedBy(p.OwnerReferences, newest.UID) }
				}
			}
		}
	case KindPod:
		keep = func(p *corev1.Pod) bool { return p.Name == t.Name }
	}
	if keep == nil {
		return nil
	}
	var out []corev1.Pod
	for i := range pods {
		if p := &pods[i]; p.DeletionTimestamp == nil && keep(p) {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// currentReplicaSetOf finds the ReplicaSet of the Deployment's current
// revision among listed ones (the newest owned one when the revision is not
// annotated yet).
func currentReplicaSetOf(d *appsv1.Deployment, rss []appsv1.ReplicaSet) *appsv1.ReplicaSet {
	rev := d.Annotations["deployment.kubernetes.io/revision"]
	var best *appsv1.ReplicaSet
	for i := range rss {
		rs := &rss[i]
		if !OwnedBy(rs.OwnerReferences, d.UID) {
			continue
		}
		if rev != "" && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			return rs
		}
		if best == nil || rs.CreationTimestamp.After(best.CreationTimestamp.Time) {
			best = rs
		}
	}
	return best
}

// workloadPods lists just what the target's current pods depend on, for a
// one-shot read of them (CurrentPods); it returns the pod list's resource
// version to watch from. The choice of pods is currentPods', as in Read and in
// the live judge's cache.
func workloadPods(ctx context.Context, c kubernetes.Interface, t Target) ([]corev1.Pod, string, bool, error) {
	ns, lo := t.Namespace, metav1.ListOptions{}
	var deps []appsv1.Deployment
	var sts []appsv1.StatefulSet
	var rss []appsv1.ReplicaSet
	var jobs []batchv1.Job
	var cjs []batchv1.CronJob
	found := t.Kind == KindPod
	switch t.Kind {
	case KindDeployment:
		d, err := c.AppsV1().Deployments(ns).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, "", false, fmt.Errorf("Deployment %s: %w", t.Name, err)
		}
		deps, found = []appsv1.Deployment{*d}, true
		l, err := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(d.Spec.Selector)})
		if err != nil {
			return nil, "", false, fmt.Errorf("list replicasets in %s: %w", ns, err)
		}
		rss = l.Items
	case KindStatefulSet:
		s, err := c.AppsV1().StatefulSets(ns).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, "", false, fmt.Errorf("StatefulSet %s: %w", t.Name, err)
		}
		sts, found = []appsv1.StatefulSet{*s}, true
	case KindJob, KindCronJob:
		l, err := c.BatchV1().Jobs(ns).List(ctx, lo)
		if err != nil {
			return nil, "", false, fmt.Errorf("list jobs in %s: %w", ns, err)
		}
		jobs = l.Items
		if t.Kind == KindCronJob {
			cj, err := c.BatchV1().CronJobs(ns).Get(ctx, t.Name, metav1.GetOptions{})
			if err != nil {
				return nil, "", false, fmt.Errorf("CronJob %s: %w", t.Name, err)
			}
			cjs, found = []batchv1.CronJob{*cj}, true
		}
		for _, j := range jobs {
			found = found || j.Name == t.Name
		}
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, lo)
	if err != nil {
		return nil, "", found, fmt.Errorf("list pods in %s: %w", ns, err)
	}
	return currentPods(t, deps, sts, rss, jobs, cjs, pods.Items), pods.ResourceVersion, found, nil
}

// LastTermination is the container's most recent termination: the current
// state's when it is terminated right now (between a crash and the restart),
// else the last state's. Facts and the live judge both read it here.
func LastTermination(st *corev1.ContainerStatus) *corev1.ContainerStateTerminated {
	if st.State.Terminated != nil {
		return st.State.Terminated
	}
	return st.LastTerminationState.Terminated
}
