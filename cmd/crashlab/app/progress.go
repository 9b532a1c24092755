package app

import (
	"context"
	"errors"
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProgress(cmd.Context(), g)
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
	// InvestigationNote says why the incidents carry no investigation (a
	// cluster that keeps no audit log, one not reached).
	InvestigationNote string `json:"investigationNote,omitempty"`
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
	// Investigation is how the current or last attempt was investigated,
	// from the cluster's audit log (see `crashlab replay`).
	Investigation *investigationJSON `json:"investigation,omitempty"`
}

// investigationJSON is a replay in a few numbers. What names where the
// evidence is (the expert path's steps, when it was seen) is there only
// once the attempt is over, as in `crashlab replay`.
type investigationJSON struct {
	// Looks and Writes count the learner's requests as commands; LabCommands
	// the lab's commands they ran.
	Looks       int `json:"looks"`
	Writes      int `json:"writes"`
	LabCommands int `json:"labCommands"`
	// WritesBeforeDiagnosis counts changes made before the diagnosis passed.
	WritesBeforeDiagnosis int  `json:"writesBeforeDiagnosis"`
	Revealed              bool `json:"revealed"`
	// EvidenceSeen, EvidenceAfterSeconds, StepsTaken and Steps compare the
	// looks with the expert path (only when revealed).
	EvidenceSeen         *bool    `json:"evidenceSeen,omitempty"`
	EvidenceAfterSeconds *float64 `json:"evidenceAfterSeconds,omitempty"`
	StepsTaken           *int     `json:"stepsTaken,omitempty"`
	Steps                *int     `json:"steps,omitempty"`
	// Command shows the whole timeline.
	Command string `json:"command"`
}

func investigationOf(r lab.Replay) *investigationJSON {
	n := r.Timeline.Count()
	out := &investigationJSON{Looks: n.Looks, Writes: n.Writes, LabCommands: n.LabCommands,
		WritesBeforeDiagnosis: len(r.Summary.WritesBefore), Revealed: r.Revealed, Command: "crashlab replay " + r.Scenario}
	if r.Revealed {
		seen, taken, steps := r.Summary.EvidenceSeen, 0, len(r.Summary.Steps)
		for _, st := range r.Summary.Steps {
			if st.Taken {
				taken++
			}
		}
		out.EvidenceSeen, out.StepsTaken, out.Steps = &seen, &taken, &steps
		if seen {
			out.EvidenceAfterSeconds = seconds(r.Summary.EvidenceAfter)
		}
	}
	return out
}

// addInvestigations reads the cluster's audit log once for every incident
// started; progress itself needs no cluster, so a cluster not reached is a
// note in the report, not an error.
func addInvestigations(ctx context.Context, g *globals, report *progressJSON) error {
	conn, err := g.dial(ctx)
	var svc *lab.Service
	if err == nil {
		svc, err = g.serviceOn(ctx, conn)
	}
	var replays map[string]lab.Replay
	if err == nil {
		replays, err = svc.Replays(ctx)
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, lab.ErrNoAuditLog):
		report.InvestigationNote = "this cluster keeps no audit log the lab can read: no investigation to show"
		return nil
	case err != nil:
		report.InvestigationNote = "the investigations were not read: " + err.Error()
		return nil
	}
	for i, inc := range report.Incidents {
		if r, ok := replays[inc.ID]; ok {
			report.Incidents[i].Investigation = investigationOf(r)
		}
	}
	return nil
}

// runProgress needs no cluster: it reads the learner's progress file.
func runProgress(ctx context.Context, g *globals) error {
	svc, err := g.offlineService()
	if err != nil {
		return err
	}
	if g.inWorkshop() {
		// A workshop learner's record is in the cluster when the lab's
		// controller keeps it.
		if svc, err = g.recordService(ctx); err != nil {
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
		if err := addInvestigations(ctx, g, &report); err != nil {
			return err
		}
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
