package lab_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
)

func TestBackOffIsReadFromTheKubeletsMessage(t *testing.T) {
	for msg, want := range map[string]time.Duration{
		"back-off 40s restarting failed container=app pod=orders-api-1_ns(uid)": 40 * time.Second,
		"back-off 5m0s restarting failed container=app pod=x":                   5 * time.Minute,
		"back-off 1m20s restarting failed container=app pod=x":                  80 * time.Second,
	} {
		got, ok := lab.BackOff(msg)
		assert.True(t, ok, msg)
		assert.Equal(t, want, got, msg)
	}
	for _, msg := range []string{"", "Back-off pulling image", "back-off soon restarting failed container=app"} {
		_, ok := lab.BackOff(msg)
		assert.False(t, ok, msg)
	}
}

func TestNextRetryIsTheLastFinishPlusTheBackOff(t *testing.T) {
	finished := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := podstate.ContainerFacts{
		WaitingReason: "CrashLoopBackOff", WaitingMessage: "back-off 40s restarting failed container=app pod=p",
		Last: &podstate.Termination{Reason: "Error", ExitCode: 1, FinishedAt: finished},
	}
	r, ok := lab.NextRetry(c, 0)
	require.True(t, ok)
	assert.Equal(t, lab.Retry{BackOff: 40 * time.Second, At: finished.Add(40 * time.Second)}, r, "cap unknown: the message alone")

	r, ok = lab.NextRetry(c, 10*time.Second)
	require.True(t, ok)
	assert.Equal(t, lab.Retry{BackOff: 10 * time.Second, At: finished.Add(10 * time.Second), AtCap: true}, r, "never beyond the kubelet's cap")

	c.WaitingReason = "CreateContainerConfigError"
	_, ok = lab.NextRetry(c, 0)
	assert.False(t, ok, "only CrashLoopBackOff has a back-off")
}

// podWatches tells when a watch of pods starts on the fake clientset. The
// fake, unlike an API server, does not replay what happened between a list
// and the watch that follows it, so a test changes pods only once the
// informer watches.
func podWatches(cs *fake.Clientset) <-chan struct{} {
	ch := make(chan struct{}, 8)
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		select {
		case ch <- struct{}{}:
		default:
		}
		return false, nil, nil
	})
	return ch
}

// watching waits for the informer's watch to start, and for the fake to
// register it (right after the reactor above returns).
func watching(t *testing.T, started <-chan struct{}) {
	t.Helper()
	select {
	case <-started:
		time.Sleep(50 * time.Millisecond)
	case <-time.After(5 * time.Second):
		t.Fatal("the informer never watched the pods")
	}
}

// next receives a sighting or fails after a few seconds.
func next(t *testing.T, ch <-chan lab.Sighting) lab.Sighting {
	t.Helper()
	select {
	case s, ok := <-ch:
		require.True(t, ok, "the watch ended early")
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no sighting within 5s")
		return lab.Sighting{}
	}
}

func TestWatchFollowsThePodsAndReadsTheCapOnce(t *testing.T) {
	f := newFixture(t)
	svc := f.service("ann")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	crashLoop(t, f.cs, started.Namespace)
	watchStarted := podWatches(f.cs)

	var capReads atomic.Int32
	ch, err := svc.Watch(ctx, lab.WatchOptions{
		Settle: 10 * time.Millisecond,
		ReadBackoffCap: func(_ context.Context, node string) (time.Duration, error) {
			capReads.Add(1)
			assert.Equal(t, "node-"+nodeArch, node)
			return 10 * time.Second, nil
		},
	}, scenarioID)
	require.NoError(t, err)

	first := next(t, ch)
	require.NoError(t, first.Err)
	require.Len(t, first.Scenarios, 1)
	ws := first.Scenarios[0]
	assert.True(t, ws.Started)
	assert.Equal(t, started.Namespace, ws.Namespace)
	require.Len(t, ws.Facts.Pods, 2)
	assert.Equal(t, 10*time.Second, first.BackoffCap)

	// The kubelet restarts a container: the watch sees it without being asked.
	watching(t, watchStarted)
	pods, err := f.cs.CoreV1().Pods(started.Namespace).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	p := pods.Items[0]
	p.Status.ContainerStatuses[0].RestartCount = 7
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
	_, err = f.cs.CoreV1().Pods(started.Namespace).UpdateStatus(ctx, &p, metav1.UpdateOptions{})
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := next(t, ch)
		if restarts(s, p.Name) == 7 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the restart was never seen")
	}
	assert.Equal(t, int32(1), capReads.Load(), "the cap is read once")

	// Ctrl-C: the channel closes promptly.
	cancel()
	select {
	case _, ok := <-drain(ch):
		assert.False(t, ok)
	case <-time.After(time.Second):
		t.Fatal("the watch did not end with its context")
	}
}

// drain returns a channel that closes once ch has closed.
func drain(ch <-chan lab.Sighting) <-chan lab.Sighting {
	out := make(chan lab.Sighting)
	go func() {
		for range ch {
		}
		close(out)
	}()
	return out
}

func restarts(s lab.Sighting, pod string) int32 {
	for _, ws := range s.Scenarios {
		for _, p := range ws.Facts.Pods {
			if p.Name == pod {
				return p.Containers[0].RestartCount
			}
		}
	}
	return -1
}

func TestWatchSaysWhenTheNamespaceIsGone(t *testing.T) {
	f := newFixture(t)
	svc := f.service("")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started, err := svc.Start(ctx, scenarioID)
	require.NoError(t, err)
	crashLoop(t, f.cs, started.Namespace)
	watchStarted := podWatches(f.cs)
	ch, err := svc.Watch(ctx, lab.WatchOptions{Settle: 10 * time.Millisecond}, scenarioID)
	require.NoError(t, err)
	first := next(t, ch)
	assert.True(t, first.Scenarios[0].Started)
	assert.Zero(t, first.BackoffCap, "a fake cluster has no kubelet to ask: the cap is unknown")

	watching(t, watchStarted)
	require.NoError(t, f.cs.CoreV1().Namespaces().Delete(ctx, started.Namespace, metav1.DeleteOptions{}))
	deadline := time.Now().Add(5 * time.Second)
	for next(t, ch).Scenarios[0].Started {
		require.True(t, time.Now().Before(deadline), "the deleted namespace was never seen")
	}
}

func TestWatchRefusesWhatIsNotStarted(t *testing.T) {
	f := newFixture(t)
	svc := f.service("")
	_, err := svc.Watch(context.Background(), lab.WatchOptions{}, scenarioID)
	require.ErrorIs(t, err, lab.ErrNotStarted)
	_, err = svc.Watch(context.Background(), lab.WatchOptions{})
	require.ErrorIs(t, err, lab.ErrNothingToWatch)
	_, err = svc.Watch(context.Background(), lab.WatchOptions{}, "nope")
	require.ErrorContains(t, err, `no scenario "nope"`)
}
