package grader

import (
	"context"
	"time"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// WorkloadKept is the shared rule that the workload the lab created still
// exists as the same object, scaled as it was and not paused or suspended:
// deleting, re-creating or scaling to zero is not a fix.
func WorkloadKept(replicas int32) Check {
	return Check{Name: "workload-kept", Run: func(s *podstate.State) Result {
		t := s.Target
		w := s.TargetWorkload()
		if w == nil {
			return Fail("%s %s is gone: the fix must repair the workload, not remove it", t.Kind, t.Name)
		}
		if uid := s.Recorded[t.Kind+"/"+t.Name]; uid != "" && uid != string(w.Object.GetUID()) {
			return Fail("%s %s was deleted and re-created: fix the running %s in place (kubectl edit / set / patch)", t.Kind, t.Name, t.Kind)
		}
		if w.Replicas != nil && *w.Replicas != replicas {
			return Fail("%s %s runs %d replicas; it must run %d like before: scaling hides the failure", t.Kind, t.Name, *w.Replicas, replicas)
		}
		if w.Paused {
			return Fail("%s %s is paused or suspended: a workload that does not run cannot fail, and cannot serve either; resume it", t.Kind, t.Name)
		}
		return Pass("%s %s is the one the lab created, as it was scaled", t.Kind, t.Name)
	}}
}

// WorkloadLive is the shared live judge for the target's kind: for the
// long-running kinds (Deployment, StatefulSet, bare Pod) every current pod
// Ready, stable for a window derived from the workload's own timing, and
// (except a bare Pod, which nothing would re-create) healthy again after a
// pod is replaced; for a Job or CronJob, a run that completes with a pod
// that ran the released program.
func WorkloadLive(c kubernetes.Interface, t podstate.Target, base *corev1.PodSpec, opt LiveOptions) LiveJudge {
	switch t.Kind {
	case podstate.KindJob, podstate.KindCronJob:
		timeout := orDefault(opt.ReadyTimeout, 2*time.Minute)
		released := podstate.ContainerOf(base, t.Container)
		return JobLive(c, t.Namespace, func(spec *corev1.PodSpec) bool { return podstate.RunsProgram(released, spec) }, timeout, opt.Progress)
	case podstate.KindPod:
		opt.Replace = false
		opt.Replicas = 1
	}
	return func(ctx context.Context, s *podstate.State) []CheckResult {
		window := StabilityWindowFor(s.TargetPodSpec(), opt.FailsWithin, orDefault(opt.MinWindow, 10*time.Second))
		return JudgeLive(ctx, c, t, window, opt)
	}
}
