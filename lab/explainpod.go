package lab

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
)

// PodExplanation is `crashlab explain POD`: the report on the pod, and the
// back-off its kubelet applies when it may be read.
type PodExplanation struct {
	grader.PodReport
	// BackOffCap is the kubelet's crashLoopBackOff.maxContainerRestartPeriod
	// on the pod's node ("" when not read); BackOffCapSource says where it
	// came from or why it could not be read.
	BackOffCap       string `json:"backOffCap,omitempty"`
	BackOffCapSource string `json:"backOffCapSource,omitempty"`
}

// ExplainPod reads one pod of any namespace through the one reader of live
// state and names its trouble. It only reads: a GET of the pod, the events
// about it, its node, the Secrets its env names, its previous logs and the
// kubelet's /configz, each skipped when forbidden.
func ExplainPod(ctx context.Context, c kubernetes.Interface, namespace, name string) (PodExplanation, error) {
	s, unreadable, err := grader.ReadPod(ctx, c, namespace, name)
	if err != nil {
		return PodExplanation{}, err
	}
	facts := grader.NewObserver(c).FactsOf(ctx, s)
	e := PodExplanation{PodReport: grader.ExplainPod(facts, &s.Pods[0])}
	e.Unreadable = unreadable
	if node := s.Pods[0].Spec.NodeName; node != "" {
		cfg, err := cluster.KubeletConfigz(ctx, c, node)
		switch {
		case err != nil:
			e.BackOffCapSource = fmt.Sprintf("the kubelet's configuration could not be read (%v): Kubernetes' default is 10s doubling to 5m", shortErr(err))
		case cfg.MaxContainerRestartPeriod > 0:
			e.BackOffCap = cfg.MaxContainerRestartPeriod.String()
			e.BackOffCapSource = "crashLoopBackOff.maxContainerRestartPeriod of the kubelet on " + node + " (its /configz)"
		default:
			e.BackOffCap = "5m0s"
			e.BackOffCapSource = "the kubelet on " + node + " sets no crashLoopBackOff.maxContainerRestartPeriod: the default cap (its /configz)"
		}
	}
	return e, ctx.Err()
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
