package app

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the incidents: id, level, your status and best score (the cause once solved or given up)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runList(g)
		},
	}
}

// runList needs no cluster: progress is kept per context name, which the
// flags give. The cause of an incident is shown only once the learner solved
// it or gave up on it.
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
	fmt.Fprintln(tw, "ID\tLEVEL\tSTATUS\tBEST\tTITLE\tCAUSE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Level, r.Status, scoreText(r.BestScore), r.Title, dashIfEmpty(r.Cause))
	}
	return tw.Flush()
}

// scoreText is a best score as the tables show it.
func scoreText(best *int) string {
	if best == nil {
		return "-"
	}
	return strconv.Itoa(*best)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
