package exitzero_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ns = "crashlab-schema-migrate-restarting"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("schema-migrate-restarting") }

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

// jobOf is what a learner writes: the Deployment's pod template in a Job.
func jobOf(d *appsv1.Deployment, edit func(*corev1.PodSpec)) *batchv1.Job {
	tmpl := *d.Spec.Template.DeepCopy()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	if edit != nil {
		edit(&tmpl.Spec)
	}
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: ns}, Spec: batchv1.JobSpec{Template: tmpl}}
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	base := b.Deployment("schema-migrate").DeepCopy()
	base.Namespace = ns
	cronOf := func(j *batchv1.Job) *batchv1.CronJob {
		return &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: j.Spec}}}
	}
	otherImage := func(p *corev1.PodSpec) { p.Containers[0].Image = values.ForeignImage }
	tests := []struct {
		name         string
		objects      []runtime.Object
		wantFail     string
		wantApproach string
	}{
		{name: "task moved to a CronJob, Deployment deleted", objects: []runtime.Object{cronOf(jobOf(base, nil))}, wantApproach: "cronjob"},
		{name: "nothing fixed yet", objects: []runtime.Object{base}, wantFail: "deployment-removed"},
		{name: "Job runs another image", objects: []runtime.Object{jobOf(base, otherImage)}, wantFail: "task-in-job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := podstate.LoadState(context.Background(), fake.NewClientset(tt.objects...), s.Target(ns), nil)
			require.NoError(t, err)
			var failed []string
			approach := ""
			for _, c := range s.FixChecks(b) {
				r := c.Run(st)
				if !r.Passed {
					failed = append(failed, c.Name)
				}
				if r.Approach != "" {
					approach = r.Approach
				}
			}
			if tt.wantFail == "" {
				assert.Empty(t, failed)
				assert.Equal(t, tt.wantApproach, approach)
				return
			}
			require.NotEmpty(t, failed)
			assert.Equal(t, tt.wantFail, failed[0])
		})
	}
}

func TestWorkloadKeptIsNotRequiredWhenTheFixReplacesIt(t *testing.T) {
	b, err := Scenario().Render(values)
	require.NoError(t, err)
	for _, c := range Scenario().FixChecks(b) {
		assert.NotEqual(t, "workload-kept", c.Name, "moving the task to a Job deletes the Deployment by design")
	}
}

func TestLiveJudgeWaitsForTheJobToComplete(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	base := b.Deployment("schema-migrate").DeepCopy()
	base.Namespace = ns
	// podOf is a pod the Job controller would have run, ended in phase.
	podOf := func(j *batchv1.Job, phase corev1.PodPhase) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: j.Name + "-x", Namespace: ns,
			OwnerReferences: []metav1.OwnerReference{{Kind: "Job", Name: j.Name, UID: j.UID}}},
			Spec: *j.Spec.Template.Spec.DeepCopy(), Status: corev1.PodStatus{Phase: phase}}
	}
	for _, tt := range []struct {
		name     string
		cond     batchv1.JobConditionType
		podPhase corev1.PodPhase // "" for a Job that ran no pod
		want     map[string]bool // check name -> passed
	}{
		{"the Job completes by running the task", batchv1.JobComplete, corev1.PodSucceeded, map[string]bool{"job-completed": true, "job-ran-task": true}},
		{"the Job is Complete without running a pod", batchv1.JobComplete, "", map[string]bool{"job-completed": true, "job-ran-task": false}},
		{"the Job is Complete but its pod failed", batchv1.JobComplete, corev1.PodFailed, map[string]bool{"job-completed": true, "job-ran-task": false}},
		{"the Job fails", batchv1.JobFailed, corev1.PodFailed, map[string]bool{"job-completed": false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := jobOf(base, nil)
			job.UID = "job-uid"
			objs := []runtime.Object{job}
			if tt.podPhase != "" {
				objs = append(objs, podOf(job, tt.podPhase))
			}
			c := fake.NewClientset(objs...)
			judge := s.Live(c, ns, b, grader.LiveOptions{ReadyTimeout: 5 * time.Second})
			go func() {
				time.Sleep(300 * time.Millisecond)
				done := job.DeepCopy()
				done.Status.Conditions = []batchv1.JobCondition{{Type: tt.cond, Status: corev1.ConditionTrue}}
				_, _ = c.BatchV1().Jobs(ns).UpdateStatus(context.Background(), done, metav1.UpdateOptions{})
			}()
			got := map[string]bool{}
			for _, r := range judge(context.Background(), nil) {
				got[r.Name] = r.Passed
			}
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("interrupted while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		judge := s.Live(fake.NewClientset(jobOf(base, nil)), ns, b, grader.LiveOptions{ReadyTimeout: time.Minute})
		time.AfterFunc(200*time.Millisecond, cancel)
		t0 := time.Now()
		res := judge(ctx, nil)
		assert.Less(t, time.Since(t0), time.Second, "ends within a second of the interrupt")
		require.Len(t, res, 1)
		assert.False(t, res[0].Passed)
		assert.Contains(t, res[0].Message, "interrupted")
	})
	t.Run("no Job appears", func(t *testing.T) {
		judge := s.Live(fake.NewClientset(), ns, b, grader.LiveOptions{ReadyTimeout: 300 * time.Millisecond})
		res := judge(context.Background(), nil)
		require.Len(t, res, 1)
		assert.False(t, res[0].Passed)
	})
}
