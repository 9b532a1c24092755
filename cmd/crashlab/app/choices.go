package app

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/grader"
)

// checkChoices refuses an answer to a choice question that names none of
// its choices, listing them in the attempt's order.
func checkChoices(qs []grader.Question, given map[string]string) error {
	for _, q := range qs {
		ans := strings.TrimSpace(given[q.ID])
		if q.Fact != "" || ans == "" {
			continue
		}
		if !slices.ContainsFunc(q.Choices, func(c grader.Choice) bool { return strings.EqualFold(c.ID, ans) }) {
			return usageError{fmt.Errorf("--answer %s=%s: %q is not one of the choices (%s)", q.ID, ans, ans, strings.Join(choiceIDs(q), ", "))}
		}
	}
	return nil
}

// choicesOf lists the choice ids of the named choice questions, for a
// one-line message: "; cause: a, b, c".
func choicesOf(qs []grader.Question, ids []string) string {
	var b strings.Builder
	for _, q := range qs {
		if q.Fact == "" && slices.Contains(ids, q.ID) {
			fmt.Fprintf(&b, "; %s: %s", q.ID, strings.Join(choiceIDs(q), ", "))
		}
	}
	return b.String()
}

func choiceIDs(q grader.Question) []string {
	ids := make([]string, len(q.Choices))
	for i, c := range q.Choices {
		ids[i] = c.ID
	}
	return ids
}

// withQuestionsInHelp makes `crashlab diagnose <id> --help` list the
// scenario's questions and, for choice questions, the choices in the order of
// the learner's attempt: what --answer takes, without a terminal.
func withQuestionsInHelp(g *globals, cmd *cobra.Command) {
	base := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		base(c, args)
		ids := c.Flags().Args()
		if len(ids) == 0 {
			fmt.Fprintln(c.OutOrStdout(), "\n`crashlab diagnose <id> --help` lists that incident's questions and choices.")
			return
		}
		svc, err := g.offlineService()
		if err != nil {
			return
		}
		s, err := svc.Scenario(ids[0])
		if err != nil {
			return
		}
		qs, err := svc.Questions(s.ID)
		if err != nil {
			return
		}
		writeQuestions(c.OutOrStdout(), s.ID, qs)
	})
}

// writeQuestions lists questions as --answer flags, choices in their order.
func writeQuestions(w io.Writer, id string, qs []grader.Question) {
	fmt.Fprintf(w, "\nQuestions of %s (choices in this attempt's order):\n", id)
	for _, q := range qs {
		if q.Fact != "" {
			fmt.Fprintf(w, "\n  --answer %s=<value>\n      %s\n", q.ID, q.Prompt)
			continue
		}
		fmt.Fprintf(w, "\n  --answer %s=<choice>\n      %s\n", q.ID, q.Prompt)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range q.Choices {
			fmt.Fprintf(tw, "      %s\t%s\n", c.ID, c.Text)
		}
		tw.Flush()
	}
}
