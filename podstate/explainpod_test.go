package podstate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func explainPodOf(status corev1.PodStatus, events ...corev1.Event) PodReport {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1"},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app", Image: "img:1",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}}}},
		Status: status}
	if status.Conditions != nil && status.Conditions[0].Type == corev1.PodScheduled {
		pod.Spec.NodeName = ""
	}
	objs := []runtime.Object{pod}
	for i := range events {
		events[i].InvolvedObject = corev1.ObjectReference{Kind: "Pod", Name: "p", UID: "u1"}
		events[i].Namespace = "ns"
		events[i].Name = "e" + string(rune('a'+i))
		objs = append(objs, &events[i])
	}
	c := fake.NewSimpleClientset(objs...)
	s, _, err := ReadPod(context.Background(), c, "ns", "p")
	if err != nil {
		panic(err)
	}
	o := &Observer{Client: c, Logs: func(context.Context, string, string, string) (string, error) {
		return "starting\nfatal: DATABASE_URL is not set", nil
	}}
	return ExplainPod(o.FactsOf(context.Background(), s), &s.Pods[0])
}

func crashed(reason string, code int32, message string) corev1.PodStatus {
	now := metav1.NewTime(time.Now())
	started := metav1.NewTime(now.Add(-time.Second))
	if reason == "StartError" {
		started = metav1.NewTime(time.Unix(0, 0))
	}
	return corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container=app pod=p_ns(u1)"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, Message: message, StartedAt: started, FinishedAt: now}}}}}
}

func waitingStatus(reason, message string) corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}}}
}

// ranThenWaiting is a container that ran and ended with exit, and now waits
// with reason.
func ranThenWaiting(reason, message string, exit int32) corev1.PodStatus {
	st := waitingStatus(reason, message)
	st.Phase = corev1.PodRunning
	st.ContainerStatuses[0].RestartCount = 1
	st.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: exit}}
	return st
}

func TestExplainPodNamesTheCauseNotTheStatus(t *testing.T) {
	tests := []struct {
		name        string
		status      corev1.PodStatus
		events      []corev1.Event
		wantFamily  string
		wantCause   string
		wantHealthy bool
	}{
		{"oom", crashed("OOMKilled", 137, ""), nil, FamilyCrashLoop, "more memory than its memory limit (64Mi)", false},
		{"app error quotes the log", crashed("Error", 1, ""), nil, FamilyCrashLoop, `exit 1): its last log line is "fatal: DATABASE_URL is not set"`, false},
		{"segfault", crashed("Error", 139, ""), nil, FamilyCrashLoop, "segmentation fault", false},
		{"exit 0", crashed("Completed", 0, ""), nil, FamilyCrashLoop, "exits successfully (exit 0)", false},
		{"probe kill", crashed("Error", 137, ""), []corev1.Event{{Reason: "Killing", Message: "Container app failed liveness probe, will be restarted"}}, FamilyCrashLoop, "its liveness probe fails", false},
		{"sigkill without oom", crashed("Error", 137, ""), nil, FamilyCrashLoop, "not by the OOM killer", false},
		{"wrong architecture", crashed("StartError", 128, "exec: \"/workload\": exec format error"), nil, FamilyCrashLoop, "another CPU architecture", false},
		{"not executable", crashed("StartError", 128, "exec: \"/app/server\": permission denied"), nil, FamilyCrashLoop, "may not be executed", false},
		{"missing binary", crashed("StartError", 128, "exec: \"/bin/app\": stat /bin/app: no such file or directory"), nil, FamilyCrashLoop, "does not exist in the image", false},
		{"image pull", waitingStatus("ImagePullBackOff", "Back-off pulling image"), nil, FamilyImagePull, "cannot pull image img:1", false},
		{"never pull", waitingStatus("ErrImageNeverPull", "Container image \"img:1\" is not present with pull policy of Never"), nil, FamilyImageNeverPull, "imagePullPolicy is Never", false},
		{"runtime hiccup after runs", ranThenWaiting("RunContainerError", "runc create failed: unable to start container process: error during container init: error setting cgroup config for procHooks process: unable to freeze", 3), nil, FamilyRunError, "last run ended with exit 3", false},
		{"config", waitingStatus("CreateContainerConfigError", `configmap "cfg" not found`), nil, FamilyConfigError, `configmap "cfg" not found`, false},
		{"runtime", waitingStatus("RunContainerError", `failed to create containerd task: ... error during container init: error mounting "x": not a directory`), nil, FamilyRunError, `error mounting "x": not a directory`, false},
		{"pending", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available: 1 Insufficient memory."}}},
			nil, FamilyPending, "Insufficient memory", false},
		{"healthy", corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}, nil, FamilyHealthy, "healthy", true},
		{"rejected by the kubelet", corev1.PodStatus{Phase: corev1.PodFailed, Reason: "OutOfmemory", Message: "Pod was rejected: Node didn't have enough resource: memory"}, nil, FamilyFailed, "refused to run the pod (OutOfmemory)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := explainPodOf(tt.status, tt.events...)
			assert.Equal(t, tt.wantFamily, r.Family)
			assert.Contains(t, r.Cause, tt.wantCause)
			assert.Equal(t, tt.wantHealthy, r.Healthy)
			if !tt.wantHealthy {
				assert.NotEmpty(t, r.Evidence, "every verdict quotes what it read")
			}
			require.NotEmpty(t, r.Next, "every report says what to run next")
			assert.True(t, strings.HasPrefix(r.Next[len(r.Next)-1], "kubectl "), "and ends with the command that shows the evidence: %q", r.Next)
		})
	}
}

func TestExplainPodBackOffFromTheKubeletsMessage(t *testing.T) {
	r := explainPodOf(crashed("Error", 1, ""))
	assert.Equal(t, "40s", r.BackOff)
	require.NotNil(t, r.LastExitCode)
	assert.Equal(t, int32(1), *r.LastExitCode)
}

// ReadPod only reads: the fake clientset records every action, and none
// may be a write; what is forbidden is listed, not fatal.
func TestReadPodOnlyReadsAndSurvivesForbiddenParts(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: "n1",
		Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}}}}}
	c := fake.NewSimpleClientset(pod)
	c.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, forbidden("secrets")
	})
	c.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, forbidden("nodes")
	})
	_, unreadable, err := ReadPod(context.Background(), c, "ns", "p")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"node n1 (forbidden)", "secret s (forbidden)"}, unreadable)
	for _, a := range c.Actions() {
		assert.Contains(t, []string{"get", "list"}, a.GetVerb(), "explain must never write: %v", a)
	}
	_, _, err = ReadPod(context.Background(), c, "ns", "missing")
	assert.Error(t, err)
}

func forbidden(resource string) error {
	return apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "x", nil)
}
