package podstate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// PodsLine is what `kubectl get pods` tells at a glance, as one line: how
// many pods are ready and the most common reason of those that are not;
// healthy is true when there are pods and every one that is not being
// deleted is Ready. The controller writes it into an Attempt's status and
// the board shows it from there: one reading for both.
func PodsLine(pods []corev1.Pod) (line string, healthy bool) {
	if len(pods) == 0 {
		return "no pods", false
	}
	ready, live, reasons := 0, 0, map[string]int{}
	healthy = true
	for i := range pods {
		r := PodReason(&pods[i])
		if pods[i].DeletionTimestamp == nil {
			live++
			if r != "Ready" {
				healthy = false
			}
		}
		if r == "Ready" {
			ready++
			continue
		}
		reasons[r]++
	}
	line = fmt.Sprintf("%d/%d ready", ready, len(pods))
	best := ""
	for r, n := range reasons {
		if best == "" || n > reasons[best] || (n == reasons[best] && r < best) {
			best = r
		}
	}
	if best != "" {
		line += ", " + best
	}
	return line, healthy && live > 0
}

// PodReason is the one word a pod's state comes to: the first waiting or
// failed container's reason, else Ready, Pending or NotReady.
func PodReason(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "Terminating"
	}
	for _, st := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := st.State.Waiting; w != nil && w.Reason != "" {
			return w.Reason
		}
		if t := st.State.Terminated; t != nil && t.Reason != "" && t.Reason != "Completed" {
			return t.Reason
		}
	}
	if PodReady(p) {
		return "Ready"
	}
	if p.Status.Phase == corev1.PodPending {
		return "Pending"
	}
	return "NotReady"
}
