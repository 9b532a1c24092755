package app

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
)

type hintFlags struct {
	all bool
}

func newHintCommand(g *globals) *cobra.Command {
	flags := &hintFlags{}
	cmd := &cobra.Command{
		Use:               "hint <id>",
		Short:             "Show the next hint, from where to look to what to change",
		Args:              idArgs(g, cobra.ExactArgs(1), "hint"),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runInterviewHint(cmd.Context(), g, flags)
			}
			return runHint(g, flags, args[0])
		},
	}
	cmd.Flags().BoolVar(&flags.all, "all", false, "show every hint")
	return cmd
}

// runHint needs no cluster: the hint count is kept in the learner's
// progress. It reads the attempt record when the cluster answers, so that a
// blind variant's hints name its objects.
func runHint(g *globals, flags *hintFlags, id string) error {
	svc, err := g.recordService(context.Background())
	if err != nil {
		return err
	}
	var h lab.Hints
	if flags.all {
		h, err = svc.AllHints(id)
	} else {
		h, err = svc.Hint(id)
	}
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(h.Seen())
	}
	content.Hints(g.streams.Out, h.Namespace, h.All, h.Shown)
	return nil
}
