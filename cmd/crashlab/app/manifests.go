package app

import (
	"context"

	"github.com/spf13/cobra"
)

func newManifestsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "manifests <id>",
		Short:             "Print the objects `start` deploys for a scenario, as YAML (for reading, or for `kubectl apply`)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runManifests(cmd.Context(), g, args[0])
		},
	}
}

// runManifests connects because the images depend on the nodes' architecture.
func runManifests(ctx context.Context, g *globals, id string) error {
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	out, err := svc.Manifests(ctx, id)
	if err != nil {
		return err
	}
	_, err = g.streams.Out.Write(out)
	return err
}
