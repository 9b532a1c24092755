package dependencywait

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ns = "crashlab-" + id

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

func TestProgramsOfAContainer(t *testing.T) {
	tests := []struct {
		name string
		c    corev1.Container
		want [][]string
	}{
		{"image entrypoint", corev1.Container{Args: []string{"--dial=x:1"}}, [][]string{{"/workload", "--dial=x:1"}}},
		{"command", corev1.Container{Command: []string{"/workload", "--dial", "x:1"}}, [][]string{{"/workload", "--dial", "x:1"}}},
		{"shell script with exec and quotes", corev1.Container{Command: []string{"/bin/sh", "-c", "echo hi; exec /workload --log 'a b' && true"}},
			[][]string{{"/workload", "--log", "a b"}}},
		{"init in front of a shell", corev1.Container{Command: []string{"/sbin/tini", "--", "sh", "-c", "/workload --x\n/workload --y # done"}},
			[][]string{{"/workload", "--x"}, {"/workload", "--y"}}},
		{"another program", corev1.Container{Command: []string{"/bin/sleep", "60"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, programs(tt.c)) })
	}
}

func TestFlags(t *testing.T) {
	args := []string{"--listen=:8080", "-dial", "db:1", "--dial-retries=5", "--dial-interval", "2s"}
	v, ok := flagValue(args, "dial")
	assert.True(t, ok)
	assert.Equal(t, "db:1", v)
	assert.Equal(t, []string{"--listen=:8080", "-dial", "db:1"}, withoutFlags(args, retriesFlag, intervalFlag))
	r, i, total := patience(args)
	assert.Equal(t, 5, r)
	assert.Equal(t, "2s", i.String())
	assert.Equal(t, "10s", total.String())
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	db := b.Deployment(dbName).DeepCopy()
	require.NotNil(t, db)
	db.Namespace = ns
	waiter := func(name string, args ...string) corev1.Container {
		return corev1.Container{Name: name, Image: values.Image, Args: args}
	}
	always := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name         string
		init         []corev1.Container
		app          func(*corev1.Container)
		db           func(*appsv1.Deployment)
		wantFirst    string
		wantApproach string
	}{
		{name: "nothing changed", wantFirst: "waits-for-db"},
		{name: "init container on the Service's full name", init: []corev1.Container{waiter("wait", "--dial", "orders-db."+ns+".svc.cluster.local:5432", "--dial-retries", "120", "--dial-interval=500ms", "--exit-code", "0")},
			wantApproach: "init-container"},
		{name: "init container on another port", init: []corev1.Container{waiter("wait", "--dial=orders-db:80", "--dial-retries=90", "--exit-code=0")}, wantFirst: "waits-for-db"},
		{name: "init container that never exits", init: []corev1.Container{waiter("wait", "--dial=orders-db:5432", "--dial-retries=90")}, wantFirst: "waits-for-db"},
		{name: "a sidecar does not hold the app back", init: []corev1.Container{func() corev1.Container {
			c := waiter("wait", "--dial=orders-db:5432", "--dial-retries=90", "--exit-code=0")
			c.RestartPolicy = &always
			return c
		}()}, wantFirst: "waits-for-db"},
		{name: "app retries too briefly", app: func(c *corev1.Container) { c.Args = append(c.Args, "--dial-retries=10") }, wantFirst: "waits-for-db"},
		{name: "app retries with a longer interval", app: func(c *corev1.Container) { c.Args = append(c.Args, "--dial-retries=20", "--dial-interval=5s") }, wantApproach: "app-retries"},
		{name: "app retries and another flag", app: func(c *corev1.Container) { c.Args = append(c.Args, "--dial-retries=90", "--start-delay=1s") }, wantFirst: "app-unchanged"},
		{name: "app dials the full name", app: func(c *corev1.Container) {
			c.Args = []string{"--listen=:8080", "--dial=orders-db." + ns + ":5432", "--dial-retries=90"}
		}, wantFirst: "app-unchanged"},
		{name: "database starts faster", init: []corev1.Container{waiter("wait", "--dial=orders-db:5432", "--dial-retries=90", "--exit-code=0")},
			db: func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Args[1] = "--start-delay=1s" }, wantFirst: "db-unchanged"},
		{name: "database gone", app: func(c *corev1.Container) { c.Args = append(c.Args, "--dial-retries=90") }, db: func(*appsv1.Deployment) {}, wantFirst: "db-unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := db.DeepCopy()
			objs := []runtime.Object{d}
			if tt.db != nil {
				tt.db(d)
				if tt.name == "database gone" {
					objs = nil
				}
			}
			first, approach, msgs := judge(t, s, b, tt.app, func(d *appsv1.Deployment) { d.Spec.Template.Spec.InitContainers = tt.init }, objs)
			assert.Equal(t, tt.wantFirst, first, "%v", msgs)
			if tt.wantFirst == "" {
				assert.Equal(t, tt.wantApproach, approach, "%v", msgs)
			}
		})
	}
}

// judge is scenariotest.Judge with orders-db recorded as the lab's too, as
// start records every object it creates.
func judge(t *testing.T, s scenarios.Scenario, b scenarios.Baseline, app func(*corev1.Container), dep func(*appsv1.Deployment), objs []runtime.Object) (first, approach string, msgs []string) {
	t.Helper()
	d := b.Deployment(s.Workload.Name).DeepCopy()
	d.Namespace, d.UID = ns, "dep-uid"
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == s.Workload.Container && app != nil {
			app(c)
		}
	}
	dep(d)
	recorded := map[string]string{podstate.ObjectKeyDeployment(s.Workload.Name): "dep-uid"}
	for _, o := range objs {
		if db, ok := o.(*appsv1.Deployment); ok {
			db.UID = "db-uid"
			recorded[podstate.ObjectKeyDeployment(db.Name)] = "db-uid"
		}
	}
	st, err := podstate.LoadState(context.Background(), fake.NewClientset(append([]runtime.Object{d}, objs...)...), s.Target(ns), recorded)
	require.NoError(t, err)
	for _, ch := range s.FixChecks(b) {
		r := ch.Run(st)
		msgs = append(msgs, ch.Name+": "+r.Message)
		if !r.Passed && first == "" {
			first = ch.Name
		}
		if r.Approach != "" {
			approach = r.Approach
		}
	}
	return first, approach, msgs
}

func TestServiceChange(t *testing.T) {
	b, err := Scenario().Render(values)
	require.NoError(t, err)
	var base *corev1.Service
	for _, o := range b.Objects {
		if svc, ok := o.(*corev1.Service); ok {
			base = svc
		}
	}
	require.NotNil(t, base)
	assert.Empty(t, serviceChange(base, base.DeepCopy()))
	notReady := base.DeepCopy()
	notReady.Spec.PublishNotReadyAddresses = true
	assert.Contains(t, serviceChange(base, notReady), "not-ready")
	other := base.DeepCopy()
	other.Spec.Selector = map[string]string{"app": "fulfillment-api"}
	assert.Contains(t, serviceChange(base, other), "selects other pods")
	port := base.DeepCopy()
	port.Spec.Ports[0].Port = 80
	assert.Contains(t, serviceChange(base, port), "ports")
}
