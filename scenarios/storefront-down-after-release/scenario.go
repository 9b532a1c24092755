// Package storefronttag is the scenario where the Deployment names an image
// in a registry the node cannot reach, so every pull fails
// (ErrImagePull / ImagePullBackOff) and the app never runs.
package storefronttag

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// id is this folder's name, the scenario's id.
const id = "storefront-down-after-release"

func init() { scenarios.Register(id, scenarios.Hooks{Checks: checks}) }

// Scenario returns the scenario, as the catalogue loads it.
func Scenario() scenarios.Scenario { return scenarios.MustGet(id) }

func checks(b scenarios.Baseline) []grader.Check {
	released := b.Values.Image
	broken := ""
	if c := b.TargetContainer(); c != nil {
		broken = c.Image
	}
	return []grader.Check{
		{Name: "image-released", Run: func(s *podstate.State) grader.Result {
			c, refused := grader.ReleasedImage(s, broken, released,
				"the container still names %s, in a registry that exists only on the developers' laptops: whatever the pull policy, no node can get it",
				"%s is not the storefront's released image: an image that merely starts is not the shop; use the released image the platform loads onto the nodes")
			switch {
			case refused != nil:
				return *refused
			case c.ImagePullPolicy == corev1.PullAlways:
				return grader.Fail("imagePullPolicy Always makes the node pull %s at every start, and no registry serves the lab's images: keep IfNotPresent", c.Image)
			}
			return grader.Result{Passed: true, Approach: "released-image", Message: "the container runs the released image, which the node holds"}
		}},
	}
}
