package fixes_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

const testNS = "crashlab-replay"

var testValues = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

// ordersAPI is a Deployment with two containers and two env entries, so the
// tests see which of them a patch touches.
func ordersAPI() *appsv1.Deployment {
	labels := map[string]string{"app": "orders-api", "crashlab.dev/scenario": "demo"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-api", Namespace: testNS, UID: "dep-uid", Labels: labels,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptrTo[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "orders-api"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "app", Image: "crashlab.local/workload:abc-amd64", Command: []string{"/app/server"}, Args: []string{"--listen=:8080"},
						Env: []corev1.EnvVar{
							{Name: "LOG_LEVEL", Value: "info"},
							{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
								LocalObjectReference: corev1.LocalObjectReference{Name: "orders-db"}, Key: "database-url", Optional: ptrTo(true)}}},
						},
						LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
					},
					{Name: "sidecar", Image: "sidecar:1"},
				}},
			},
		},
	}
}

func ordersDB() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: testNS},
		Data:       map[string][]byte{"database_url": []byte("postgres://orders:pw@db:5432/orders")},
	}
}

func steps(t *testing.T, yamlSteps string) fixes.Fix {
	t.Helper()
	fx, err := fixes.Parse("under-test", []byte("expect: pass\napproach: a\nwhy: test\nsteps:\n"+yamlSteps))
	require.NoError(t, err)
	return fx
}

func app(d *appsv1.Deployment) *corev1.Container { return &d.Spec.Template.Spec.Containers[0] }

// TestApplySteps runs each kind of step on a fake cluster holding ordersAPI and
// ordersDB, and checks the objects afterwards as kubectl would leave them.
func TestApplySteps(t *testing.T) {
	tests := []struct {
		name  string
		steps string
		check func(t *testing.T, c *fake.Clientset)
	}{
		{
			name: "strategic patch merges containers and env by name",
			steps: `
  - patch:
      kind: Deployment
      name: orders-api
      patch: {spec: {template: {spec: {containers: [{name: app, env: [{name: DATABASE_URL, valueFrom: {secretKeyRef: {key: database_url}}}]}]}}}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				d := deployment(t, c)
				require.Len(t, d.Spec.Template.Spec.Containers, 2, "the sidecar is kept")
				env := app(d).Env
				require.Len(t, env, 2, "LOG_LEVEL is kept")
				assert.Equal(t, "info", env[0].Value)
				ref := env[1].ValueFrom.SecretKeyRef
				assert.Equal(t, "database_url", ref.Key)
				assert.Equal(t, "orders-db", ref.Name, "the rest of the reference is kept")
				assert.Equal(t, ptrTo(true), ref.Optional)
			},
		},
		{
			name: "null and $patch: delete remove fields and list entries",
			steps: `
  - patch:
      kind: Deployment
      name: orders-api
      patch: {spec: {template: {spec: {containers: [{name: app, command: null, livenessProbe: {httpGet: null, exec: {command: [/workload, --version]}}, env: [{name: LOG_LEVEL, $patch: delete}]}]}}}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				ct := app(deployment(t, c))
				assert.Nil(t, ct.Command)
				assert.Equal(t, []string{"--listen=:8080"}, ct.Args)
				require.Len(t, ct.Env, 1)
				assert.Equal(t, "DATABASE_URL", ct.Env[0].Name)
				assert.Nil(t, ct.LivenessProbe.HTTPGet)
				assert.Equal(t, []string{"/workload", "--version"}, ct.LivenessProbe.Exec.Command)
			},
		},
		{
			name: "merge patch and templates fill a Secret from the live one",
			steps: `
  - patch:
      kind: Secret
      name: orders-db
      type: merge
      patch: {stringData: {database-url: '{{ secretValue "orders-db" "database_url" }}'}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				s, err := c.CoreV1().Secrets(testNS).Get(context.Background(), "orders-db", metav1.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, "postgres://orders:pw@db:5432/orders", s.StringData["database-url"], "a value with colons stays one string")
			},
		},
		{
			name: "JSON patch appends a duplicate env entry",
			steps: `
  - patch:
      kind: Deployment
      name: orders-api
      type: json
      patch:
        - {op: test, path: /spec/template/spec/containers/0/name, value: app}
        - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: DATABASE_URL, value: "postgres://placeholder"}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				env := app(deployment(t, c)).Env
				require.Len(t, env, 3)
				assert.Equal(t, corev1.EnvVar{Name: "DATABASE_URL", Value: "postgres://placeholder"}, env[2])
				assert.NotNil(t, env[1].ValueFrom, "the first DATABASE_URL is kept")
			},
		},
		{
			name:  "template values fill the image",
			steps: `  - patch: {kind: Deployment, name: orders-api, patch: {spec: {template: {spec: {containers: [{name: app, image: "{{ .ForeignImage }}"}]}}}}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assert.Equal(t, testValues.ForeignImage, app(deployment(t, c)).Image)
			},
		},
		{
			name:  "nodeImage finds an image the node holds",
			steps: `  - patch: {kind: Deployment, name: orders-api, patch: {spec: {template: {spec: {containers: [{name: app, image: '{{ nodeImage "/pause:" }}'}]}}}}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assert.Equal(t, "registry.k8s.io/pause:3.10", app(deployment(t, c)).Image)
			},
		},
		{
			name:  "rolloutRestart annotates the pod template",
			steps: `  - rolloutRestart: {kind: Deployment, name: orders-api}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assert.NotEmpty(t, deployment(t, c).Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"])
			},
		},
		{
			name:  "scale sets the replicas, zero included",
			steps: `  - scale: {kind: Deployment, name: orders-api, replicas: 0}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assert.Equal(t, ptrTo[int32](0), deployment(t, c).Spec.Replicas)
			},
		},
		{
			name:  "delete passes the propagation policy",
			steps: `  - delete: {kind: Deployment, name: orders-api, propagation: Orphan}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assertGone(t, c)
				var policy *metav1.DeletionPropagation
				for _, a := range c.Actions() {
					if d, ok := a.(k8stesting.DeleteActionImpl); ok && d.Name == "orders-api" {
						policy = d.DeleteOptions.PropagationPolicy
					}
				}
				assert.Equal(t, ptrTo(metav1.DeletePropagationOrphan), policy)
			},
		},
		{
			name: "create makes the object in the lab namespace",
			steps: `
  - create:
      manifest:
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: orders-config}
        data: {database_url: '{{ secretValue "orders-db" "database_url" }}'}`,
			check: func(t *testing.T, c *fake.Clientset) {
				cm, err := c.CoreV1().ConfigMaps(testNS).Get(context.Background(), "orders-config", metav1.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, "postgres://orders:pw@db:5432/orders", cm.Data["database_url"])
			},
		},
		{
			name: "recreate makes an edited copy with a new UID",
			steps: `
  - recreate:
      kind: Deployment
      name: orders-api
      patch: {spec: {template: {spec: {containers: [{name: app, command: ["/workload"]}]}}}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				d := deployment(t, c)
				assert.NotEqual(t, "dep-uid", string(d.UID))
				assert.NotEmpty(t, d.UID)
				assert.Equal(t, []string{"/workload"}, app(d).Command)
				assert.Equal(t, "demo", d.Labels["crashlab.dev/scenario"], "labels are kept")
				assert.Len(t, d.Spec.Template.Spec.Containers, 2)
			},
		},
		{
			name: "barePod with replace swaps the Deployment for an unowned Pod",
			steps: `
  - barePod:
      from: Deployment/orders-api
      name: orders-api-manual
      replace: true
      patch: {spec: {containers: [{name: app, command: null}]}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				assertGone(t, c)
				p, err := c.CoreV1().Pods(testNS).Get(context.Background(), "orders-api-manual", metav1.GetOptions{})
				require.NoError(t, err)
				assert.Empty(t, p.OwnerReferences)
				assert.Equal(t, "orders-api", p.Labels["app"], "the template's labels")
				assert.Nil(t, p.Spec.Containers[0].Command)
				assert.Len(t, p.Spec.Containers, 2)
			},
		},
		{
			name: "fromTemplate makes a Job of the pod template",
			steps: `
  - fromTemplate:
      from: Deployment/orders-api
      kind: Job
      name: migrate
      podLabels: {task: migrate}
      patch: {spec: {completions: 0}}`,
			check: func(t *testing.T, c *fake.Clientset) {
				j, err := c.BatchV1().Jobs(testNS).Get(context.Background(), "migrate", metav1.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, corev1.RestartPolicyOnFailure, j.Spec.Template.Spec.RestartPolicy, "a Job refuses Always")
				assert.Equal(t, map[string]string{"task": "migrate"}, j.Spec.Template.Labels)
				assert.Equal(t, ptrTo[int32](0), j.Spec.Completions)
				assert.Equal(t, []string{"/app/server"}, j.Spec.Template.Spec.Containers[0].Command)
				_, err = c.AppsV1().Deployments(testNS).Get(context.Background(), "orders-api", metav1.GetOptions{})
				assert.NoError(t, err, "the Deployment stays unless a step deletes it")
			},
		},
		{
			name: "fromTemplate makes a CronJob, and a Job from it as kubectl create job --from does",
			steps: `
  - fromTemplate: {from: Deployment/orders-api, kind: CronJob, name: nightly, schedule: "0 3 * * *"}
  - fromTemplate: {from: CronJob/nightly, kind: Job, name: nightly-now}`,
			check: func(t *testing.T, c *fake.Clientset) {
				ctx := context.Background()
				cj, err := c.BatchV1().CronJobs(testNS).Get(ctx, "nightly", metav1.GetOptions{})
				require.NoError(t, err)
				assert.Equal(t, "0 3 * * *", cj.Spec.Schedule)
				j, err := c.BatchV1().Jobs(testNS).Get(ctx, "nightly-now", metav1.GetOptions{})
				require.NoError(t, err)
				require.Len(t, j.OwnerReferences, 1)
				assert.Equal(t, cj.UID, j.OwnerReferences[0].UID)
				assert.Equal(t, "manual", j.Annotations["cronjob.kubernetes.io/instantiate"])
				assert.Equal(t, cj.Spec.JobTemplate.Spec.Template.Spec, j.Spec.Template.Spec)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeCluster(ordersAPI(), ordersDB(), labNode(testValues))
			require.NoError(t, fixes.Apply(context.Background(), c, testNS, testValues, steps(t, tt.steps)))
			tt.check(t, c)
		})
	}
}

func TestApplyNamesTheStepThatFailed(t *testing.T) {
	tests := []struct {
		name    string
		steps   string
		wantErr string
	}{
		{name: "object that does not exist", steps: "  - rolloutRestart: {kind: Deployment, name: orders-api}\n  - scale: {kind: Deployment, name: nope, replicas: 1}", wantErr: "step 2 (scale)"},
		{name: "key the Secret lacks", steps: `  - patch: {kind: Secret, name: orders-db, type: merge, patch: {stringData: {a: '{{ secretValue "orders-db" "nope" }}'}}}`, wantErr: `Secret orders-db has no key "nope"`},
		{name: "image the node lacks", steps: `  - patch: {kind: Deployment, name: orders-api, patch: {spec: {template: {spec: {containers: [{name: app, image: '{{ nodeImage "/nginx:" }}'}]}}}}}`, wantErr: `no image on the nodes contains "/nginx:"`},
		{name: "JSON patch test that does not hold", steps: "  - patch: {kind: Deployment, name: orders-api, type: json, patch: [{op: test, path: /spec/template/spec/containers/0/name, value: web}]}", wantErr: "step 1 (patch)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeCluster(ordersAPI(), ordersDB(), labNode(testValues))
			err := fixes.Apply(context.Background(), c, testNS, testValues, steps(t, tt.steps))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "fix under-test")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestAfterSignatureRendersAgainstTheCluster(t *testing.T) {
	fx, err := fixes.Parse("after", []byte(`
expect: refuse
refusedBy: app-unchanged
why: test
steps: [{scale: {kind: Deployment, name: orders-api, replicas: 1}}]
after:
  signature:
    - lastReason=Error
    - '{{ if hasPrefix nodeRuntime "containerd://2." }}lastExitCode=255{{ end }}'
    - '{{ if hasPrefix nodeRuntime "containerd://1.6." }}lastExitCode=1{{ end }}'
`))
	require.NoError(t, err)
	c := fakeCluster(labNode(testValues)) // containerd://2.1.1
	got, err := fixes.AfterSignature(context.Background(), c, testNS, testValues, fx)
	require.NoError(t, err)
	assert.Equal(t, []string{"lastReason=Error", "lastExitCode=255"}, got, "entries that render empty are dropped")

	fx.After.Signature = []string{"{{ if true }}lastReasn=Error{{ end }}"}
	_, err = fixes.AfterSignature(context.Background(), c, testNS, testValues, fx)
	assert.ErrorContains(t, err, "unknown evidence", "a rendered entry is checked like a written one")
}

// The fake cluster's garbage collection is what lets the unit replay see an
// orphaned ReplicaSet's pods; it must behave like the real one.
func TestFakeClusterCollectsLikeTheGarbageCollector(t *testing.T) {
	for _, tt := range []struct {
		propagation string
		wantPods    int
	}{{"Background", 0}, {"Foreground", 0}, {"Orphan", 2}} {
		t.Run(tt.propagation, func(t *testing.T) {
			ctx := context.Background()
			c := fakeCluster(ordersAPI())
			runBrokenPods(t, c, testNS)
			require.NoError(t, fixes.Apply(ctx, c, testNS, testValues, steps(t, "  - delete: {kind: Deployment, name: orders-api, propagation: "+tt.propagation+"}")))
			pods, err := c.CoreV1().Pods(testNS).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			assert.Len(t, pods.Items, tt.wantPods)
			rss, err := c.AppsV1().ReplicaSets(testNS).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			for _, rs := range rss.Items {
				assert.Empty(t, rs.OwnerReferences, "an orphaned ReplicaSet has no owner")
			}
		})
	}
}

func deployment(t *testing.T, c *fake.Clientset) *appsv1.Deployment {
	t.Helper()
	d, err := c.AppsV1().Deployments(testNS).Get(context.Background(), "orders-api", metav1.GetOptions{})
	require.NoError(t, err)
	return d
}

func assertGone(t *testing.T, c *fake.Clientset) {
	t.Helper()
	_, err := c.AppsV1().Deployments(testNS).Get(context.Background(), "orders-api", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "the Deployment is deleted: %v", err)
}

func ptrTo[T any](v T) *T { return &v }
