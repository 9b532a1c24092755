//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
)

func missingSecretKeySpec() scenarioSpec {
	const dep, secret, env = "orders-api", "orders-db", "DATABASE_URL"
	pointAt := func(key string) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) {
			e := container(&d.Spec.Template.Spec, "app")
			setEnv(e, corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}})
		}
	}
	// realURL reads the value the platform team stored, as a learner would.
	realURL := func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) []byte {
		var v []byte
		editSecret(ctx, t, c, ns, secret, func(s *corev1.Secret) { v = s.Data["database_url"] })
		require.NotEmpty(t, v)
		return v
	}
	return scenarioSpec{
		id:      "missing-secret-key",
		correct: map[string]string{"cause": "missing-variable"},
		wrong:   map[string]string{"cause": "out-of-memory"},
		cases: []fixCase{
			{name: "ref-fixed", wantApproach: "reference-fixed", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				editDeployment(ctx, t, c, ns, dep, pointAt("database_url"))
			}},
			{name: "key-added", wantApproach: "secret-key-added", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				url := realURL(ctx, t, c, ns)
				editSecret(ctx, t, c, ns, secret, func(s *corev1.Secret) { s.Data["database-url"] = url })
				rolloutRestart(ctx, t, c, ns, dep)
			}},
			{name: "hard-coded", wantFail: "env-DATABASE_URL", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				url := string(realURL(ctx, t, c, ns))
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					setEnv(container(&d.Spec.Template.Spec, "app"), corev1.EnvVar{Name: env, Value: url})
				})
			}},
			{name: "placeholder", wantFail: "env-DATABASE_URL", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				editSecret(ctx, t, c, ns, secret, func(s *corev1.Secret) { s.Data["database-url"] = []byte("postgres://placeholder") })
				rolloutRestart(ctx, t, c, ns, dep)
			}},
			{name: "var-removed", wantFail: "env-DATABASE_URL", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) { removeEnv(container(&d.Spec.Template.Spec, "app"), env) })
			}},
			{name: "check-removed", wantFail: "app-unchanged", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) { container(&d.Spec.Template.Spec, "app").Args = []string{"--listen=:8080"} })
			}},
			{name: "scaled-to-zero", wantFail: "workload-kept", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				scale(ctx, t, c, ns, dep, 0)
			}},
			{name: "recreated", wantFail: "workload-kept", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				recreateDeployment(ctx, t, c, ns, dep, pointAt("database_url"))
			}},
			{name: "bare-pod", wantFail: "workload-kept", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				barePodFrom(ctx, t, c, ns, dep, func(p *corev1.PodSpec) {
					e := container(p, "app")
					setEnv(e, corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "database_url"}}})
				})
			}},
			{name: "made-required", wantFail: "env-DATABASE_URL",
				apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
					editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
						e := container(&d.Spec.Template.Spec, "app")
						for i := range e.Env {
							if e.Env[i].Name == env {
								no := false
								e.Env[i].ValueFrom.SecretKeyRef.Optional = &no
							}
						}
					})
				},
				// What the explanation says about a required reference: the
				// container never starts and the waiting message names the key.
				after: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
					obs := grader.NewObserver(c)
					f, err := obs.WaitForSignature(ctx, grader.Target{Namespace: ns, Kind: "Deployment", Name: dep, Container: "app"},
						[]string{"waitingReason=CreateContainerConfigError", "waitingMessage~database-url"}, 3*time.Minute, nil)
					require.NoError(t, err)
					for _, ct := range f.Containers("app") {
						if ct.WaitingReason == "CreateContainerConfigError" {
							assert.Zero(t, ct.RestartCount, "the container never started")
						}
					}
				}},
		},
	}
}
