package app

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the scenarios: id, title, level, done or not",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runList(g)
		},
	}
}

// runList needs no cluster: progress is kept per context name, which the
// flags give.
func runList(g *globals) error {
	svc, err := g.offlineService()
	if err != nil {
		return err
	}
	rows := svc.List()
	if g.json() {
		return g.emit(rows)
	}
	tw := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tDONE\tTITLE")
	for _, r := range rows {
		done := "-"
		if r.Done {
			done = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.ID, r.Level, done, r.Title)
	}
	return tw.Flush()
}
