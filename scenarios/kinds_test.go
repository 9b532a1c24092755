package scenarios_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// Every workload kind the catalogue may use goes through the same engine:
// deployed with the lab's labels, kept or refused by the shared rules, and
// judged live by the kind's own judge.
func TestEveryWorkloadKindRunsThroughTheEngine(t *testing.T) {
	const container = `containers: [{name: app, image: "{{.Image}}", args: ["--listen=:8080"]}]`
	tests := []struct {
		kind, manifest string
		replicas       int32
		// run plays the controller and kubelet: it creates the pods (and Job
		// status) that a healthy workload of this kind would have.
		run func(t *testing.T, c kubernetes.Interface, ns string)
		// remove deletes the workload as a learner taking a shortcut would.
		remove func(c kubernetes.Interface, ns string) error
	}{
		{kind: podstate.KindStatefulSet, replicas: 1,
			manifest: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec:\n  replicas: 1\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      " + container + "\n",
			run: func(t *testing.T, c kubernetes.Interface, ns string) {
				s, err := c.AppsV1().StatefulSets(ns).Get(context.Background(), "web", metav1.GetOptions{})
				require.NoError(t, err)
				s.Status.UpdateRevision = "web-1"
				s.Status.ObservedGeneration = s.Generation // the controller has seen the spec
				_, err = c.AppsV1().StatefulSets(ns).UpdateStatus(context.Background(), s, metav1.UpdateOptions{})
				require.NoError(t, err)
				create := func() {
					readyPod(t, c, ns, "web-0", s.Spec.Template.Spec, "StatefulSet", s.Name, s.UID, map[string]string{appsv1.ControllerRevisionHashLabelKey: "web-1"})
				}
				create()
				// The StatefulSet controller: a deleted pod comes back by name.
				w, err := c.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
				require.NoError(t, err)
				t.Cleanup(w.Stop)
				go func() {
					for ev := range w.ResultChan() {
						if ev.Type == watch.Deleted {
							time.Sleep(50 * time.Millisecond)
							create()
						}
					}
				}()
			},
			remove: func(c kubernetes.Interface, ns string) error {
				return c.AppsV1().StatefulSets(ns).Delete(context.Background(), "web", metav1.DeleteOptions{})
			}},
		{kind: podstate.KindPod,
			manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  " + container + "\n",
			run: func(t *testing.T, c kubernetes.Interface, ns string) {
				p, err := c.CoreV1().Pods(ns).Get(context.Background(), "web", metav1.GetOptions{})
				require.NoError(t, err)
				markReady(p)
				_, err = c.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
				require.NoError(t, err)
			},
			remove: func(c kubernetes.Interface, ns string) error {
				return c.CoreV1().Pods(ns).Delete(context.Background(), "web", metav1.DeleteOptions{})
			}},
		{kind: podstate.KindJob,
			manifest: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      " + container + "\n",
			run: func(t *testing.T, c kubernetes.Interface, ns string) {
				j, err := c.BatchV1().Jobs(ns).Get(context.Background(), "web", metav1.GetOptions{})
				require.NoError(t, err)
				succeededPod(t, c, ns, j)
				j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
				j.Status.Succeeded = 1
				_, err = c.BatchV1().Jobs(ns).UpdateStatus(context.Background(), j, metav1.UpdateOptions{})
				require.NoError(t, err)
			},
			remove: func(c kubernetes.Interface, ns string) error {
				return c.BatchV1().Jobs(ns).Delete(context.Background(), "web", metav1.DeleteOptions{})
			}},
		{kind: podstate.KindCronJob,
			manifest: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: web}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          " + container + "\n",
			run: func(t *testing.T, c kubernetes.Interface, ns string) {
				cj, err := c.BatchV1().CronJobs(ns).Get(context.Background(), "web", metav1.GetOptions{})
				require.NoError(t, err)
				j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns, UID: "run-1",
					OwnerReferences: []metav1.OwnerReference{{Kind: "CronJob", Name: cj.Name, UID: cj.UID}}},
					Spec:   cj.Spec.JobTemplate.Spec,
					Status: batchv1.JobStatus{Succeeded: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}}
				j, err = c.BatchV1().Jobs(ns).Create(context.Background(), j, metav1.CreateOptions{})
				require.NoError(t, err)
				succeededPod(t, c, ns, j)
			},
			remove: func(c kubernetes.Interface, ns string) error {
				return c.BatchV1().CronJobs(ns).Delete(context.Background(), "web", metav1.DeleteOptions{})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			meta := strings.Replace(validMeta, "kind: Deployment", "kind: "+tt.kind, 1)
			meta = strings.Replace(meta, "replicas: 2", "replicas: "+map[bool]string{true: "1", false: "0"}[tt.replicas > 0], 1)
			s, err := scenarios.LoadWith(scenarioFS(meta, tt.manifest), scenarios.Hooks{})
			require.NoError(t, err)
			ctx := context.Background()
			c := labCluster()
			ns := "crashlab-" + s.ID
			require.NoError(t, scenarios.Deploy(ctx, c, s, ns, "", testValues))
			a, err := scenarios.LoadAttempt(ctx, c, s, ns)
			require.NoError(t, err)
			tt.run(t, c, ns)

			v, err := grader.JudgeFixWith(ctx, c, s.ID, s.Target(ns), a.UIDs, s.FixChecks(a.Baseline),
				s.Live(c, ns, a.Baseline, grader.LiveOptions{ReadyTimeout: 5 * time.Second, MinWindow: 200 * time.Millisecond, Replace: true}))
			require.NoError(t, err)
			assert.True(t, v.Passed, "a healthy %s passes: %+v", tt.kind, v.Checks)

			require.NoError(t, tt.remove(c, ns))
			v, err = grader.JudgeFixWith(ctx, c, s.ID, s.Target(ns), a.UIDs, s.FixChecks(a.Baseline), nil)
			require.NoError(t, err)
			require.False(t, v.Passed)
			assert.Equal(t, "workload-kept", v.Checks[0].Name)
			assert.Contains(t, v.Checks[0].Message, tt.kind+" web is gone")
		})
	}
}

func markReady(p *corev1.Pod) {
	since := metav1.NewTime(time.Now().Add(-time.Hour))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: since}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: since}}}}
}

func readyPod(t *testing.T, c kubernetes.Interface, ns, name string, spec corev1.PodSpec, kind, owner string, uid types.UID, lbls map[string]string) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbls,
		OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: owner, UID: uid}}}, Spec: spec}
	markReady(p)
	_, err := c.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
	require.NoError(t, err)
}

func succeededPod(t *testing.T, c kubernetes.Interface, ns string, j *batchv1.Job) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: j.Name + "-x", Namespace: ns,
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: j.Name, UID: j.UID}}},
		Spec: j.Spec.Template.Spec, Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}
	_, err := c.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
	require.NoError(t, err)
}
