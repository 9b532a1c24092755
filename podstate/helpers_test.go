package podstate

import (
	"context"
	"github.com/crashlab/crashlab/internal/podtest"
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

var target = Target{Namespace: testNS, Kind: "Deployment", Name: "web", Container: "app"}

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
	objs := append([]runtime.Object{}, f.Objs...)
	objs = append(objs, newPod("web-old-1", f.RSOld, crashLooping(t0.Add(time.Hour))))
	for _, p := range pods {
		objs = append(objs, p)
	}
	return newSim(t, objs...), f.RSCur
}

func curPod(name string, opts ...podOpt) *corev1.Pod {
	return newPod(name, newRolloutFixture().RSCur, opts...)
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
