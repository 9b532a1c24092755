// Package oomkilled is the scenario where the app's working set is larger than
// its memory limit, so the kernel kills it (OOMKilled, exit 137) on every start.
package oomkilled

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

const (
	mib = 1 << 20
	// minHeadroomMiB is the least room above the data the app holds. The Go
	// runtime, the binary and the HTTP server come on top of it (holding
	// 96 MiB, the container's cgroup was charged 99 MiB on the lab node and
	// the process was 103 MiB resident outside a container), and a limit with
	// no room beyond that turns the next small growth into the next OOM kill.
	// The rule asks for 16 MiB or a quarter of the need, whichever is more.
	minHeadroomMiB = 16
	// maxFactor bounds the limit: far above the need, a limit no longer stops a
	// leak before it hurts the node's other tenants.
	maxFactor = 4
)

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "thumbnailer-keeps-restarting"

func checks(b scenarios.Baseline) []grader.Check {
	base := b.TargetContainer()
	need, needErr := allocMiB(base.Args)
	return []grader.Check{
		{Name: "memory-limit", Run: func(s *grader.State) grader.Result {
			if needErr != nil {
				return grader.Fail("the lab cannot tell what the app needs: %v", needErr)
			}
			if s.Container() == nil {
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			}
			return judgeLimit(s.Container(), need, nodeMemory(s.Nodes))
		}},
	}
}

// judgeLimit accepts a memory limit that holds the working set plus headroom,
// and is neither absent nor so large that it no longer limits anything.
func judgeLimit(c *corev1.Container, needMiB int64, node *resource.Quantity) grader.Result {
	low := needMiB + max(minHeadroomMiB, needMiB/4)
	high := needMiB * maxFactor
	limit, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok || limit.IsZero() {
		return grader.Fail("the container has no memory limit any more: one leak could then take the node's memory from every other pod; set a limit of at least %dMi (the %d MiB working set plus headroom)", low, needMiB)
	}
	switch {
	case limit.Cmp(*resource.NewQuantity(low*mib, resource.BinarySI)) < 0:
		return grader.Fail("a memory limit of %s leaves too little room for the app's %d MiB working set plus the runtime around it: set at least %dMi", limit.String(), needMiB, low)
	case node != nil && limit.Cmp(*node) > 0:
		return grader.Fail("a memory limit of %s is more than the node can give (%dMi allocatable): it would never stop a leak; size it to the working set plus headroom (%dMi to %dMi)", limit.String(), node.Value()/mib, low, high)
	case limit.Cmp(*resource.NewQuantity(high*mib, resource.BinarySI)) > 0:
		return grader.Fail("a memory limit of %s is more than %d times what the app needs (%d MiB): it would hardly stop a leak; size it to the working set plus headroom (%dMi to %dMi)", limit.String(), maxFactor, needMiB, low, high)
	}
	if req, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && req.Cmp(limit) > 0 {
		return grader.Fail("the memory request %s is above the limit %s: the request must not exceed the limit", req.String(), limit.String())
	}
	return grader.Result{Passed: true, Approach: "limit-raised", Message: fmt.Sprintf("the memory limit %s fits the app's %d MiB working set with headroom", limit.String(), needMiB)}
}

// allocMiB reads the working set the released app allocates (--alloc-mb).
func allocMiB(args []string) (int64, error) {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--alloc-mb=")
		if !ok && a == "--alloc-mb" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("--alloc-mb %q is not a positive number", v)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("the released arguments have no --alloc-mb")
}

// nodeMemory is the largest allocatable memory of any node: a limit above it
// can never be reached on this cluster. Nil when no node reports it.
func nodeMemory(nodes []corev1.Node) *resource.Quantity {
	var best *resource.Quantity
	for _, n := range nodes {
		if q, ok := n.Status.Allocatable[corev1.ResourceMemory]; ok && (best == nil || q.Cmp(*best) > 0) {
			q := q
			best = &q
		}
	}
	return best
}
