package grader

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/crashlab/crashlab/podstate"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const (
	testNS        = "crashlab-test"
	revAnnotation = "deployment.kubernetes.io/revision"
	depUID        = types.UID("dep-uid")
)

var target = podstate.Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

// t0 is a fixed point in time termination timestamps are built around.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func int32p(v int32) *int32 { return &v }

func newDeployment(rev string, replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: target.Name, Namespace: testNS, UID: depUID, Annotations: map[string]string{}},
		Spec: appsv1.DeploymentSpec{
			Replicas: int32p(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/web:v1"}}},
			},
		},
	}
	if rev != "" {
		d.Annotations[revAnnotation] = rev
	}
	return d
}

func owner(kind, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid}}
}

// newReplicaSet builds a ReplicaSet of revision rev owned by ownerUID; its
// selector and pods carry pod-template-hash=hash.
func newReplicaSet(name, rev, hash string, ownerUID types.UID, created time.Time) *appsv1.ReplicaSet {
	lbls := map[string]string{"app": "web", "pod-template-hash": hash}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: testNS, UID: types.UID(name + "-uid"),
			Labels:            lbls,
			Annotations:       map[string]string{revAnnotation: rev},
			OwnerReferences:   owner("Deployment", target.Name, ownerUID),
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: lbls}},
	}
}

type podOpt func(*corev1.Pod)

// newPod builds a Running pod of rs with one container "app" and no status yet.
func newPod(name string, rs *appsv1.ReplicaSet, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid"), Labels: map[string]string{}},
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
		p.OwnerReferences = owner("ReplicaSet", rs.Name, rs.UID)
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func setReady(p *corev1.Pod, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	for i := range p.Status.ContainerStatuses {
		p.Status.ContainerStatuses[i].Ready = ready
	}
}

// ready: the container runs and the pod's Ready condition is true.
func ready() podOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[i].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0)}}
		}
		setReady(p, true)
	}
}

func notReady() podOpt { return func(p *corev1.Pod) { setReady(p, false) } }

func waiting(reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
		setReady(p, false)
	}
}

func restarts(n int32) podOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = n }
}

// lastTerm sets the container's last termination; a zero started means the
// process never ran.
func lastTerm(reason string, code int32, started, finished time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: code, StartedAt: metav1.NewTime(started), FinishedAt: metav1.NewTime(finished),
		}}
	}
}

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

// crashLooping is a pod whose container failed with Error/1 at finished and
// now waits in CrashLoopBackOff.
func crashLooping(finished time.Time) podOpt {
	return func(p *corev1.Pod) {
		waiting("CrashLoopBackOff", "back-off 10s restarting failed container=app")(p)
		lastTerm("Error", 1, finished.Add(-time.Second), finished)(p)
		restarts(3)(p)
	}
}

// watchSignal tells the simulated kubelet that the grader opened a pod watch:
// seq counts the pod watches, deletes the pod deletions before it.
type watchSignal struct{ seq, deletes int }

// sim is a fake cluster that reports every pod watch the code under test opens.
// The fake tracker drops events that happen between a List and the Watch that
// follows it, so a simulated kubelet acts only after a watch is open.
type sim struct {
	t       *testing.T
	cs      *fake.Clientset
	mu      sync.Mutex
	watches int
	deletes int
	sig     chan watchSignal
	// onEval: signal after each look of the live judge (which reads a watch
	// cache) instead of on each pod watch; the first signal waits until the
	// cache's pod watch is open, since the fake drops events before it.
	onEval       bool
	podWatchOpen chan struct{}
	evals        int
}

// evaluated is the live judge's test hook: one signal per look at the pods.
func (s *sim) evaluated() {
	<-s.podWatchOpen
	s.mu.Lock()
	s.evals++
	sg := watchSignal{seq: s.evals, deletes: s.deletes}
	s.mu.Unlock()
	select {
	case s.sig <- sg:
	default:
	}
}

// liveOpts returns opt wired to signal the simulated kubelet on each look.
func (s *sim) liveOpts(opt LiveOptions) LiveOptions {
	s.onEval = true
	opt.evaluated = s.evaluated
	return opt
}

func newSim(t *testing.T, objs ...runtime.Object) *sim {
	s := &sim{t: t, cs: fake.NewClientset(objs...), sig: make(chan watchSignal, 4096), podWatchOpen: make(chan struct{})}
	s.cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		s.mu.Lock()
		s.deletes++
		s.mu.Unlock()
		return false, nil, nil // let the tracker delete it
	})
	s.cs.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := s.cs.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		s.mu.Lock()
		s.watches++
		sg := watchSignal{seq: s.watches, deletes: s.deletes}
		first, onEval := s.watches == 1, s.onEval
		s.mu.Unlock()
		if first {
			close(s.podWatchOpen)
		}
		if !onEval {
			select {
			case s.sig <- sg:
			default:
			}
		}
		return true, w, nil
	})
	return s
}

// kubelet calls step for every pod watch the code under test opens, from a
// goroutine, until step reports done. The test waits for the goroutine.
func (s *sim) kubelet(step func(watchSignal) (done bool)) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ctx.Done():
				return
			case sg := <-s.sig:
				if step(sg) {
					return
				}
			}
		}
	}()
	s.t.Cleanup(func() { cancel(); <-finished })
}

// updatePod changes a pod as the kubelet would, after a short delay.
func (s *sim) updatePod(name string, change func(*corev1.Pod)) {
	time.Sleep(30 * time.Millisecond)
	ctx := context.Background()
	p, err := s.cs.CoreV1().Pods(testNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		s.t.Errorf("simulated kubelet: get pod %s: %v", name, err)
		return
	}
	change(p)
	if _, err := s.cs.CoreV1().Pods(testNS).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		s.t.Errorf("simulated kubelet: update pod %s: %v", name, err)
	}
}

func (s *sim) podNames() []string {
	list, err := s.cs.CoreV1().Pods(testNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		s.t.Fatalf("list pods: %v", err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out
}

func checkByName(t *testing.T, checks []CheckResult, name string) CheckResult {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, checks)
	return CheckResult{}
}

func checkNames(checks []CheckResult) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Name)
	}
	return out
}

// rolloutFixture is a Deployment at revision 2 with the ReplicaSets of
// revisions 1 and 2, a look-alike ReplicaSet of another Deployment, and pods of
// each. The rev-1 ReplicaSet is the newer object (as after a rollback), so only
// the revision can tell the current one.
type rolloutFixture struct {
	dep                   *appsv1.Deployment
	rsOld, rsCur, rsAlien *appsv1.ReplicaSet
	objs                  []runtime.Object
}

func newRolloutFixture() rolloutFixture {
	f := rolloutFixture{dep: newDeployment("2", 2)}
	f.rsOld = newReplicaSet("web-old", "1", "old", depUID, t0.Add(time.Hour))
	f.rsCur = newReplicaSet("web-cur", "2", "cur", depUID, t0)
	f.rsAlien = newReplicaSet("other-cur", "2", "cur", "other-dep-uid", t0.Add(2*time.Hour))
	f.objs = []runtime.Object{f.dep, f.rsOld, f.rsCur, f.rsAlien}
	return f
}

func podNamesOf(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
