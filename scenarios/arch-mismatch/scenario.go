// Package archmismatch is the scenario where the image claims the node's
// architecture but carries a binary built for the other one, so the kernel
// refuses to execute it ("exec format error") and the container dies at once.
package archmismatch

import (
	"embed"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
)

//go:embed scenario.yaml manifests.yaml
var files embed.FS

const (
	deployment = "invoice-api"
	container  = "app"
)

// Scenario returns the scenario.
func Scenario() scenarios.Scenario {
	return scenarios.MustLoadWith(files, scenarios.Hooks{Checks: checks, Preflight: func(nodeArch string) string { return EmulationWarning(nodeArch, BinfmtDir) }})
}

func checks(b scenarios.Baseline) []grader.Check {
	base := b.Container(deployment, container)
	native, foreign, arch := b.Values.Image, b.Values.ForeignImage, b.Values.NodeArch
	return []grader.Check{
		grader.AppUnchanged(base, grader.AppParts{Command: true, Args: true},
			"the container's command or arguments changed: the app itself is fine, only its image is built for the wrong CPU; put the command and arguments back and change the image",
			"the container runs the app with its released command and arguments"),
		{Name: "image-matches-node", Run: func(s *grader.State) grader.Result {
			c := s.Container()
			switch {
			case c == nil:
				return grader.Fail("container %s is missing from Deployment %s", container, deployment)
			case c.Image == native:
				return grader.Result{Passed: true, Approach: "image-matches-node", Message: "the container runs the app's image built for the node's architecture (" + arch + ")"}
			case c.Image == foreign:
				return grader.Fail("the container still runs %s, whose binary is built for another CPU architecture than the node's (%s): switch to the app's image built for %s", c.Image, arch, arch)
			}
			return grader.Fail("%s is not the app's image built for the node's architecture (%s): an image that merely stays up is not the invoice API; use the app's own %s build", c.Image, arch, arch)
		}},
	}
}
