// Package podtest builds the Deployments, ReplicaSets and pods that the
// tests of podstate (which reads them) and grader (which judges them) run
// against, so both packages test against the same objects.
package podtest

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// Namespace is where every built object lives.
	Namespace = "crashlab-test"
	// RevisionAnnotation is the Deployment controller's revision annotation.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// DeploymentUID is the built Deployment's UID.
	DeploymentUID = types.UID("dep-uid")
	// WorkloadName is the built Deployment's name.
	WorkloadName = "web"
)

// T0 is a fixed point in time termination timestamps are built around.
var T0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Int32p points at v.
func Int32p(v int32) *int32 { return &v }

// NewDeployment builds Deployment web of revision rev.
func NewDeployment(rev string, replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: WorkloadName, Namespace: Namespace, UID: DeploymentUID, Annotations: map[string]string{}},
		Spec: appsv1.DeploymentSpec{
			Replicas: Int32p(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/web:v1"}}},
			},
		},
	}
	if rev != "" {
		d.Annotations[RevisionAnnotation] = rev
	}
	return d
}

// Owner is an owner reference to kind/name.
func Owner(kind, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid}}
}

// NewReplicaSet builds a ReplicaSet of revision rev owned by ownerUID; its
// selector and pods carry pod-template-hash=hash.
func NewReplicaSet(name, rev, hash string, ownerUID types.UID, created time.Time) *appsv1.ReplicaSet {
	lbls := map[string]string{"app": "web", "pod-template-hash": hash}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: Namespace, UID: types.UID(name + "-uid"),
			Labels:            lbls,
			Annotations:       map[string]string{RevisionAnnotation: rev},
			OwnerReferences:   Owner("Deployment", WorkloadName, ownerUID),
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: lbls}},
	}
}

// PodOpt changes a built pod.
type PodOpt func(*corev1.Pod)

// NewPod builds a Running pod of rs with one container "app" and no status yet.
func NewPod(name string, rs *appsv1.ReplicaSet, opts ...PodOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, UID: types.UID(name + "-uid"), Labels: map[string]string{}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/web:v1"}}},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Image: "example/web:v1"}},
		},
	}
	if rs != nil {
		for k, v := range rs.Spec.Selector.MatchLabels {
			p.Labels[k] = v
		}
		p.OwnerReferences = Owner("ReplicaSet", rs.Name, rs.UID)
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// SetReady sets the pod's and its containers' readiness.
func SetReady(p *corev1.Pod, Ready bool) {
	status := corev1.ConditionFalse
	if Ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	for i := range p.Status.ContainerStatuses {
		p.Status.ContainerStatuses[i].Ready = Ready
	}
}

// Ready: the container runs and the pod's Ready condition is true.
func Ready() PodOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(T0)}}
		}
		SetReady(p, true)
	}
}

// NotReady: the pod's Ready condition is false.
func NotReady() PodOpt { return func(p *corev1.Pod) { SetReady(p, false) } }

// Waiting: the first container waits with reason.
func Waiting(reason, msg string) PodOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
		SetReady(p, false)
	}
}

// Restarts sets the first container's restart count.
func Restarts(n int32) PodOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = n }
}

// LastTerm sets the container's last termination; a zero started means the
// process never ran.
func LastTerm(reason string, code int32, started, finished time.Time) PodOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: code, StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(finished),
		}}
	}
}

// OnNode schedules the pod on node n.
func OnNode(n string) PodOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

// CrashLooping is a pod whose container failed with Error/1 at finished and
// now waits in CrashLoopBackOff.
func CrashLooping(finished time.Time) PodOpt {
	return func(p *corev1.Pod) {
		Waiting("CrashLoopBackOff", "back-off 10s restarting failed container=app")(p)
		LastTerm("Error", 1, finished.Add(-time.Second), finished)(p)
		Restarts(3)(p)
	}
}

// RolloutFixture is a Deployment at revision 2 with the ReplicaSets of
// revisions 1 and 2, a look-alike ReplicaSet of another Deployment, and pods of
// each. The rev-1 ReplicaSet is the newer object (as after a rollback), so only
// the revision can tell the current one.
type RolloutFixture struct {
	Dep                   *appsv1.Deployment
	RSOld, RSCur, RSAlien *appsv1.ReplicaSet
	Objs                  []runtime.Object
}

// NewRolloutFixture builds the fixture.
func NewRolloutFixture() RolloutFixture {
	f := RolloutFixture{Dep: NewDeployment("2", 2)}
	f.RSOld = NewReplicaSet("web-old", "1", "old", DeploymentUID, T0.Add(time.Hour))
	f.RSCur = NewReplicaSet("web-cur", "2", "cur", DeploymentUID, T0)
	f.RSAlien = NewReplicaSet("other-cur", "2", "cur", "other-dep-uid", T0.Add(2*time.Hour))
	f.Objs = []runtime.Object{f.Dep, f.RSOld, f.RSCur, f.RSAlien}
	return f
}

// PodNames are the pods' names, in order.
func PodNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
