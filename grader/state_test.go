package grader

import (
	"context"
	"testing"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

func TestLoadStateReadsTheNamespace(t *testing.T) {
	f := newRolloutFixture()
	objs := append(f.Objs,
		newPod("web-old-1", f.RSOld), newPod("web-cur-1", f.RSCur), newPod("bare", nil),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: testNS}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere", Namespace: "other-ns"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm1", Namespace: testNS}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j1", Namespace: testNS}},
		&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "cj1", Namespace: testNS}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}},
	)
	rec := map[string]string{"Deployment/web": string(depUID)}
	s, err := podstate.LoadState(context.Background(), fake.NewClientset(objs...), target, rec)
	require.NoError(t, err)

	require.NotNil(t, s.Deployment)
	assert.Equal(t, depUID, s.Deployment.UID)
	assert.Len(t, s.Deployments, 1)
	assert.ElementsMatch(t, []string{"web-old-1", "web-cur-1", "bare"}, podNamesOf(s.Pods), "every pod of the namespace")
	assert.Equal(t, []string{"web-cur-1"}, podNamesOf(s.Current), "pods of the current ReplicaSet")
	assert.Contains(t, s.Secrets, "s1")
	assert.NotContains(t, s.Secrets, "elsewhere", "only the target namespace")
	assert.Contains(t, s.ConfigMaps, "cm1")
	require.Len(t, s.Jobs, 1)
	require.Len(t, s.CronJobs, 1)
	require.Len(t, s.Nodes, 1)
	assert.Equal(t, rec, s.Recorded)
	require.NotNil(t, s.Container())
	assert.Equal(t, "app", s.Container().Name)
}

func TestLoadStateWithoutDeployment(t *testing.T) {
	s, err := podstate.LoadState(context.Background(), fake.NewClientset(), target, nil)
	require.NoError(t, err)
	assert.Nil(t, s.Deployment)
	assert.Empty(t, s.Current)
	assert.Nil(t, s.Container())
	assert.NotNil(t, s.Secrets)
	assert.NotNil(t, s.ConfigMaps)
}

func TestStateContainerAndEnv(t *testing.T) {
	d := newDeployment("1", 1)
	d.Spec.Template.Spec.Containers = []corev1.Container{
		{Name: "sidecar"},
		{Name: "app", Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}},
	}
	s := &podstate.State{Target: target, Deployment: d}
	c := s.Container()
	require.NotNil(t, c)
	assert.Equal(t, "app", c.Name, "the target container, not the first one")
	require.NotNil(t, podstate.Env(c, "B"))
	assert.Equal(t, "2", podstate.Env(c, "B").Value)
	assert.Nil(t, podstate.Env(c, "C"))
	assert.Nil(t, podstate.Env(nil, "A"))

	// Env returns a pointer into the container, so checks see the real entry.
	podstate.Env(c, "A").Value = "changed"
	assert.Equal(t, "changed", d.Spec.Template.Spec.Containers[1].Env[0].Value)

	s.Target.Container = "absent"
	assert.Nil(t, s.Container())
}

func TestStateSecretValue(t *testing.T) {
	s := &podstate.State{Secrets: map[string]*corev1.Secret{
		"db": {Data: map[string][]byte{"url": []byte("from-data"), "both": []byte("data-wins")}, StringData: map[string]string{"pending": "from-stringdata", "both": "stringdata"}},
	}}
	tests := []struct {
		name, secret, key string
		want              string
		wantOK            bool
	}{
		{name: "key in data", secret: "db", key: "url", want: "from-data", wantOK: true},
		{name: "key only in stringData", secret: "db", key: "pending", want: "from-stringdata", wantOK: true},
		{name: "data takes precedence", secret: "db", key: "both", want: "data-wins", wantOK: true},
		{name: "missing key", secret: "db", key: "nope"},
		{name: "missing secret", secret: "nope", key: "url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.SecretValue(tt.secret, tt.key)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSharedChecksOnLoadedState(t *testing.T) {
	const replicas = 2
	recorded := map[string]string{podstate.ObjectKeyDeployment(target.Name): string(depUID)}
	tests := []struct {
		name       string
		change     func(d *appsv1.Deployment, objs *[]runtime.Object) // d is the lab's Deployment before it is stored
		recorded   map[string]string
		wantKept   bool
		wantOwned  bool
		wantInMsgs []string
	}{
		{name: "intact workload passes both", wantKept: true, wantOwned: true},
		{name: "deployment deleted", change: func(d *appsv1.Deployment, objs *[]runtime.Object) { d.Name = "" }, wantKept: false, wantOwned: true, wantInMsgs: []string{"gone"}},
		{name: "deployment re-created under the same name", change: func(d *appsv1.Deployment, _ *[]runtime.Object) { d.UID = "recreated-uid" }, wantKept: false, wantOwned: true, wantInMsgs: []string{"re-created"}},
		{name: "no UID recorded: a different UID is not held against the learner", recorded: map[string]string{}, change: func(d *appsv1.Deployment, _ *[]runtime.Object) { d.UID = "recreated-uid" }, wantKept: true, wantOwned: true},
		{name: "scaled to zero", change: func(d *appsv1.Deployment, _ *[]runtime.Object) { d.Spec.Replicas = int32p(0) }, wantKept: false, wantOwned: true, wantInMsgs: []string{"0 replicas"}},
		{name: "scaled up", change: func(d *appsv1.Deployment, _ *[]runtime.Object) { d.Spec.Replicas = int32p(replicas + 1) }, wantKept: false, wantOwned: true},
		{name: "paused", change: func(d *appsv1.Deployment, _ *[]runtime.Object) { d.Spec.Paused = true }, wantKept: false, wantOwned: true, wantInMsgs: []string{"paused"}},
		{name: "bare pod next to the deployment", change: func(_ *appsv1.Deployment, objs *[]runtime.Object) {
			*objs = append(*objs, newPod("standin", nil))
		}, wantKept: true, wantOwned: false, wantInMsgs: []string{"standin"}},
		{name: "extra deployment next to the target", change: func(_ *appsv1.Deployment, objs *[]runtime.Object) {
			extra := newDeployment("1", 1)
			extra.Name, extra.UID = "web-fixed", "extra-uid"
			*objs = append(*objs, extra)
		}, wantKept: true, wantOwned: false, wantInMsgs: []string{"web-fixed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRolloutFixture()
			f.Dep.Spec.Replicas = int32p(replicas)
			objs := []runtime.Object{f.RSOld, f.RSCur, newPod("web-cur-a", f.RSCur, ready()), newPod("web-cur-b", f.RSCur, ready())}
			if tt.change != nil {
				tt.change(f.Dep, &objs)
			}
			if f.Dep.Name != "" {
				objs = append(objs, f.Dep)
			}
			rec := recorded
			if tt.recorded != nil {
				rec = tt.recorded
			}
			s, err := podstate.LoadState(context.Background(), fake.NewClientset(objs...), target, rec)
			require.NoError(t, err)

			kept := WorkloadKept(replicas)
			owned := OnlyOwnedPods()
			assert.Equal(t, "workload-kept", kept.Name)
			assert.Equal(t, "no-stand-ins", owned.Name)
			rk, ro := kept.Run(s), owned.Run(s)
			assert.Equal(t, tt.wantKept, rk.Passed, rk.Message)
			assert.Equal(t, tt.wantOwned, ro.Passed, ro.Message)
			assert.NotEmpty(t, rk.Message)
			assert.NotEmpty(t, ro.Message)
			for _, want := range tt.wantInMsgs {
				assert.Contains(t, rk.Message+" | "+ro.Message, want)
			}
		})
	}
}

func TestPassAndFailFormat(t *testing.T) {
	p := Pass("%d pods", 2)
	assert.True(t, p.Passed)
	assert.Equal(t, "2 pods", p.Message)
	f := Fail("pod %s", "x")
	assert.False(t, f.Passed)
	assert.Equal(t, "pod x", f.Message)
}
