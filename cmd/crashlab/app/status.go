package app

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/grader"
)

func newStatusCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "status [<id>]",
		Short:             "Show what the lab sees per pod: phase, waiting reason, restarts, last exit, ready",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), g, args)
		},
	}
}

// runStatus shows one scenario, which must be started, or every started one.
func runStatus(ctx context.Context, g *globals, ids []string) error {
	svc, err := g.connect(ctx, ids...)
	if err != nil {
		return err
	}
	seen, err := svc.Status(ctx, ids...)
	if err != nil {
		if len(ids) == 1 {
			return advise(err, ids[0])
		}
		return err
	}
	if g.json() {
		// One Facts per started scenario; JSON null when none is started.
		var all []grader.Facts
		for _, s := range seen {
			all = append(all, s.Facts)
		}
		return g.emit(all)
	}
	for _, s := range seen {
		content.Status(g.streams.Out, s.Scenario, s.Facts)
	}
	if len(seen) == 0 {
		g.say("No scenario is started. `crashlab list` shows them; `crashlab start <id>` starts one.")
	}
	return nil
}
