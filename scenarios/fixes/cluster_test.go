package fixes_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/scenarios"
)

// The fake clientset stores objects and nothing more. The helpers here add the
// little of an API server, controllers and garbage collector the static checks
// can see, so that a fix behaves on it as it would on the lab cluster.

var (
	replicaSets = appsv1.SchemeGroupVersion.WithResource("replicasets")
	podsGVR     = corev1.SchemeGroupVersion.WithResource("pods")
	deployments = appsv1.SchemeGroupVersion.WithResource("deployments")
)

// fakeCluster is a fake API server with the garbage collector's part in
// deleting a Deployment (see fakekube).
func fakeCluster(objs ...runtime.Object) *fake.Clientset {
	return fakekube.WithDeploymentGC(fakekube.New(objs...))
}

// runBrokenPods does what the Deployment controller does right after the lab
// deployed: each Deployment gets a ReplicaSet and its pods, running the broken
// template. Later edits roll nothing out (the checks judge templates); only
// deletion changes the pods, through fakeCluster's garbage collection.
func runBrokenPods(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for i := range deps.Items {
		d := &deps.Items[i]
		ctrl := true
		rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-1", Namespace: ns, Labels: d.Spec.Template.Labels,
				Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &ctrl}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Template: d.Spec.Template},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		for n := int32(0); n < replicas; n++ {
			_, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, n), Namespace: ns, Labels: d.Spec.Template.Labels,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &ctrl}}},
				Spec:   d.Spec.Template.Spec,
				Status: corev1.PodStatus{Phase: corev1.PodRunning},
			}, metav1.CreateOptions{})
			require.NoError(t, err)
		}
		// The controller records the revision it rolled out.
		d.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
		_, err = c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
}

// labNode is a kind node as the lab's checks read it: its architecture, its
// memory, its runtime and the images it holds.
func labNode(vals scenarios.Values) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "crashlab-control-plane", Labels: map[string]string{"kubernetes.io/arch": vals.NodeArch}},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")},
			NodeInfo:    corev1.NodeSystemInfo{Architecture: vals.NodeArch, ContainerRuntimeVersion: "containerd://2.1.1"},
			Images: []corev1.ContainerImage{
				{Names: []string{"registry.k8s.io/pause:3.10"}},
				{Names: []string{vals.Image}},
				{Names: []string{vals.ForeignImage}},
			},
		},
	}
}

// acceptedByAPIServer catches what the fake clientset lets through but a real
// API server would reject, so a fix that only works on the fake fails here;
// e.g. a strategic merge patch naming a container that does not exist adds a
// container without an image.
func acceptedByAPIServer(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	var specs []corev1.PodSpec
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, d := range deps.Items {
		specs = append(specs, d.Spec.Template.Spec)
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, p := range pods.Items {
		specs = append(specs, p.Spec)
	}
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, j := range jobs.Items {
		specs = append(specs, j.Spec.Template.Spec)
		assert.NotEqual(t, corev1.RestartPolicyAlways, j.Spec.Template.Spec.RestartPolicy, "Job %s: a Job's pods may not restart Always", j.Name)
	}
	cjs, err := c.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, cj := range cjs.Items {
		specs = append(specs, cj.Spec.JobTemplate.Spec.Template.Spec)
		assert.NotEmpty(t, cj.Spec.Schedule, "CronJob %s needs a schedule", cj.Name)
	}
	for _, spec := range specs {
		for _, ct := range spec.Containers {
			assert.NotEmpty(t, ct.Image, "container %q has no image: a patch named a container that does not exist?", ct.Name)
			for _, p := range []*corev1.Probe{ct.LivenessProbe, ct.ReadinessProbe, ct.StartupProbe} {
				if p != nil {
					assert.Equal(t, 1, count(p.HTTPGet != nil, p.TCPSocket != nil, p.Exec != nil, p.GRPC != nil), "container %q: a probe has exactly one handler", ct.Name)
				}
			}
			for _, e := range ct.Env {
				if e.ValueFrom == nil {
					continue
				}
				assert.Empty(t, e.Value, "env %s: value and valueFrom exclude each other", e.Name)
				vf := e.ValueFrom
				assert.Equal(t, 1, count(vf.SecretKeyRef != nil, vf.ConfigMapKeyRef != nil, vf.FieldRef != nil, vf.ResourceFieldRef != nil), "env %s: valueFrom has exactly one source", e.Name)
			}
		}
	}
}

func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}
