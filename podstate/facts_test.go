package podstate

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

func TestCurrentPodsReturnsOnlyPodsOfTheCurrentRevision(t *testing.T) {
	f := newRolloutFixture()
	deleting := newPod("web-cur-deleting", f.RSCur)
	now := metav1.NewTime(t0)
	deleting.DeletionTimestamp = &now
	deleting.Finalizers = []string{"example.com/hold"}
	objs := append(f.Objs,
		newPod("web-old-1", f.RSOld),
		newPod("web-old-2", f.RSOld),
		newPod("web-cur-b", f.RSCur),
		newPod("web-cur-a", f.RSCur),
		newPod("other-cur-1", f.RSAlien), // same labels, other owner
		newPod("bare", nil),
		deleting,
	)
	cs := fake.NewClientset(objs...)

	pods, err := CurrentPods(context.Background(), cs, target)
	require.NoError(t, err)
	assert.Equal(t, []string{"web-cur-a", "web-cur-b"}, podNamesOf(pods), "sorted rev-2 pods, without old, foreign, bare or deleting pods")
}

func TestCurrentPodsOfMissingDeploymentIsNotFound(t *testing.T) {
	_, err := CurrentPods(context.Background(), fake.NewClientset(), target)
	require.Error(t, err)
}

func TestCurrentReplicaSet(t *testing.T) {
	rsNewest := newReplicaSet("web-newest", "3", "newest", depUID, t0.Add(3*time.Hour))
	rsOldest := newReplicaSet("web-oldest", "1", "oldest", depUID, t0.Add(-time.Hour))
	alienNewer := newReplicaSet("alien", "9", "alien", "other-dep-uid", t0.Add(10*time.Hour))
	tests := []struct {
		name     string
		rev      string
		rss      []*appsv1.ReplicaSet
		wantName string // "" means none
	}{
		{name: "revision annotation picks the matching ReplicaSet even if an older revision is newer", rev: "1", rss: []*appsv1.ReplicaSet{rsOldest, rsNewest}, wantName: "web-oldest"},
		{name: "no revision on the Deployment falls back to the newest owned ReplicaSet", rev: "", rss: []*appsv1.ReplicaSet{rsOldest, rsNewest, alienNewer}, wantName: "web-newest"},
		{name: "revision with no matching ReplicaSet falls back to the newest owned one", rev: "7", rss: []*appsv1.ReplicaSet{rsOldest, rsNewest}, wantName: "web-newest"},
		{name: "ReplicaSets of another Deployment are never current", rev: "9", rss: []*appsv1.ReplicaSet{alienNewer}, wantName: ""},
		{name: "no ReplicaSet at all", rev: "1", wantName: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeployment(tt.rev, 1)
			objs := []runtime.Object{d}
			for _, rs := range tt.rss {
				objs = append(objs, rs.DeepCopy())
			}
			rs, err := CurrentReplicaSet(context.Background(), fake.NewClientset(objs...), d)
			require.NoError(t, err)
			if tt.wantName == "" {
				assert.Nil(t, rs)
				return
			}
			require.NotNil(t, rs)
			assert.Equal(t, tt.wantName, rs.Name)
		})
	}
}

type logCall struct{ ns, pod, container string }

// cannedLogs is a LogReader that answers with a log naming the pod and
// container, and records what it was asked for.
type cannedLogs struct {
	mu    sync.Mutex
	calls []logCall
}

func (c *cannedLogs) read(_ context.Context, ns, pod, container string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, logCall{ns, pod, container})
	return fmt.Sprintf("previous log of %s/%s: DATABASE_URL is not set", pod, container), nil
}

func TestObserveReadsFactsOfCurrentPods(t *testing.T) {
	f := newRolloutFixture()
	env := []corev1.EnvVar{
		{Name: "PLAIN", Value: "x"},
		{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "orders-db"}, Key: "database-url"}}},
		{Name: "GOOD_DATA_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "orders-db"}, Key: "database_url"}}},
		{Name: "GOOD_STRINGDATA_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "orders-db"}, Key: "pending"}}},
		{Name: "FROM_MISSING_SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "token"}}},
		{Name: "FROM_CONFIGMAP", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent-cm"}, Key: "k"}}},
	}
	withEnv := func(p *corev1.Pod) { p.Spec.Containers[0].Env = env }
	sidecar := func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "example/side:v1"})
	}
	// What the kubelet really reports for a StartError: the Unix epoch, not
	// an empty time (observed on containerd 2.3 / runc 1.4).
	startErrStarted := time.Unix(0, 0).UTC()
	crashing := newPod("web-cur-a", f.RSCur, withEnv, onNode("node-amd"), crashLooping(t0))
	crashing.Status.ContainerStatuses[0].LastTerminationState.Terminated.Message = "app exited"
	startErr := newPod("web-cur-b", f.RSCur, withEnv, onNode("node-arm"), sidecar, ready(), restarts(1),
		lastTerm("StartError", 128, startErrStarted, t0.Add(time.Minute)))
	justCrashed := newPod("web-cur-c", f.RSCur, withEnv, restarts(2), notReady())
	justCrashed.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: "Error", ExitCode: 2, StartedAt: metav1.NewTime(t0), FinishedAt: metav1.NewTime(t0.Add(time.Second)),
	}}
	fresh := newPod("web-cur-d", f.RSCur, withEnv, waiting("ContainerCreating", ""))
	old := newPod("web-old-1", f.RSOld, withEnv, onNode("node-amd"), crashLooping(t0))

	event := func(name, kind, obj, reason string) *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: testNS},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: obj, Namespace: testNS},
			Type:           "Warning", Reason: reason, Message: reason + " on " + obj, Count: 3,
		}
	}
	objs := append(f.Objs, crashing, startErr, justCrashed, fresh, old,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: testNS},
			Data:       map[string][]byte{"database_url": []byte("postgres://x")},
			StringData: map[string]string{"pending": "y"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-amd"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-arm"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "arm64"}}},
		event("e1", "Pod", "web-cur-a", "BackOff"),
		event("e2", "Pod", "web-old-1", "OldPodEvent"),
		event("e3", "ReplicaSet", "web-cur-a", "NotAPodEvent"),
		event("e4", "Pod", "web-cur-b", "Pulled"),
	)
	logs := &cannedLogs{}
	o := &Observer{Client: fake.NewClientset(objs...), Logs: logs.read}

	facts, err := o.Observe(context.Background(), target)
	require.NoError(t, err)

	assert.True(t, facts.Found)
	assert.Equal(t, testNS, facts.Namespace)
	assert.Equal(t, "Deployment/web", facts.Workload)
	assert.False(t, facts.ObservedAt.IsZero())
	var names []string
	byName := map[string]PodFacts{}
	for _, p := range facts.Pods {
		names = append(names, p.Name)
		byName[p.Name] = p
	}
	require.Equal(t, []string{"web-cur-a", "web-cur-b", "web-cur-c", "web-cur-d"}, names)
	assert.Equal(t, "amd64", facts.NodeArch, "the first pod's node architecture")

	t.Run("pod facts", func(t *testing.T) {
		assert.Equal(t, "node-amd", byName["web-cur-a"].Node)
		assert.Equal(t, "amd64", byName["web-cur-a"].NodeArch)
		assert.Equal(t, "arm64", byName["web-cur-b"].NodeArch)
		assert.Empty(t, byName["web-cur-c"].NodeArch, "unscheduled pod has no node arch")
		assert.False(t, byName["web-cur-a"].Ready, "a Running pod whose container crash-loops is not Ready")
		assert.Equal(t, "Running", byName["web-cur-a"].Phase)
		assert.True(t, byName["web-cur-b"].Ready)
	})

	tests := []struct {
		pod          string
		wantWaiting  string
		wantRunning  bool
		wantRestarts int32
		wantLast     *Termination // compared without FinishedAt/StartedAt
		wantNeverRan bool
	}{
		{pod: "web-cur-a", wantWaiting: "CrashLoopBackOff", wantRestarts: 3, wantLast: &Termination{Reason: "Error", ExitCode: 1, Message: "app exited"}},
		{pod: "web-cur-b", wantRunning: true, wantRestarts: 1, wantLast: &Termination{Reason: "StartError", ExitCode: 128}, wantNeverRan: true},
		{pod: "web-cur-c", wantRestarts: 2, wantLast: &Termination{Reason: "Error", ExitCode: 2}},
		{pod: "web-cur-d", wantWaiting: "ContainerCreating"},
	}
	for _, tt := range tests {
		t.Run("container app of "+tt.pod, func(t *testing.T) {
			p := byName[tt.pod]
			require.NotEmpty(t, p.Containers)
			c := p.Containers[0]
			assert.Equal(t, "app", c.Name)
			assert.Equal(t, "example/web:v1", c.Image)
			assert.Equal(t, tt.wantWaiting, c.WaitingReason)
			assert.Equal(t, tt.wantRunning, c.Running)
			assert.Equal(t, tt.wantRestarts, c.RestartCount)
			assert.ElementsMatch(t, []string{"DATABASE_URL", "FROM_MISSING_SECRET"}, c.MissingSecretKeys)
			if tt.wantLast == nil {
				assert.Nil(t, c.Last)
				assert.Empty(t, c.PreviousLog, "no previous log without a termination")
				return
			}
			require.NotNil(t, c.Last)
			assert.Equal(t, tt.wantLast.Reason, c.Last.Reason)
			assert.Equal(t, tt.wantLast.ExitCode, c.Last.ExitCode)
			assert.Equal(t, tt.wantLast.Message, c.Last.Message)
			assert.Equal(t, tt.wantNeverRan, c.Last.StartedAt.IsZero())
			assert.False(t, c.Last.FinishedAt.IsZero())
			assert.Contains(t, c.PreviousLog, tt.pod+"/app", "previous log read for this pod and container")
		})
	}

	t.Run("waiting message", func(t *testing.T) {
		assert.Contains(t, byName["web-cur-a"].Containers[0].WaitingMessage, "back-off")
	})

	t.Run("container without status still listed", func(t *testing.T) {
		cs := byName["web-cur-b"].Containers
		require.Len(t, cs, 2)
		assert.Equal(t, "sidecar", cs[1].Name)
		assert.Equal(t, "example/side:v1", cs[1].Image)
		assert.Nil(t, cs[1].Last)
		assert.Zero(t, cs[1].RestartCount)
	})

	t.Run("logs read only for terminated containers of current pods", func(t *testing.T) {
		var got []string
		for _, c := range logs.calls {
			assert.Equal(t, testNS, c.ns)
			got = append(got, c.pod+"/"+c.container)
		}
		sort.Strings(got)
		assert.Equal(t, []string{"web-cur-a/app", "web-cur-b/app", "web-cur-c/app"}, got)
	})

	t.Run("events only about current pods", func(t *testing.T) {
		var got []string
		for _, e := range facts.Events {
			got = append(got, e.Pod+":"+e.Reason)
			assert.Equal(t, "Warning", e.Type)
			assert.Equal(t, int32(3), e.Count)
			assert.Equal(t, e.Reason+" on "+e.Pod, e.Message)
		}
		assert.ElementsMatch(t, []string{"web-cur-a:BackOff", "web-cur-b:Pulled"}, got)
	})
}

func TestObserveWithoutLogReaderLeavesPreviousLogEmpty(t *testing.T) {
	f := newRolloutFixture()
	objs := append(f.Objs, newPod("web-cur-a", f.RSCur, crashLooping(t0)))
	facts, err := (&Observer{Client: fake.NewClientset(objs...)}).Observe(context.Background(), target)
	require.NoError(t, err)
	require.Len(t, facts.Pods, 1)
	require.NotNil(t, facts.Pods[0].Containers[0].Last)
	assert.Empty(t, facts.Pods[0].Containers[0].PreviousLog)
}

func TestObserveLogErrorLeavesPreviousLogEmpty(t *testing.T) {
	f := newRolloutFixture()
	objs := append(f.Objs, newPod("web-cur-a", f.RSCur, crashLooping(t0)))
	o := &Observer{Client: fake.NewClientset(objs...), Logs: func(context.Context, string, string, string) (string, error) {
		return "partial", fmt.Errorf("previous terminated container not found")
	}}
	facts, err := o.Observe(context.Background(), target)
	require.NoError(t, err)
	assert.Empty(t, facts.Pods[0].Containers[0].PreviousLog)
}

func TestObserveMissingDeploymentIsNotFoundWithoutError(t *testing.T) {
	facts, err := NewObserver(fake.NewClientset()).Observe(context.Background(), target)
	require.NoError(t, err)
	assert.False(t, facts.Found)
	assert.Empty(t, facts.Pods)
	assert.Equal(t, "Deployment/web", facts.Workload)
}

func TestObserveDeploymentWithoutReplicaSetIsFoundWithNoPods(t *testing.T) {
	facts, err := NewObserver(fake.NewClientset(newDeployment("1", 1))).Observe(context.Background(), target)
	require.NoError(t, err)
	assert.True(t, facts.Found)
	assert.Empty(t, facts.Pods)
}

func TestFactsContainersFiltersByName(t *testing.T) {
	f := Facts{Pods: []PodFacts{
		{Name: "a", Containers: []ContainerFacts{{Name: "app"}, {Name: "side"}}},
		{Name: "b", Containers: []ContainerFacts{{Name: "app"}}},
	}}
	assert.Len(t, f.Containers("app"), 2)
	assert.Len(t, f.Containers("side"), 1)
	assert.Len(t, f.Containers(""), 3, "empty name means every container")
	assert.Empty(t, f.Containers("nope"))
}

func TestPodSummaryShowsRestartsWaitingAndLastExit(t *testing.T) {
	p := PodFacts{Containers: []ContainerFacts{
		{Name: "app", RestartCount: 4, WaitingReason: "CrashLoopBackOff", Last: &Termination{Reason: "Error", ExitCode: 1}},
		{Name: "side", RestartCount: 0},
	}}
	s := p.Summary()
	for _, want := range []string{"app", "4", "CrashLoopBackOff", "Error", "1", "side"} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, PodFacts{Containers: []ContainerFacts{{Name: "side"}}}.Summary(), "waiting", "no waiting part without a waiting reason")
}

// A container that has ended and waits for its restart is Terminated now:
// its own log is the current one, and --previous would name the instance
// before it, which the kubelet has removed.
func TestObserveReadsTheCurrentLogOfATerminatedContainer(t *testing.T) {
	f := newRolloutFixture()
	ended := func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", RestartCount: 2,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}}}}
	}
	objs := append(f.Objs, newPod("web-cur-a", f.RSCur, ended))
	o := &Observer{Client: fake.NewClientset(objs...),
		Logs: func(context.Context, string, string, string) (string, error) {
			return "", fmt.Errorf("unable to retrieve")
		},
		CurrentLogs: func(context.Context, string, string, string) (string, error) { return "done, exiting with code 0", nil }}
	facts, err := o.Observe(context.Background(), target)
	require.NoError(t, err)
	assert.Equal(t, "done, exiting with code 0", facts.Pods[0].Containers[0].PreviousLog)
}
