// Package mailerneverpull is the scenario where a Deployment with
// imagePullPolicy Never names an image the node does not hold
// (ErrImageNeverPull): the node may not pull it, so the app never runs.
package mailerneverpull

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// id is this folder's name, the scenario's id.
const id = "mailer-down-after-cluster-move"

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
		{Name: "image-on-node", Run: func(s *podstate.State) grader.Result {
			c, refused := grader.ReleasedImage(s, broken, released,
				"the container still names %s, which the node does not hold: with Never the node will not pull it, and with a pull there is no registry that serves it",
				// The repository as deployed: a registry's, when deployed from one.
				"%s is not the mailer's released image: an image that merely starts is not the mailer; use the released "+b.Values.Repository()+" tag the node holds")
			if refused != nil {
				return *refused
			}
			switch c.ImagePullPolicy {
			case corev1.PullNever:
				return grader.Result{Passed: true, Approach: "image-on-node", Message: fmt.Sprintf("the container names %s, which the node holds, and still never pulls", c.Image)}
			case corev1.PullIfNotPresent:
				return grader.Result{Passed: true, Approach: "if-not-present", Message: fmt.Sprintf("the container names %s, which the node holds, so IfNotPresent pulls nothing", c.Image)}
			}
			return grader.Fail("imagePullPolicy %s makes the node pull %s at every start, and this cluster has no registry: keep Never, or use IfNotPresent", c.ImagePullPolicy, c.Image)
		}},
	}
}
