package app

import (
	"context"

	"github.com/spf13/cobra"
)

func newResetCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "reset <id>",
		Short:             "Restore the scenario's broken state exactly (deletes and re-creates its namespace)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReset(cmd.Context(), g, args[0])
		},
	}
}

func runReset(ctx context.Context, g *globals, id string) error {
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	ns, err := svc.Namespace(id)
	if err != nil {
		return err
	}
	// Said first: waiting for a namespace to terminate takes a while.
	g.say("Deleting namespace %s and deploying %s again...", ns, id)
	started, err := svc.Reset(ctx, id)
	if err != nil {
		return advise(err, id)
	}
	g.say("%s is back in its broken state in %s.", started.Scenario.ID, started.Namespace)
	return nil
}
