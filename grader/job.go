package grader

import (
	"context"
	"fmt"
	"time"

	"github.com/crashlab/crashlab/podstate"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// JobLive is the live judge for a one-shot task: a Job whose template runs the
// task (runsTask says which) must complete, and must have done so by running
// it: a Job can be Complete without ever running a pod (completions: 0), so at
// least one of its pods must have succeeded while running the task. It watches
// Jobs and fails as soon as a matching Job is marked Failed.
func JobLive(c kubernetes.Interface, ns string, runsTask func(*corev1.PodSpec) bool, timeout time.Duration, progress func(string)) LiveJudge {
	if progress == nil {
		progress = func(string) {}
	}
	return func(parent context.Context, _ *podstate.State) []CheckResult {
		res := CheckResult{Name: "job-completed"}
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		for {
			list, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			switch {
			case parent.Err() != nil:
				res.Message = podstate.Interrupted(parent).Error()
				return []CheckResult{res}
			case ctx.Err() != nil:
				res.Message = fmt.Sprintf("no Job running the task completed within %s: `kubectl get jobs` shows what exists", timeout)
				return []CheckResult{res}
			case err != nil:
				res.Message = fmt.Sprintf("list jobs: %v", err)
				return []CheckResult{res}
			}
			waiting := ""
			for i := range list.Items {
				j := &list.Items[i]
				if !runsTask(&j.Spec.Template.Spec) {
					continue
				}
				if cond(j, batchv1.JobFailed) {
					res.Message = fmt.Sprintf("Job %s failed: the task does not succeed as a Job either (`kubectl describe job %s`)", j.Name, j.Name)
					return []CheckResult{res}
				}
				if cond(j, batchv1.JobComplete) {
					res.Passed = true
					res.Message = fmt.Sprintf("Job %s is Complete", j.Name)
					return []CheckResult{res, jobRanTask(ctx, c, j, runsTask)}
				}
				waiting = j.Name
			}
			if waiting == "" {
				progress("waiting for a Job that runs the task (a CronJob's Job appears at its schedule; `kubectl create job --from=cronjob/NAME` runs one now)")
			} else {
				progress(fmt.Sprintf("waiting for Job %s to complete", waiting))
			}
			w, err := c.BatchV1().Jobs(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
			if err != nil {
				continue
			}
			select {
			case <-ctx.Done():
			case <-w.ResultChan():
			}
			w.Stop()
		}
	}
}

// jobRanTask looks for a pod of the Job that succeeded running the task. The
// Job's own counters are not enough: a Job asked for zero completions is
// Complete with nothing run.
func jobRanTask(ctx context.Context, c kubernetes.Interface, j *batchv1.Job, runsTask func(*corev1.PodSpec) bool) CheckResult {
	res := CheckResult{Name: "job-ran-task"}
	pods, err := c.CoreV1().Pods(j.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		res.Message = fmt.Sprintf("list the pods of Job %s: %v", j.Name, err)
		return res
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if podstate.OwnedBy(p.OwnerReferences, j.UID) && p.Status.Phase == corev1.PodSucceeded && runsTask(&p.Spec) {
			res.Passed = true
			res.Message = fmt.Sprintf("pod %s of Job %s ran the task and exited successfully", p.Name, j.Name)
			return res
		}
	}
	res.Message = fmt.Sprintf("Job %s is Complete, but none of its pods ran the task to success (%d succeeded; completions %s): a Job that runs nothing has not done the migration", j.Name, j.Status.Succeeded, int32Text(j.Spec.Completions))
	return res
}

func int32Text(p *int32) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func cond(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
