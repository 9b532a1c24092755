// Package archmismatch is the scenario where the image claims the node's
// architecture but carries a binary built for the other one, so the kernel
// refuses to execute it ("exec format error") and the container dies at once.
package archmismatch

import (
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ()

func init() {
	scenarios.Register(id, scenarios.Hooks{Checks: checks, Preflight: func(nodeArch string) string { return EmulationWarning(nodeArch, BinfmtDir) }})
}

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

// id is this folder's name, the scenario's id.
const id = "invoice-api-down-after-rebuild"

func checks(b scenarios.Baseline) []grader.Check {
	native, foreign, arch := b.Values.Image, b.Values.ForeignImage, b.Values.NodeArch
	return []grader.Check{
		{Name: "image-matches-node", Run: func(s *podstate.State) grader.Result {
			c := s.Container()
			switch {
			case c == nil:
				return grader.Fail("container %s is missing from Deployment %s", s.Target.Container, s.Target.Name)
			case c.Image == native:
				return grader.Result{Passed: true, Approach: "image-matches-node", Message: "the container runs the app's image built for the node's architecture (" + arch + ")"}
			case c.Image == foreign:
				return grader.Fail("the container still runs %s, whose binary is built for another CPU architecture than the node's (%s): switch to the app's image built for %s", c.Image, arch, arch)
			}
			return grader.Fail("%s is not the app's image built for the node's architecture (%s): an image that merely stays up is not the invoice API; use the app's own %s build", c.Image, arch, arch)
		}},
	}
}
