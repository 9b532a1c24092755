// Package exitzero is the scenario where a one-shot task ships as a Deployment:
// it succeeds, exits 0, and is restarted into CrashLoopBackOff.
package exitzero

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks, Live: live}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "schema-migrate-restarting"

// runsTask tells whether a pod template runs the released task unchanged.
func runsTask(b scenarios.Baseline, spec *corev1.PodSpec) bool {
	return podstate.RunsProgram(b.TargetContainer(), spec)
}

func checks(b scenarios.Baseline) []grader.Check {
	return []grader.Check{
		{Name: "deployment-removed", Run: func(s *podstate.State) grader.Result {
			for _, d := range s.Deployments {
				if d.Name == b.Workload.Name {
					return grader.Fail("Deployment %s still exists: a Deployment restarts any container that stops, even after success; run the task as a Job and delete the Deployment", d.Name)
				}
			}
			return grader.Pass("the Deployment that kept restarting the task is gone")
		}},
		{Name: "task-in-job", Run: func(s *podstate.State) grader.Result {
			// A CronJob first: the Jobs it spawns would otherwise count as plain Jobs.
			for _, cj := range s.CronJobs {
				if runsTask(b, &cj.Spec.JobTemplate.Spec.Template.Spec) {
					return grader.Result{Passed: true, Approach: "cronjob", Message: "CronJob " + cj.Name + " runs the migration as released"}
				}
			}
			for _, j := range s.Jobs {
				if runsTask(b, &j.Spec.Template.Spec) {
					return grader.Result{Passed: true, Approach: "job", Message: "Job " + j.Name + " runs the migration as released"}
				}
			}
			return grader.Fail("no Job or CronJob runs the migration with the released image and arguments: the task still has to run, just as a Job")
		}},
	}
}

func live(c kubernetes.Interface, ns string, b scenarios.Baseline, opt grader.LiveOptions) grader.LiveJudge {
	timeout := opt.ReadyTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	return grader.JobLive(c, ns, func(spec *corev1.PodSpec) bool { return runsTask(b, spec) }, timeout, opt.Progress)
}
