package grader

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// JobLive is the live judge for a one-shot task: a Job that runs the task
// (match says which) must complete. It watches Jobs and fails as soon as a
// matching Job is marked Failed.
func JobLive(c kubernetes.Interface, ns string, match func(*batchv1.Job) bool, timeout time.Duration, progress func(string)) LiveJudge {
	return func(ctx context.Context, _ *State) []CheckResult {
		res := CheckResult{Name: "job-completed"}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		for {
			if ctx.Err() != nil {
				res.Message = fmt.Sprintf("no Job running the task completed within %s: `kubectl get jobs` shows what exists", timeout)
				return []CheckResult{res}
			}
			list, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				res.Message = fmt.Sprintf("list jobs: %v", err)
				return []CheckResult{res}
			}
			waiting := ""
			for i := range list.Items {
				j := &list.Items[i]
				if !match(j) {
					continue
				}
				if cond(j, batchv1.JobComplete) {
					res.Passed = true
					res.Message = fmt.Sprintf("Job %s ran the task to completion (%d succeeded)", j.Name, j.Status.Succeeded)
					return []CheckResult{res}
				}
				if cond(j, batchv1.JobFailed) {
					res.Message = fmt.Sprintf("Job %s failed: the task does not succeed as a Job either (`kubectl describe job %s`)", j.Name, j.Name)
					return []CheckResult{res}
				}
				waiting = j.Name
			}
			if progress != nil {
				if waiting == "" {
					progress("waiting for a Job that runs the task (a CronJob's Job appears at its schedule; `kubectl create job --from=cronjob/NAME` runs one now)")
				} else {
					progress(fmt.Sprintf("waiting for Job %s to complete", waiting))
				}
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

func cond(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
