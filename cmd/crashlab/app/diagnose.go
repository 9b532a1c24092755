package app

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/grader"
)

type diagnoseFlags struct {
	answers []string // question=value, as typed
}

func newDiagnoseCommand(g *globals) *cobra.Command {
	flags := &diagnoseFlags{}
	cmd := &cobra.Command{
		Use:               "diagnose <id>",
		Short:             "Answer the diagnosis questions; graded against the live pods",
		Long:              "Asks the scenario's diagnosis questions interactively when stdin is a terminal; otherwise pass every answer with --answer question=value (choice questions take the choice id).",
		Args:              idArgs(g, cobra.ExactArgs(1), "diagnose"),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runInterviewDiagnose(cmd.Context(), g, flags)
			}
			return runDiagnose(cmd.Context(), g, flags, args[0])
		},
	}
	cmd.Flags().StringArrayVar(&flags.answers, "answer", nil, "answer as question=value (repeat for each question)")
	withQuestionsInHelp(g, cmd)
	return cmd
}

func runDiagnose(ctx context.Context, g *globals, flags *diagnoseFlags, id string) error {
	// Answers are checked against the scenario's questions before any
	// cluster is touched: a typo is a usage error wherever the cluster is.
	offline, err := g.offlineService()
	if err != nil {
		return err
	}
	s, err := offline.Scenario(id)
	if err != nil {
		return err
	}
	// The questions with their choices in this attempt's order, which the
	// prompt and every message list them in.
	qs, err := offline.Questions(s.ID)
	if err != nil {
		return err
	}
	given, err := parseAnswers(flags.answers, s.ID, qs)
	if err != nil {
		return err
	}
	svc, err := g.connect(ctx)
	if err != nil {
		return err
	}
	// The same questions, with the texts of the variant the attempt record
	// names (the offline service knows only the base incident's).
	if played, err := svc.Questions(s.ID); err == nil {
		qs = played
	}
	interactive := len(flags.answers) == 0 && isTerminal(g.streams.In)
	missing := unanswered(qs, given)
	if interactive || len(missing) > 0 {
		// Not started is said before any question is asked or missed.
		if err := svc.RequireStarted(ctx, s.ID); err != nil {
			return advise(err, s.ID)
		}
	}
	if interactive {
		if err := ask(ctx, newPrompter(g.streams), qs, given); err != nil {
			return err
		}
	} else if len(missing) > 0 {
		return usageError{fmt.Errorf("no answer for %s: stdin is not a terminal, so pass --answer %s=... for each (choice questions take a choice id%s; `crashlab diagnose %s --help`)", strings.Join(missing, ", "), missing[0], choicesOf(qs, missing), s.ID)}
	}
	v, err := svc.Diagnose(ctx, s.ID, given)
	if err != nil {
		return advise(err, s.ID)
	}
	return printVerdict(g, v)
}

// printVerdict prints or emits a verdict; one that did not pass exits 1.
func printVerdict(g *globals, v grader.Verdict) error {
	if g.json() {
		if err := g.emit(v); err != nil {
			return err
		}
	} else {
		content.Verdict(g.streams.Out, v)
	}
	if !v.Passed {
		return ExitError{Code: 1}
	}
	return nil
}

// parseAnswers reads --answer question=value flags; a malformed one, or one
// for a question the scenario does not ask, is a usage error.
func parseAnswers(flags []string, id string, qs []grader.Question) (map[string]string, error) {
	given := map[string]string{}
	for _, a := range flags {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--answer %q: write it as question=value", a)}
		}
		// A second answer to the same question would silently replace
		// the first: which one was meant is the learner's to say.
		if first, dup := given[k]; dup {
			return nil, usageError{fmt.Errorf("--answer %s is given twice (%s=%s, then %s=%s): give each question one answer", k, k, first, k, v)}
		}
		given[k] = v
	}
	known := map[string]bool{}
	for _, q := range qs {
		known[q.ID] = true
	}
	for k := range given {
		if !known[k] {
			return nil, usageError{fmt.Errorf("--answer %s: scenario %s has no question %q (questions: %s)", k, id, k, questionIDs(qs))}
		}
	}
	if err := checkChoices(qs, given); err != nil {
		return nil, err
	}
	return given, nil
}

func questionIDs(qs []grader.Question) string {
	var ids []string
	for _, q := range qs {
		ids = append(ids, q.ID)
	}
	return strings.Join(ids, ", ")
}

func unanswered(qs []grader.Question, given map[string]string) []string {
	var out []string
	for _, q := range qs {
		if strings.TrimSpace(given[q.ID]) == "" {
			out = append(out, q.ID)
		}
	}
	sort.Strings(out)
	return out
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// ask runs the promptui questions: free text for facts, a list for choices.
func ask(ctx context.Context, p *prompter, qs []grader.Question, given map[string]string) error {
	for _, q := range qs {
		if given[q.ID] != "" {
			continue
		}
		if q.Fact != "" {
			ans, err := p.text(ctx, q.Prompt)
			if err != nil {
				return fmt.Errorf("question %s: %w", q.ID, err)
			}
			given[q.ID] = ans
			continue
		}
		items := make([]string, len(q.Choices))
		for i, c := range q.Choices {
			items[i] = c.Text
		}
		i, err := p.choose(ctx, q.Prompt, items, 0)
		if err != nil {
			return fmt.Errorf("question %s: %w", q.ID, err)
		}
		given[q.ID] = q.Choices[i].ID
	}
	return nil
}
