package fixes_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// The fake clientset stores objects and nothing more. The helpers here add the
// little of an API server, controllers and garbage collector the static checks
// can see, so that a fix behaves on it as it would on the lab cluster.

var (
	replicaSets = appsv1.SchemeGroupVersion.WithResource("replicasets")
	podsGVR     = corev1.SchemeGroupVersion.WithResource("pods")
	deployments = appsv1.SchemeGroupVersion.WithResource("deployments")
)

// fakeCluster, runBrokenPods and labNode are the package's own offline
// cluster (fixes.DeployOffline), as the tests call them.
func fakeCluster(objs ...runtime.Object) *fake.Clientset { return fixes.FakeCluster(objs...) }

func runBrokenPods(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	require.NoError(t, fixes.RunBrokenPods(context.Background(), c, ns))
}

func labNode(vals scenarios.Values) *corev1.Node { return fixes.LabNode(vals) }

// acceptedByAPIServer fails the test where a real API server would refuse
// what a fix left (fixes.AcceptedByAPIServer).
func acceptedByAPIServer(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	assert.NoError(t, fixes.AcceptedByAPIServer(context.Background(), c, ns))
}
