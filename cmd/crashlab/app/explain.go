package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
)

type explainFlags struct {
	giveUp bool
}

func newExplainCommand(g *globals) *cobra.Command {
	flags := &explainFlags{}
	cmd := &cobra.Command{
		Use:               "explain <id>",
		Short:             "Explain why the scenario failed, the fix, and how to prevent it (once solved, or given up)",
		Long:              "Explains an incident you solved (your fix passed `crashlab check`) or gave up on. Before that it refuses: the explanation names the cause. `crashlab give-up <id>` (or `explain --give-up`) gives up, which scores the attempt 0, and shows it.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(_ *cobra.Command, args []string) error {
			return runExplain(g, args[0], flags.giveUp)
		},
	}
	cmd.Flags().BoolVar(&flags.giveUp, "give-up", false, "give up on the incident (it scores 0) and show the explanation")
	return cmd
}

func newGiveUpCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "give-up <id>",
		Short:             "Give up on an incident: it scores 0, and the explanation is shown",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(_ *cobra.Command, args []string) error {
			return runExplain(g, args[0], true)
		},
	}
}

// explanationJSON is `explain -o json` and `give-up -o json`.
type explanationJSON struct {
	Scenario    string               `json:"scenario"`
	Title       string               `json:"title"`
	Cause       string               `json:"cause"`
	Explanation string               `json:"explanation"`
	GaveUp      bool                 `json:"gaveUp"`
	Approach    string               `json:"approach,omitempty"`
	Approaches  []scenarios.Approach `json:"approaches"`
}

// runExplain needs no cluster: whether the incident is solved or given up
// is in the learner's progress.
func runExplain(g *globals, id string, giveUp bool) error {
	svc, err := g.offlineService()
	if err != nil {
		return err
	}
	var e lab.Explanation
	if giveUp {
		e, err = svc.GiveUp(id)
	} else {
		e, err = svc.Explain(id)
	}
	if errors.Is(err, lab.ErrNotSolved) {
		sc, _ := svc.Scenario(id)
		return fmt.Errorf("%w: the explanation names the cause, so it comes once your fix passes `crashlab check %s`; `crashlab give-up %s` shows it now (the incident then scores 0)", err, sc.ID, sc.ID)
	}
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(explanationJSON{Scenario: e.Scenario, Title: e.Title, Cause: e.Cause, Explanation: e.Text, GaveUp: e.GaveUp, Approach: e.Approach, Approaches: e.Approaches})
	}
	out := g.streams.Out
	content.Explanation(out, e.Title, e.Text)
	fmt.Fprintf(out, "\nCause: %s\n", e.Cause)
	list, heading := e.Others(), "Other accepted fixes:"
	switch a, ok := approachNamed(e.Approaches, e.Approach); {
	case e.GaveUp:
		fmt.Fprintln(out, "\nYou gave up on this one: it scores 0.")
		list, heading = e.Approaches, "Accepted fixes:"
	case ok:
		fmt.Fprintf(out, "\nYour fix: %s (%s).\n", a.Text, a.ID)
	case e.Approach != "":
		fmt.Fprintf(out, "\nYour fix: %s.\n", e.Approach)
	default:
		heading = "\nAccepted fixes:"
	}
	if len(list) > 0 {
		fmt.Fprintln(out, heading)
	}
	for _, a := range list {
		fmt.Fprintf(out, "  - %s (%s)\n", a.Text, a.ID)
	}
	return nil
}

func approachNamed(as []scenarios.Approach, id string) (scenarios.Approach, bool) {
	for _, a := range as {
		if a.ID == id {
			return a, true
		}
	}
	return scenarios.Approach{}, false
}
