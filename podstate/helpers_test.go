package podstate

import (
	"context"
	"sync"
	"testing"
	"time"

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

var target = Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

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

// missingKeyFacts looks like the missing-secret-key incident on container app,
// plus an OOM-killed sidecar so that container filtering matters.
func missingKeyFacts() Facts {
	return Facts{
		Namespace: testNS, Workload: "Deployment/web", Found: true,
		Pods: []PodFacts{{
			Name: "web-a", NodeArch: "arm64",
			Containers: []ContainerFacts{
				{
					Name: "app", RestartCount: 3,
					WaitingReason: "CrashLoopBackOff", WaitingMessage: "back-off 20s restarting failed container=app",
					Last:              &Termination{Reason: "Error", ExitCode: 1, Message: "Config Check Failed", StartedAt: t0, FinishedAt: t0.Add(1)},
					PreviousLog:       "fatal: DATABASE_URL is not set",
					MissingSecretKeys: []string{"DATABASE_URL"},
				},
				{
					Name: "sidecar",
					Last: &Termination{Reason: "OOMKilled", ExitCode: 137, StartedAt: t0, FinishedAt: t0.Add(1)},
				},
			},
		}},
		Events: []EventFact{{Pod: "web-a", Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container app"}},
	}
}

// watchSignal tells the simulated kubelet that the code under test opened a pod watch:
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

// liveCluster is a Deployment at revision 2 with 2 replicas, its current
// ReplicaSet web-cur and an old ReplicaSet whose crash-looping pod must be
// ignored.
func liveCluster(t *testing.T, pods ...*corev1.Pod) (*sim, *appsv1.ReplicaSet) {
	f := newRolloutFixture()
	objs := append([]runtime.Object{}, f.objs...)
	objs = append(objs, newPod("web-old-1", f.rsOld, crashLooping(t0.Add(time.Hour))))
	for _, p := range pods {
		objs = append(objs, p)
	}
	return newSim(t, objs...), f.rsCur
}

func curPod(name string, opts ...podOpt) *corev1.Pod {
	return newPod(name, newRolloutFixture().rsCur, opts...)
}

// onWatch acts once, on the n-th pod watch the code under test opens.
func onWatch(n int, act func()) func(watchSignal) bool {
	return func(sg watchSignal) bool {
		if sg.seq < n {
			return false
		}
		act()
		return true
	}
}
