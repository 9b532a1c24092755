package podtest

import (
	"context"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// WatchSignal tells the simulated kubelet that the code under test opened
// a pod watch (or, with SignalOnEval, looked at the pods): Seq counts them,
// Deletes the pod deletions before it.
type WatchSignal struct{ Seq, Deletes int }

// Sim is a fake cluster that reports every pod watch the code under test
// opens. The fake tracker drops events that happen between a List and the
// Watch that follows it, so a simulated kubelet acts only after a watch is
// open.
type Sim struct {
	CS *fake.Clientset

	t       *testing.T
	mu      sync.Mutex
	watches int
	deletes int
	sig     chan WatchSignal
	// onEval: signal after each look of the live judge (which reads a watch
	// cache) instead of on each pod watch; the first signal waits until the
	// cache's pod watch is open, since the fake drops events before it.
	onEval       bool
	podWatchOpen chan struct{}
	evals        int
}

// NewSim is a fake cluster holding objs.
func NewSim(t *testing.T, objs ...runtime.Object) *Sim {
	s := &Sim{t: t, CS: fake.NewClientset(objs...), sig: make(chan WatchSignal, 4096), podWatchOpen: make(chan struct{})}
	s.CS.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		s.mu.Lock()
		s.deletes++
		s.mu.Unlock()
		return false, nil, nil // let the tracker delete it
	})
	s.CS.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := s.CS.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		s.mu.Lock()
		s.watches++
		sg := WatchSignal{Seq: s.watches, Deletes: s.deletes}
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

// SignalOnEval makes the simulated kubelet act on each look of the live
// judge (Evaluated, its test hook) instead of on each pod watch.
func (s *Sim) SignalOnEval() {
	s.mu.Lock()
	s.onEval = true
	s.mu.Unlock()
}

// Evaluated is the live judge's test hook: one signal per look at the pods.
func (s *Sim) Evaluated() {
	<-s.podWatchOpen
	s.mu.Lock()
	s.evals++
	sg := WatchSignal{Seq: s.evals, Deletes: s.deletes}
	s.mu.Unlock()
	select {
	case s.sig <- sg:
	default:
	}
}

// Kubelet calls step for every signal, from a goroutine, until step reports
// done. The test waits for the goroutine.
func (s *Sim) Kubelet(step func(WatchSignal) (done bool)) {
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

// UpdatePod changes a pod as the kubelet would, after a short delay.
func (s *Sim) UpdatePod(name string, change func(*corev1.Pod)) {
	time.Sleep(30 * time.Millisecond)
	ctx := context.Background()
	p, err := s.CS.CoreV1().Pods(Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		s.t.Errorf("simulated kubelet: get pod %s: %v", name, err)
		return
	}
	change(p)
	if _, err := s.CS.CoreV1().Pods(Namespace).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		s.t.Errorf("simulated kubelet: update pod %s: %v", name, err)
	}
}

// CreatePod creates a pod as a controller would, after a short delay.
func (s *Sim) CreatePod(p *corev1.Pod) {
	time.Sleep(30 * time.Millisecond)
	if _, err := s.CS.CoreV1().Pods(Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		s.t.Errorf("simulated kubelet: create pod %s: %v", p.Name, err)
	}
}

// PodNames are the names of the pods in the test namespace.
func (s *Sim) PodNames() []string {
	list, err := s.CS.CoreV1().Pods(Namespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		s.t.Fatalf("list pods: %v", err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out
}

// LiveCluster is a Deployment at revision 2 with 2 replicas, its current
// ReplicaSet web-cur and an old ReplicaSet whose crash-looping pod must be
// ignored, with pods.
func LiveCluster(t *testing.T, pods ...*corev1.Pod) (*Sim, *appsv1.ReplicaSet) {
	f := NewRolloutFixture()
	objs := append([]runtime.Object{}, f.Objs...)
	objs = append(objs, NewPod("web-old-1", f.RSOld, CrashLooping(T0.Add(time.Hour))))
	for _, p := range pods {
		objs = append(objs, p)
	}
	return NewSim(t, objs...), f.RSCur
}

// CurPod is a pod of LiveCluster's current ReplicaSet.
func CurPod(name string, opts ...PodOpt) *corev1.Pod {
	return NewPod(name, NewRolloutFixture().RSCur, opts...)
}

// OnWatch acts once, on the n-th signal.
func OnWatch(n int, act func()) func(WatchSignal) bool {
	return func(sg WatchSignal) bool {
		if sg.Seq < n {
			return false
		}
		act()
		return true
	}
}
