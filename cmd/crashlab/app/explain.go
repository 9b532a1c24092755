package app

import (
	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
)

func newExplainCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "explain <id>",
		Short:             "Explain why the scenario failed, the fix, and how to prevent it",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(_ *cobra.Command, args []string) error {
			return runExplain(g, args[0])
		},
	}
}

func runExplain(g *globals, id string) error {
	svc, err := g.offlineService()
	if err != nil {
		return err
	}
	e, err := svc.Explain(id)
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(map[string]string{"scenario": e.Scenario, "explanation": e.Text})
	}
	content.Explanation(g.streams.Out, e.Title, e.Text)
	return nil
}
