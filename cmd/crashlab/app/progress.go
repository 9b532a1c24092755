package app

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/lab"
)

func newProgressCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "progress",
		Short: "Your progress per incident: status, best score, time to diagnosis and fix, hints, the fix you used",
		Long: fmt.Sprintf("Shows, per incident, your status and best score, how long after the start your diagnosis and your fix first passed, the hints you read and the wrong diagnosis answers you gave in the attempt, and the accepted fix you used. "+
			"A solved incident scores %d, minus %d per hint and %d per wrong diagnosis answer (at least %d); giving up scores 0, and every later attempt at that incident scores at most %d. Your best attempt counts.",
			lab.MaxScore, lab.HintCost, lab.WrongAnswerCost, lab.MinScore, lab.MaxScoreAfterGiveUp),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runProgress(g)
		},
	}
}

// progressJSON is `progress -o json`.
type progressJSON struct {
	Incidents []incidentJSON `json:"incidents"`
	// Score is the sum of the best scores; Solved counts solved incidents.
	Score    int `json:"score"`
	MaxScore int `json:"maxScore"`
	Solved   int `json:"solved"`
}

// incidentJSON is one incident of progressJSON; times are in seconds and
// absent until they happened in the current attempt.
type incidentJSON struct {
	lab.ScenarioSummary
	Hints                 int      `json:"hints"`
	WrongAnswers          int      `json:"wrongAnswers"`
	DiagnosedAfterSeconds *float64 `json:"diagnosedAfterSeconds,omitempty"`
	FixedAfterSeconds     *float64 `json:"fixedAfterSeconds,omitempty"`
	Approach              string   `json:"approach,omitempty"`
}

// runProgress needs no cluster: it reads the learner's progress file.
func runProgress(g *globals) error {
	svc, err := g.offlineService()
	if err != nil {
		return err
	}
	if g.inWorkshop() {
		// A workshop learner's record is in the cluster when the lab's
		// controller keeps it.
		if svc, err = g.recordService(context.Background()); err != nil {
			return err
		}
	}
	rows := svc.Progress()
	report := progressJSON{Incidents: []incidentJSON{}, MaxScore: lab.MaxScore * len(rows)}
	for _, r := range rows {
		if r.BestScore != nil {
			report.Score += *r.BestScore
		}
		if r.Done {
			report.Solved++
		}
		report.Incidents = append(report.Incidents, incidentJSON{
			ScenarioSummary: r.ScenarioSummary, Hints: r.Hints, WrongAnswers: r.WrongAnswers,
			DiagnosedAfterSeconds: seconds(r.DiagnosedAfter), FixedAfterSeconds: seconds(r.FixedAfter), Approach: r.Approach,
		})
	}
	if g.json() {
		return g.emit(report)
	}
	tw := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tSTATUS\tBEST\tDIAGNOSED AFTER\tFIXED AFTER\tHINTS\tWRONG\tFIX USED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Level, statusText(r.ScenarioSummary), bestText(r.ScenarioSummary),
			durationText(r.DiagnosedAfter), durationText(r.FixedAfter), r.Hints, r.WrongAnswers, dashIfEmpty(r.Approach))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	summaries := make([]lab.ScenarioSummary, len(rows))
	for i, r := range rows {
		summaries[i] = r.ScenarioSummary
	}
	giveUpNote(g.streams.Out, summaries)
	fmt.Fprintf(g.streams.Out, "\nSolved %d of %d; score %d of %d.\n", report.Solved, len(rows), report.Score, report.MaxScore)
	return nil
}

func seconds(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	s := d.Round(time.Millisecond).Seconds()
	return &s
}

func durationText(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}
