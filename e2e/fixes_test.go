//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Learner actions, done through the API as kubectl edit/patch/scale would.

func editDeployment(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, fn func(*appsv1.Deployment)) {
	t.Helper()
	require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(d)
		_, err = c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	}))
}

func editSecret(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, fn func(*corev1.Secret)) {
	t.Helper()
	require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := c.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(s)
		_, err = c.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{})
		return err
	}))
}

// rolloutRestart is `kubectl rollout restart`.
func rolloutRestart(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string) {
	t.Helper()
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{"kubectl.kubernetes.io/restartedAt": time.Now().Format(time.RFC3339Nano)}}}}})
	_, err := c.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	require.NoError(t, err)
}

func scale(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, n int32) {
	editDeployment(ctx, t, c, ns, name, func(d *appsv1.Deployment) { d.Spec.Replicas = &n })
}

// recreateDeployment deletes the Deployment and creates it again after fn,
// as `kubectl delete` + `kubectl apply` of an edited copy would.
func recreateDeployment(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, fn func(*appsv1.Deployment)) {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	bg := metav1.DeletePropagationBackground
	require.NoError(t, c.AppsV1().Deployments(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg}))
	fresh := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: ns, Labels: d.Labels}, Spec: d.Spec}
	fn(fresh)
	require.Eventually(t, func() bool {
		_, err := c.AppsV1().Deployments(ns).Create(ctx, fresh, metav1.CreateOptions{})
		return err == nil
	}, 30*time.Second, 500*time.Millisecond)
}

// barePodFrom replaces the Deployment with a bare Pod running its fixed template.
func barePodFrom(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, fn func(*corev1.PodSpec)) {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, c.AppsV1().Deployments(ns).Delete(ctx, name, metav1.DeleteOptions{}))
	spec := *d.Spec.Template.Spec.DeepCopy()
	fn(&spec)
	_, err = c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-manual", Labels: d.Spec.Template.Labels}, Spec: spec}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func container(spec *corev1.PodSpec, name string) *corev1.Container {
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return nil
}

func setEnv(c *corev1.Container, e corev1.EnvVar) {
	for i := range c.Env {
		if c.Env[i].Name == e.Name {
			c.Env[i] = e
			return
		}
	}
	c.Env = append(c.Env, e)
}

func removeEnv(c *corev1.Container, name string) {
	var out []corev1.EnvVar
	for _, e := range c.Env {
		if e.Name != name {
			out = append(out, e)
		}
	}
	c.Env = out
}
