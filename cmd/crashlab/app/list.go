package app

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
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
	// The source column only once a pack adds incidents: without one,
	// every incident is built in.
	packs := slices.ContainsFunc(rows, func(r lab.ScenarioSummary) bool { return r.Source != scenarios.SourceBuiltIn })
	head := "ID\tLEVEL\tSTATUS\tBEST\tTITLE\tCAUSE"
	if packs {
		head += "\tSOURCE"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s", r.ID, r.Level, statusText(r), bestText(r), r.Title, dashIfEmpty(r.Cause))
		if packs {
			line += "\t" + r.Source
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	giveUpNote(g.streams.Out, rows)
	return nil
}

// statusText is a row's status as list, progress and play's picker show it:
// an attempt after a give-up says so, since it is scored against it.
func statusText(r lab.ScenarioSummary) string {
	if r.AfterGiveUp && r.Status != lab.StatusGivenUp {
		return string(r.Status) + ", after give-up"
	}
	return string(r.Status)
}

// bestText is a row's best score, with the cap once a give-up set one.
func bestText(r lab.ScenarioSummary) string {
	if r.AfterGiveUp {
		return fmt.Sprintf("%s (max %d)", scoreText(r.BestScore), r.ScoreCap)
	}
	return scoreText(r.BestScore)
}

// giveUpNote says, under a table with an incident given up, why its score
// is capped.
func giveUpNote(w io.Writer, rows []lab.ScenarioSummary) {
	if slices.ContainsFunc(rows, func(r lab.ScenarioSummary) bool { return r.AfterGiveUp }) {
		fmt.Fprintf(w, "\nAfter a give-up, an incident scores at most %d: you have read its cause and the accepted fixes.\n", lab.MaxScoreAfterGiveUp)
	}
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
