package grader

import (
	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
)

// Checks that several incidents share, each with its own words for why.

// SchedulerDecides refuses a pod template pinned to a node with nodeName:
// that skips the scheduler, which is the part of the cluster an
// unschedulable pod's fix must convince. why finishes the sentence for the
// incident (what the pin hides, what to do instead).
func SchedulerDecides(why string) Check {
	return Check{Name: "scheduler-decides", Run: func(s *podstate.State) Result {
		spec := s.TargetPodSpec()
		if spec == nil {
			return Fail("%s %s has no pod template", s.Target.Kind, s.Target.Name)
		}
		if spec.NodeName != "" {
			return Fail("the pod template pins its pods to node %s with nodeName: that skips the scheduler%s", spec.NodeName, why)
		}
		return Pass("the scheduler places the pods")
	}}
}

// ReleasedImage reads the target container when it names the released
// image; otherwise it returns the refusal: the container is gone, still
// names the broken image (stillBroken, with the image as its %s), or names
// some other image (notReleased, likewise), since an image that merely
// starts is not the app.
func ReleasedImage(s *podstate.State, broken, released, stillBroken, notReleased string) (*corev1.Container, *Result) {
	c := s.Container()
	var r Result
	switch {
	case c == nil:
		r = Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
	case c.Image == broken:
		r = Fail(stillBroken, c.Image)
	case c.Image != released:
		r = Fail(notReleased, c.Image)
	default:
		return c, nil
	}
	return nil, &r
}
