package grader

import (
	"context"
	"github.com/crashlab/crashlab/internal/podtest"
	"sync"
	"testing"
	"time"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var target = podstate.Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

// The objects both podstate's and grader's tests run against.
const (
	testNS        = podtest.Namespace
	revAnnotation = podtest.RevisionAnnotation
	depUID        = podtest.DeploymentUID
)

var t0 = podtest.T0

type podOpt = podtest.PodOpt

var (
	int32p        = podtest.Int32p
	newDeployment = podtest.NewDeployment
	owner         = podtest.Owner
	newReplicaSet = podtest.NewReplicaSet
	newPod        = podtest.NewPod
	setReady      = podtest.SetReady
	ready         = podtest.Ready
	notReady      = podtest.NotReady
	waiting       = podtest.Waiting
	restarts      = podtest.Restarts
	lastTerm      = podtest.LastTerm
	onNode        = podtest.OnNode
	crashLooping  = podtest.CrashLooping

	newRolloutFixture = podtest.NewRolloutFixture
	podNamesOf        = podtest.PodNames
)

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
