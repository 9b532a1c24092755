package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
)

type learnFlags struct {
	page int
}

func newLearnCommand(g *globals) *cobra.Command {
	flags := &learnFlags{}
	cmd := &cobra.Command{
		Use:   "learn",
		Short: "Page through a short primer: the triage, exit codes, look-alike statuses, the back-off, prevention",
		Long: "Pages through the lab's primer, each fact marked with where it comes from: observed by the lab's e2e suite (on " +
			content.ObservedOn + "), documented, or how the lab is set up. On a terminal it shows one page at a time; " +
			"otherwise it prints every page.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLearn(cmd.Context(), g, flags)
		},
	}
	intRangeVar(cmd.Flags(), &flags.page, "page", 1, 1, len(content.Learn()), "the primer's pages", "page to start at")
	return cmd
}

func runLearn(ctx context.Context, g *globals, flags *learnFlags) error {
	pages := content.Learn()
	if g.json() {
		return g.emit(pages[flags.page-1:])
	}
	if !isTerminal(g.streams.In) || !isTerminal(g.streams.Out) {
		for i := flags.page - 1; i < len(pages); i++ {
			showPage(g.streams.Out, pages, i)
		}
		return nil
	}
	return pageThrough(ctx, newPrompter(g.streams), g.streams.Out, pages, flags.page-1)
}

func showPage(w io.Writer, pages []content.LearnPage, i int) {
	title := fmt.Sprintf("── %d/%d  %s ", i+1, len(pages), pages[i].Title)
	fmt.Fprintf(w, "\n%s%s\n\n%s\n", title, strings.Repeat("─", max(0, 72-len([]rune(title)))), pages[i].Text)
}

// pageThrough shows one page at a time with a menu to move on.
func pageThrough(ctx context.Context, p *prompter, w io.Writer, pages []content.LearnPage, i int) error {
	for {
		showPage(w, pages, i)
		type move struct {
			label string
			to    int // -1: leave
		}
		var moves []move
		if i+1 < len(pages) {
			moves = append(moves, move{"Next: " + pages[i+1].Title, i + 1})
		} else {
			moves = append(moves, move{"Done (`crashlab play` to practise, `crashlab drill` to test yourself)", -1})
		}
		if i > 0 {
			moves = append(moves, move{"Back: " + pages[i-1].Title, i - 1})
		}
		if i+1 < len(pages) {
			moves = append(moves, move{"Quit", -1})
		}
		items := make([]string, len(moves))
		for j, m := range moves {
			items[j] = m.label
		}
		fmt.Fprintln(w)
		j, err := p.choose(ctx, fmt.Sprintf("Page %d of %d", i+1, len(pages)), items, 0)
		switch {
		case errors.Is(err, errPromptClosed):
			return nil
		case errors.Is(err, errPromptInterrupted):
			return ExitError{Code: 130}
		case err != nil:
			return err
		}
		if moves[j].to < 0 {
			return nil
		}
		i = moves[j].to
	}
}
