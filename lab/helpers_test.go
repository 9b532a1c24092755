package lab_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/fakekube"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
)

// The scenario most tests run: a Deployment of two pods whose env refers to
// a Secret key that does not exist.
const (
	scenarioID = "orders-api-down-after-config"
	workload   = "orders-api"
	container  = "app"
	nodeArch   = "amd64"
)

// fakeImages is the ImageEnsurer of the tests: it remembers what it was asked
// for and fails when told to.
type fakeImages struct {
	mu    sync.Mutex
	asked [][]string
	err   error
}

func (f *fakeImages) EnsureImages(_ context.Context, imgs []images.Image) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var refs []string
	for _, im := range imgs {
		refs = append(refs, im.Ref)
	}
	f.asked = append(f.asked, refs)
	return f.err
}

// fixture is one fake cluster with one node, a progress directory, and what the
// services built on it warned about.
type fixture struct {
	t        *testing.T
	cs       *fake.Clientset
	images   *fakeImages
	dir      string
	mu       sync.Mutex
	warnings []string
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	objs = append(objs, node(nodeArch))
	return &fixture{t: t, cs: fakeCluster(objs...), images: &fakeImages{}, dir: t.TempDir()}
}

// service is a lab service for learner on the fixture's cluster.
func (f *fixture) service(learner string, opts ...lab.Option) *lab.Service {
	f.t.Helper()
	all := append([]lab.Option{
		lab.WithLearner(learner),
		// A context other than the lab's own: scenario preflights read this
		// machine's kernel there, which would make tests depend on the host.
		lab.WithContextName("workshop"),
		lab.WithImageEnsurer(f.images),
		lab.WithProgressDir(f.dir),
		lab.WithLogReader(func(context.Context, string, string, string) (string, error) {
			return "config: DATABASE_URL is not set\n", nil
		}),
		lab.WithWarnings(func(m string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.warnings = append(f.warnings, m)
		}),
	}, opts...)
	svc, err := lab.New(f.cs, all...)
	require.NoError(f.t, err)
	return svc
}

// entry is the learner's saved progress of a scenario.
func (f *fixture) entry(learner, id string) progress.Entry {
	f.t.Helper()
	st, err := progress.Open(f.dir, "workshop", learner)
	require.NoError(f.t, err)
	return st.Entries[id]
}

func node(arch string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-" + arch},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: arch}},
	}
}

// namespaced are the kinds the lab's namespaces hold, which the namespace
// controller deletes with the namespace.
var namespaced = []struct {
	gvr  schema.GroupVersionResource
	kind string
}{
	{corev1.SchemeGroupVersion.WithResource("pods"), "Pod"},
	{corev1.SchemeGroupVersion.WithResource("secrets"), "Secret"},
	{corev1.SchemeGroupVersion.WithResource("configmaps"), "ConfigMap"},
	{corev1.SchemeGroupVersion.WithResource("services"), "Service"},
	{corev1.SchemeGroupVersion.WithResource("events"), "Event"},
	{appsv1.SchemeGroupVersion.WithResource("deployments"), "Deployment"},
	{appsv1.SchemeGroupVersion.WithResource("replicasets"), "ReplicaSet"},
	{batchv1.SchemeGroupVersion.WithResource("jobs"), "Job"},
}

// fakeCluster adds to the fake clientset the little of an API server the
// lab's verbs rely on (fresh UIDs, a namespace's objects deleted with it).
func fakeCluster(objs ...runtime.Object) *fake.Clientset { return fakekube.New(objs...) }

// crashLoop does what the Deployment controller and the kubelet do after
// the lab deployed: the Deployment gets a ReplicaSet of revision 1, and its
// pods run the broken template and crash-loop with the scenario's symptom
// (exit 1, reason Error).
func crashLoop(t *testing.T, c *fake.Clientset, ns string) {
	t.Helper()
	ctx := context.Background()
	d, err := c.AppsV1().Deployments(ns).Get(ctx, workload, metav1.GetOptions{})
	require.NoError(t, err)
	ctrl := true
	rs, err := c.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-1", Namespace: ns, Labels: d.Spec.Template.Labels,
			Annotations:       map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &ctrl}},
			CreationTimestamp: metav1.Now()},
		Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Template: d.Spec.Template},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	finished := time.Now().Add(-5 * time.Second)
	for i := int32(0); i < *d.Spec.Replicas; i++ {
		_, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, i), Namespace: ns, Labels: d.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &ctrl}}},
			Spec: withNode(d.Spec.Template.Spec, node(nodeArch).Name),
			Status: corev1.PodStatus{
				Phase:      corev1.PodRunning,
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
				ContainerStatuses: []corev1.ContainerStatus{{
					Name: container, Image: d.Spec.Template.Spec.Containers[0].Image, RestartCount: 3,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 10s restarting failed container=app"}},
					LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
						Reason: "Error", ExitCode: 1, StartedAt: metav1.NewTime(finished.Add(-time.Second)), FinishedAt: metav1.NewTime(finished)}},
				}},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	d.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
	_, err = c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func withNode(spec corev1.PodSpec, name string) corev1.PodSpec {
	spec.NodeName = name
	return spec
}

// patchDeployment applies a strategic merge patch, as `kubectl patch` does.
func patchDeployment(t *testing.T, c *fake.Clientset, ns, patch string) {
	t.Helper()
	_, err := c.AppsV1().Deployments(ns).Patch(context.Background(), workload, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

// envPatch points DATABASE_URL at key of Secret orders-db, or sets it to a
// literal value when value is not empty.
func envPatch(key, value string) string {
	if value != "" {
		return `{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"DATABASE_URL","value":"` + value + `","valueFrom":null}]}]}}}}`
	}
	return `{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"DATABASE_URL","valueFrom":{"secretKeyRef":{"name":"orders-db","key":"` + key + `"}}}]}]}}}}`
}

func failedChecks(v grader.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return out
}
