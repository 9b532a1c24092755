package podstate

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workload is what the shared rules need of the target, whatever its kind.
type Workload struct {
	Object   metav1.Object
	Template *corev1.PodSpec
	Replicas *int32 // nil for kinds without a replica count
	Paused   bool   // Deployment paused, Job or CronJob suspended
}

// TargetWorkload finds the target workload in the snapshot (nil when it is gone).
func (s *State) TargetWorkload() *Workload {
	t := s.Target
	switch t.Kind {
	case KindDeployment:
		if d := s.Deployment; d != nil {
			return &Workload{Object: d, Template: &d.Spec.Template.Spec, Replicas: d.Spec.Replicas, Paused: d.Spec.Paused}
		}
	case KindStatefulSet:
		for i := range s.StatefulSets {
			if o := &s.StatefulSets[i]; o.Name == t.Name {
				return &Workload{Object: o, Template: &o.Spec.Template.Spec, Replicas: o.Spec.Replicas}
			}
		}
	case KindJob:
		for i := range s.Jobs {
			if o := &s.Jobs[i]; o.Name == t.Name {
				return &Workload{Object: o, Template: &o.Spec.Template.Spec, Paused: o.Spec.Suspend != nil && *o.Spec.Suspend}
			}
		}
	case KindCronJob:
		for i := range s.CronJobs {
			if o := &s.CronJobs[i]; o.Name == t.Name {
				return &Workload{Object: o, Template: &o.Spec.JobTemplate.Spec.Template.Spec, Paused: o.Spec.Suspend != nil && *o.Spec.Suspend}
			}
		}
	case KindPod:
		for i := range s.Pods {
			if o := &s.Pods[i]; o.Name == t.Name {
				return &Workload{Object: o, Template: &o.Spec}
			}
		}
	}
	return nil
}

// TargetPodSpec is the pod template of the target workload (the pod's own
// spec for a bare Pod); nil when the workload is gone.
func (s *State) TargetPodSpec() *corev1.PodSpec {
	if w := s.TargetWorkload(); w != nil {
		return w.Template
	}
	return nil
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

func ContainerOf(spec *corev1.PodSpec, name string) *corev1.Container {
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
