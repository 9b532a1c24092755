package app

import (
	"context"
	"fmt"

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
	// Said while it waits: a namespace takes a while to terminate.
	stop := g.startWait(ctx, fmt.Sprintf("deleting namespace %s and deploying %s again", ns, id))
	started, err := svc.Reset(ctx, id)
	stop()
	if err != nil {
		return advise(err, id)
	}
	g.say("%s is back in its broken state in %s.", started.Scenario.ID, started.Namespace)
	return nil
}
