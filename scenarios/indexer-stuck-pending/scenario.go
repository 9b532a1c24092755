// Package indexerpending is the scenario where a memory request no node can
// satisfy keeps every pod Pending (Insufficient memory): the scheduler never
// places them, so nothing runs.
package indexerpending

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	// id is this folder's name, the scenario's id.
	id      = "indexer-stuck-pending"
	needArg = "--alloc-mb"
	mib     = 1 << 20
	// The accepted request: the need plus the larger of 16 MiB and a quarter
	// of it (the runtime and the server come on top of the index), and at
	// most four times the need (more only keeps other pods off the node).
	minHeadroomMiB = 16
	maxFactor      = 4
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

func checks(b scenarios.Baseline) []grader.Check {
	need, needErr := grader.ArgMiB(b.TargetContainer().Args, needArg)
	low, high := need+max(minHeadroomMiB, need/4), need*maxFactor
	return []grader.Check{
		grader.SchedulerDecides(", so nothing checks the request against the node's room (with the original request the kubelet itself rejects every such pod); let the scheduler place the pods"),
		{Name: "memory-request", Run: func(s *podstate.State) grader.Result {
			if needErr != nil {
				return grader.Fail("the lab cannot tell what the app needs: %v", needErr)
			}
			c := s.Container()
			if c == nil {
				return grader.Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
			}
			req, ok := c.Resources.Requests[corev1.ResourceMemory]
			if !ok || req.IsZero() {
				if lim, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && !lim.IsZero() {
					req = lim // the API server defaults a missing request to the limit
				} else {
					return grader.Fail("the container has no memory request any more: the scheduler would then place it on a node whether or not the node has room for its %d MiB index; request %dMi to %dMi", need, low, high)
				}
			}
			node := grader.NodeMemory(s.Nodes)
			switch {
			case node != nil && req.Cmp(*node) > 0:
				return grader.Fail("a memory request of %s is more than any node has to give (%dMi allocatable): the scheduler can place no pod; request what the app needs, %dMi to %dMi", req.String(), node.Value()/mib, low, high)
			case req.Cmp(*resource.NewQuantity(low*mib, resource.BinarySI)) < 0:
				return grader.Fail("a memory request of %s is below what the indexer holds (%d MiB plus its runtime): the scheduler would pack it onto a node without room for it; request at least %dMi", req.String(), need, low)
			case req.Cmp(*resource.NewQuantity(high*mib, resource.BinarySI)) > 0:
				return grader.Fail("a memory request of %s is more than %d times what the indexer holds (%d MiB): it reserves memory no other pod may use; request %dMi to %dMi", req.String(), maxFactor, need, low, high)
			}
			return grader.Result{Passed: true, Approach: "request-sized", Message: fmt.Sprintf("the memory request %s fits the %d MiB index with headroom, and a node", req.String(), need)}
		}},
	}
}
