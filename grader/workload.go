package grader

import (
	"slices"

	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// workloadView is what the shared rules need of the target, whatever its kind.
type workloadView struct {
	obj      metav1.Object
	template *corev1.PodSpec
	replicas *int32 // nil for kinds without a replica count
	paused   bool   // Deployment paused, Job or CronJob suspended
}

// target finds the target workload in the snapshot (nil when it is gone).
func (s *State) target() *workloadView {
	t := s.Target
	switch t.Kind {
	case KindDeployment:
		if d := s.Deployment; d != nil {
			return &workloadView{obj: d, template: &d.Spec.Template.Spec, replicas: d.Spec.Replicas, paused: d.Spec.Paused}
		}
	case KindStatefulSet:
		for i := range s.StatefulSets {
			if o := &s.StatefulSets[i]; o.Name == t.Name {
				return &workloadView{obj: o, template: &o.Spec.Template.Spec, replicas: o.Spec.Replicas}
			}
		}
	case KindJob:
		for i := range s.Jobs {
			if o := &s.Jobs[i]; o.Name == t.Name {
				return &workloadView{obj: o, template: &o.Spec.Template.Spec, paused: o.Spec.Suspend != nil && *o.Spec.Suspend}
			}
		}
	case KindCronJob:
		for i := range s.CronJobs {
			if o := &s.CronJobs[i]; o.Name == t.Name {
				return &workloadView{obj: o, template: &o.Spec.JobTemplate.Spec.Template.Spec, paused: o.Spec.Suspend != nil && *o.Spec.Suspend}
			}
		}
	case KindPod:
		for i := range s.Pods {
			if o := &s.Pods[i]; o.Name == t.Name {
				return &workloadView{obj: o, template: &o.Spec}
			}
		}
	}
	return nil
}

// TargetPodSpec is the pod template of the target workload (the pod's own
// spec for a bare Pod); nil when the workload is gone.
func (s *State) TargetPodSpec() *corev1.PodSpec {
	if w := s.target(); w != nil {
		return w.template
	}
	return nil
}

// WorkloadKept is the shared rule that the workload the lab created still
// exists as the same object, scaled as it was and not paused or suspended:
// deleting, re-creating or scaling to zero is not a fix.
func WorkloadKept(replicas int32) Check {
	return Check{Name: "workload-kept", Run: func(s *State) Result {
		t := s.Target
		w := s.target()
		if w == nil {
			return Fail("%s %s is gone: the fix must repair the workload, not remove it", t.Kind, t.Name)
		}
		if uid := s.Recorded[t.Kind+"/"+t.Name]; uid != "" && uid != string(w.obj.GetUID()) {
			return Fail("%s %s was deleted and re-created: fix the running %s in place (kubectl edit / set / patch)", t.Kind, t.Name, t.Kind)
		}
		if w.replicas != nil && *w.replicas != replicas {
			return Fail("%s %s runs %d replicas; it must run %d like before: scaling hides the failure", t.Kind, t.Name, *w.replicas, replicas)
		}
		if w.paused {
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
func WorkloadLive(c kubernetes.Interface, t Target, base *corev1.PodSpec, opt LiveOptions) LiveJudge {
	switch t.Kind {
	case KindJob, KindCronJob:
		timeout := orDefault(opt.ReadyTimeout, 2*time.Minute)
		released := containerOf(base, t.Container)
		return JobLive(c, t.Namespace, func(spec *corev1.PodSpec) bool { return RunsProgram(released, spec) }, timeout, opt.Progress)
	case KindPod:
		opt.Replace = false
		opt.Replicas = 1
	}
	return func(ctx context.Context, s *State) []CheckResult {
		window := StabilityWindowFor(s.TargetPodSpec(), opt.FailsWithin, orDefault(opt.MinWindow, 10*time.Second))
		return JudgeLive(ctx, c, t, window, opt)
	}
}

// RunsProgram tells whether spec runs the released program of container c
// (same image, command and arguments) in any of its containers.
func RunsProgram(c *corev1.Container, spec *corev1.PodSpec) bool {
	if c == nil {
		return false
	}
	return slices.ContainsFunc(spec.Containers, func(o corev1.Container) bool {
		return o.Image == c.Image && slices.Equal(o.Command, c.Command) && slices.Equal(o.Args, c.Args)
	})
}

func containerOf(spec *corev1.PodSpec, name string) *corev1.Container {
	if spec == nil {
		return nil
	}
	// An init container counts too: a helper moved into initContainers (or
	// made a native sidecar) is still the same program.
	for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
