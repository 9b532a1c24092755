// Package paymentsselector is the scenario where a nodeSelector copied from
// another cluster matches no node, so the scheduler places no pod.
package paymentsselector

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// id is this folder's name, the scenario's id.
const id = "payments-api-stuck-pending"

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// builtIn are the node labels the kubelet itself sets from the node's
// platform: a selector on them says what the pod needs, not which node it
// wants, and no one labels a node by hand to satisfy it.
var builtIn = []string{corev1.LabelOSStable, corev1.LabelArchStable}

func checks(b scenarios.Baseline) []grader.Check {
	var broken []string
	if spec := b.TargetPodSpec(); spec != nil {
		for k := range spec.NodeSelector {
			broken = append(broken, k)
		}
	}
	sort.Strings(broken)
	return []grader.Check{
		grader.SchedulerDecides(" (with the selector kept, the kubelet itself rejects every such pod); fix the selector and let the scheduler place the pods"),
		{Name: "node-selector", Run: func(s *podstate.State) grader.Result {
			spec := s.TargetPodSpec()
			if spec == nil {
				return grader.Fail("%s %s has no pod template", s.Target.Kind, s.Target.Name)
			}
			for _, k := range broken {
				if v, ok := spec.NodeSelector[k]; ok {
					return grader.Fail("the pods still select nodes by %s=%s, the old cluster's label: labelling this cluster's node to match only hides the copied selector (and the nodes are not yours to change); remove the selector", k, v)
				}
			}
			if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
				return grader.Fail("the pods now carry a required node affinity: the payments API needs no particular node; remove the requirement rather than moving it")
			}
			var other []string
			for k := range spec.NodeSelector {
				known := false
				for _, b := range builtIn {
					known = known || k == b
				}
				if !known {
					other = append(other, k)
				}
			}
			sort.Strings(other)
			if len(other) > 0 {
				return grader.Fail("the pods now select nodes by %s: a label someone set on a node (or one node's own name) ties the pods to it; the payments API needs no particular node, so remove the selector", strings.Join(other, ", "))
			}
			if len(spec.NodeSelector) == 0 {
				return grader.Result{Passed: true, Approach: "selector-removed", Message: "the pod template no longer restricts its nodes: any node with room will do"}
			}
			for k, v := range spec.NodeSelector {
				if !anyNodeHas(s.Nodes, k, v) {
					return grader.Fail("the pods select %s=%s, which no node has", k, v)
				}
			}
			return grader.Result{Passed: true, Approach: "selector-corrected", Message: fmt.Sprintf("the pods select only what Kubernetes itself labels nodes with (%v), which this cluster's nodes have", spec.NodeSelector)}
		}},
	}
}

// anyNodeHas tells whether some node carries the label; with no nodes read
// (a fake cluster), nothing contradicts it.
func anyNodeHas(nodes []corev1.Node, k, v string) bool {
	if len(nodes) == 0 {
		return true
	}
	for _, n := range nodes {
		if n.Labels[k] == v {
			return true
		}
	}
	return false
}
