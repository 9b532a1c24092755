package podstate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// The one reader picks the current pods of every workload kind the catalogue
// uses, from one listing, and the live judge's cheaper read agrees with it.
func TestReadPicksTheCurrentPodsOfEveryWorkloadKind(t *testing.T) {
	pod := func(name string, owner []metav1.OwnerReference, lbls map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name), OwnerReferences: owner, Labels: lbls}}
	}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: testNS, UID: "sts-uid"}, Status: appsv1.StatefulSetStatus{UpdateRevision: "db-2"}}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: testNS, UID: "job-uid"}}
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: testNS, UID: "cj-uid"}}
	oldRun := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "nightly-1", Namespace: testNS, UID: "run1", OwnerReferences: owner("CronJob", "nightly", "cj-uid"), CreationTimestamp: metav1.NewTime(t0)}}
	newRun := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "nightly-2", Namespace: testNS, UID: "run2", OwnerReferences: owner("CronJob", "nightly", "cj-uid"), CreationTimestamp: metav1.NewTime(t0.Add(time.Hour))}}
	f := newRolloutFixture()
	objs := append([]runtime.Object{}, f.Objs...)
	objs = append(objs, sts, job, cj, oldRun, newRun,
		newPod("web-cur-a", f.RSCur), newPod("web-old-a", f.RSOld), newPod("other-a", f.RSAlien),
		pod("db-0", owner("StatefulSet", "db", "sts-uid"), map[string]string{appsv1.ControllerRevisionHashLabelKey: "db-2"}),
		pod("db-1", owner("StatefulSet", "db", "sts-uid"), map[string]string{appsv1.ControllerRevisionHashLabelKey: "db-1"}),
		pod("migrate-x", owner("Job", "migrate", "job-uid"), nil),
		pod("nightly-1-x", owner("Job", "nightly-1", "run1"), nil),
		pod("nightly-2-x", owner("Job", "nightly-2", "run2"), nil),
		pod("solo", nil, nil),
	)
	c := fake.NewClientset(objs...)
	tests := []struct {
		kind, name string
		want       []string
	}{
		{KindDeployment, "web", []string{"web-cur-a"}},
		{KindStatefulSet, "db", []string{"db-0"}},
		{KindJob, "migrate", []string{"migrate-x"}},
		{KindCronJob, "nightly", []string{"nightly-2-x"}},
		{KindPod, "solo", []string{"solo"}},
		{KindDeployment, "absent", nil},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			tg := Target{Namespace: testNS, Kind: tt.kind, Name: tt.name, Container: "app"}
			s, err := Read(context.Background(), c, tg, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, podNamesOf(s.Current))
			assert.Equal(t, tt.want != nil, s.WorkloadFound())
			if tt.want == nil {
				return
			}
			live, _, found, err := workloadPods(context.Background(), c, tg)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, tt.want, podNamesOf(live), "the live judge's read agrees")
		})
	}
}

// Between a crash and the restart the current state holds the newest
// termination; facts and the live judge both read that one.
func TestLastTerminationPrefersTheCurrentState(t *testing.T) {
	older := &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}
	newer := &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}
	st := corev1.ContainerStatus{State: corev1.ContainerState{Terminated: newer}, LastTerminationState: corev1.ContainerState{Terminated: older}}
	assert.Same(t, newer, LastTermination(&st))
	st.State = corev1.ContainerState{}
	assert.Same(t, older, LastTermination(&st))
}
