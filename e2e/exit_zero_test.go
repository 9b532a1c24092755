//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func exitZeroSpec() scenarioSpec {
	const dep = "schema-migrate"
	// jobFrom turns the Deployment's pod template into a Job's, as a learner
	// copying the manifest would; edit changes the copy.
	jobFrom := func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string, edit func(*corev1.PodSpec)) *batchv1.Job {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, dep, metav1.GetOptions{})
		require.NoError(t, err)
		tmpl := *d.Spec.Template.DeepCopy()
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		tmpl.Labels = map[string]string{"task": "migrate-42"}
		if edit != nil {
			edit(&tmpl.Spec)
		}
		return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate-42"}, Spec: batchv1.JobSpec{Template: tmpl}}
	}
	createJob := func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string, j *batchv1.Job) {
		_, err := c.BatchV1().Jobs(ns).Create(ctx, j, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	deleteDeployment := func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
		require.NoError(t, c.AppsV1().Deployments(ns).Delete(ctx, dep, metav1.DeleteOptions{}))
	}
	return scenarioSpec{
		id:      "exit-zero",
		correct: map[string]string{"cause": "task-finished"},
		wrong:   map[string]string{"cause": "app-error"},
		cases: []fixCase{
			{name: "as-job", wantApproach: "job", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				createJob(ctx, t, c, ns, jobFrom(ctx, t, c, ns, nil))
				deleteDeployment(ctx, t, c, ns)
			}},
			{name: "as-cronjob", wantApproach: "cronjob", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				j := jobFrom(ctx, t, c, ns, nil)
				cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "migrate-nightly"}, Spec: batchv1.CronJobSpec{
					Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: j.Spec}}}
				cj, err := c.BatchV1().CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{})
				require.NoError(t, err)
				// `kubectl create job --from=cronjob/migrate-nightly` runs it now.
				j.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))}
				createJob(ctx, t, c, ns, j)
				deleteDeployment(ctx, t, c, ns)
			}},
			{name: "kept-alive", wantFail: "deployment-removed", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				// The image has no shell, so "sleep forever" is the program
				// told to run without an end.
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					container(&d.Spec.Template.Spec, "migrate").Args = []string{"--log=applying migration 42: add column orders.shipped_at"}
				})
			}},
			{name: "job-and-deployment", wantFail: "deployment-removed", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				createJob(ctx, t, c, ns, jobFrom(ctx, t, c, ns, nil))
			}},
			{name: "job-not-the-task", wantFail: "task-in-job", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				createJob(ctx, t, c, ns, jobFrom(ctx, t, c, ns, func(p *corev1.PodSpec) {
					container(p, "migrate").Args = []string{"--exit-code=0"}
				}))
				deleteDeployment(ctx, t, c, ns)
			}},
			{name: "just-deleted", wantFail: "task-in-job", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				deleteDeployment(ctx, t, c, ns)
			}},
		},
	}
}
