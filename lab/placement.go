package lab

import (
	"context"

	"github.com/crashlab/crashlab/scenarios"
)

// Placement puts a service's scenario into a namespace the caller names,
// labelled with Labels instead of the lab's labels (which name the scenario):
// an interview's candidate works in a neutral namespace whose name and
// labels do not tell them the incident. A service with a placement acts on
// one scenario: every id resolves to the same namespace, so the caller
// always names that scenario.
type Placement struct {
	Namespace string
	// Labels go on the namespace and on every object deployed; they must
	// include cluster.LabelManagedBy, or the lab would refuse its own
	// namespace afterwards.
	Labels map[string]string
}

// WithPlacement deploys and judges the scenario in p.Namespace.
func WithPlacement(p Placement) Option {
	return optionFunc(func(s *Service) { s.placement = p })
}

// deploy is Start's one deploy: the lab's labels, or the placement's.
func (s *Service) deploy(ctx context.Context, sc scenarios.Scenario, ns string, vals scenarios.Values) error {
	if s.placement.Namespace == "" {
		return scenarios.Deploy(ctx, s.client, sc, ns, s.learner, vals)
	}
	return scenarios.DeployLabelled(ctx, s.client, sc, ns, s.placement.Labels, vals)
}
