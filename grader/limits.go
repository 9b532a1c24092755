package grader

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crashlab/crashlab/podstate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const mib = 1 << 20

// LimitRule bounds a container's memory limit around what the released app
// really needs, read from its own arguments (NeedArg, in MiB): at least the
// need plus headroom (the runtime, the binary and the server come on top of
// the data the app holds), and at most MaxFactor times the need and what a
// node can give (far above the need, a limit no longer stops a leak).
type LimitRule struct {
	Name string
	// NeedArg is the released argument that holds the working set in MiB,
	// e.g. --alloc-mb.
	NeedArg string
	// MinHeadroomMiB and HeadroomDivisor: the headroom is the larger of
	// MinHeadroomMiB and need/HeadroomDivisor.
	MinHeadroomMiB  int64
	HeadroomDivisor int64
	MaxFactor       int64
	Approach        string
}

// MemoryLimitWithin is the check of a LimitRule against the baseline's args.
func MemoryLimitWithin(r LimitRule, base *corev1.Container) Check {
	var need int64
	var needErr error
	if base == nil {
		needErr = fmt.Errorf("the released container is missing")
	} else {
		need, needErr = ArgMiB(base.Args, r.NeedArg)
	}
	return Check{Name: r.Name, Run: func(s *podstate.State) Result {
		if needErr != nil {
			return Fail("the lab cannot tell what the app needs: %v", needErr)
		}
		c := s.Container()
		if c == nil {
			return Fail("container %s is missing from %s %s", s.Target.Container, s.Target.Kind, s.Target.Name)
		}
		return r.judge(c, need, NodeMemory(s.Nodes))
	}}
}

func (r LimitRule) judge(c *corev1.Container, needMiB int64, node *resource.Quantity) Result {
	headroom := r.MinHeadroomMiB
	if r.HeadroomDivisor > 0 {
		headroom = max(headroom, needMiB/r.HeadroomDivisor)
	}
	low, high := needMiB+headroom, needMiB*r.MaxFactor
	limit, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok || limit.IsZero() {
		return Fail("the container has no memory limit any more: one leak could then take the node's memory from every other pod; set a limit of at least %dMi (the %d MiB working set plus headroom)", low, needMiB)
	}
	switch {
	case limit.Cmp(*resource.NewQuantity(low*mib, resource.BinarySI)) < 0:
		return Fail("a memory limit of %s leaves too little room for the app's %d MiB working set plus the runtime around it: set at least %dMi", limit.String(), needMiB, low)
	case node != nil && limit.Cmp(*node) > 0:
		return Fail("a memory limit of %s is more than the node can give (%dMi allocatable): it would never stop a leak; size it to the working set plus headroom (%dMi to %dMi)", limit.String(), node.Value()/mib, low, high)
	case r.MaxFactor > 0 && limit.Cmp(*resource.NewQuantity(high*mib, resource.BinarySI)) > 0:
		return Fail("a memory limit of %s is more than %d times what the app needs (%d MiB): it would hardly stop a leak; size it to the working set plus headroom (%dMi to %dMi)", limit.String(), r.MaxFactor, needMiB, low, high)
	}
	if req, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && req.Cmp(limit) > 0 {
		return Fail("the memory request %s is above the limit %s: the request must not exceed the limit", req.String(), limit.String())
	}
	return Result{Passed: true, Approach: r.Approach, Message: fmt.Sprintf("the memory limit %s fits the app's %d MiB working set with headroom", limit.String(), needMiB)}
}

// ArgMiB reads a positive number of MiB from an argument (--flag=N or --flag N).
func ArgMiB(args []string, flag string) (int64, error) {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, flag+"=")
		if !ok && a == flag && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s %q is not a positive number", flag, v)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("the released arguments have no %s", flag)
}

// NodeMemory is the largest allocatable memory of any node: a limit above it
// can never be reached on this cluster. Nil when no node reports it.
func NodeMemory(nodes []corev1.Node) *resource.Quantity {
	var best *resource.Quantity
	for _, n := range nodes {
		if q, ok := n.Status.Allocatable[corev1.ResourceMemory]; ok && (best == nil || q.Cmp(*best) > 0) {
			q := q
			best = &q
		}
	}
	return best
}
