package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
)

// The menu of `play`, each item with the command that does the same.
var playMenu = []struct {
	do, label, command string
}{
	{"hint", "Hint", "crashlab hint %s"},
	{"diagnose", "Answer the diagnosis", "crashlab diagnose %s"},
	{"check", "Check my fix", "crashlab check %s"},
	{"status", "What the lab sees now", "crashlab status %s"},
	{"page", "Show the page again", "crashlab start %s"},
	{"reset", "Reset to the broken state", "crashlab reset %s"},
	{"explain", "Give up and explain", "crashlab give-up %s"},
	{"another", "Another incident", "crashlab list"},
	{"quit", "Quit (progress is kept)", ""},
}

func newPlayCommand(g *globals) *cobra.Command {
	var menu strings.Builder
	for _, m := range playMenu {
		cmd := strings.ReplaceAll(m.command, "%s", "<id>")
		if cmd == "" {
			cmd = "(or Ctrl-C)"
		}
		fmt.Fprintf(&menu, "  %-27s %s\n", m.label, cmd)
	}
	return &cobra.Command{
		Use:   "play [<id>]",
		Short: "The guided loop: pick an incident, investigate, answer, fix and check it from one menu",
		Long: "Pick an incident (solved ones are marked), and crashlab starts it on the lab cluster and shows the page. " +
			"Investigate with kubectl in another terminal; the menu does the rest. It needs a cluster that is up " +
			"(`crashlab up` creates the lab's) and a terminal.\n\n" +
			"Every menu item is a command you can run yourself:\n" + menu.String() + "\n" +
			"Ctrl-C at the menu leaves play; what you did (started, hints, diagnosis, fix) is kept in your progress, " +
			"and `crashlab play` picks it up again. Ctrl-C while a question is asked goes back to the menu; " +
			"Ctrl-C while a check or a reset waits ends play like any interrupt (exit 130), with the progress kept too.",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlay(cmd.Context(), g, args)
		},
	}
}

func runPlay(ctx context.Context, g *globals, args []string) error {
	if !isTerminal(g.streams.In) {
		return usageError{errors.New("play needs a terminal (stdin is not one): run its steps as commands instead, `crashlab start <id>`, `crashlab hint <id>`, `crashlab diagnose <id> --answer question=value`, `crashlab check <id>` (see `crashlab play --help`)")}
	}
	svc, err := playService(ctx, g, args)
	if err != nil {
		return err
	}
	first := ""
	if len(args) == 1 {
		first = args[0]
	}
	return (&player{g: g, svc: svc, p: newPrompter(g.streams), out: g.streams.Out}).run(ctx, first)
}

// playService connects; without a cluster it says how to get one.
func playService(ctx context.Context, g *globals, ids []string) (*lab.Service, error) {
	svc, err := g.connect(ctx, ids...)
	if err == nil || ctx.Err() != nil {
		return svc, err
	}
	err = withAdvice(err)
	if !strings.Contains(err.Error(), "crashlab up") && g.context == "" {
		return nil, fmt.Errorf("%w: play needs a cluster that is up; `crashlab up` creates the lab's", err)
	}
	return nil, err
}

// player is one session of `play`.
type player struct {
	g   *globals
	svc *lab.Service
	p   *prompter
	out io.Writer
}

// run picks incidents and plays them until the learner quits.
func (pl *player) run(ctx context.Context, id string) error {
	for {
		if id == "" {
			var err error
			if id, err = pl.pick(ctx); err != nil {
				return pl.leave(err)
			}
		}
		started, err := pl.start(ctx, id)
		if err != nil {
			return err
		}
		another, err := pl.menu(ctx, started)
		if err != nil || !another {
			return pl.leave(err)
		}
		id = ""
	}
}

// leave ends play: a quit, Ctrl-C or the end of the input leaves the
// learner's progress as it is, and says so.
func (pl *player) leave(err error) error {
	switch {
	case err == nil, errors.Is(err, errPromptClosed):
		fmt.Fprintln(pl.out, "Left play. Your progress is kept: `crashlab list` shows it, `crashlab play` goes on.")
		return nil
	case errors.Is(err, errPromptInterrupted), errors.Is(err, context.Canceled):
		// Ctrl-C comes as a key while a menu holds the terminal in raw mode,
		// and as SIGINT between two menus: the learner sees the same either way.
		fmt.Fprintln(pl.out, "Left play (Ctrl-C). Your progress is kept: `crashlab list` shows it, `crashlab play` goes on.")
		return ExitError{Code: 130}
	}
	return err
}

// pick asks which incident to play; the status is marked as list shows it
// (solved with its best score, after a give-up), and the cursor starts on
// the first one still open.
func (pl *player) pick(ctx context.Context) (string, error) {
	rows := pl.svc.List()
	items := make([]string, len(rows))
	marks := make([]string, len(rows))
	width := 10
	cursor := -1
	for i, r := range rows {
		switch {
		case r.Status == lab.StatusSolved && r.BestScore != nil:
			marks[i] = fmt.Sprintf("solved %d", *r.BestScore)
			if r.AfterGiveUp {
				marks[i] += ", after give-up"
			}
		case r.Status != lab.StatusNotStarted:
			marks[i] = statusText(r)
		}
		width = max(width, len(marks[i]))
		if cursor < 0 && r.Status != lab.StatusSolved && r.Status != lab.StatusGivenUp {
			cursor = i
		}
	}
	for i, r := range rows {
		items[i] = fmt.Sprintf("%-*s  L%d  %-30s  %s", width, marks[i], r.Level, r.ID, r.Title)
	}
	i, err := pl.p.choose(ctx, "Which incident?", items, max(cursor, 0))
	if err != nil {
		return "", err
	}
	return rows[i].ID, nil
}

// start deploys the incident, or carries on with it when it is running
// already, and shows its page.
func (pl *player) start(ctx context.Context, id string) (lab.Started, error) {
	started, err := pl.svc.Start(ctx, id)
	switch {
	case errors.Is(err, scenarios.ErrAlreadyStarted):
		fmt.Fprintf(pl.out, "%s is already running in %s: carrying on with it (Reset in the menu starts over).\n", started.Scenario.ID, started.Namespace)
	case err != nil:
		return started, advise(err, id)
	}
	pl.page(started)
	return started, nil
}

func (pl *player) page(s lab.Started) {
	content.Briefing(pl.out, s.Scenario.Title, s.Scenario.ID, s.Namespace, s.Scenario.Briefing)
	fmt.Fprintln(pl.out, "\nInvestigate with kubectl in another terminal; come back to this menu when you know more.")
}

// menu runs the menu for one incident. It returns another=true when the
// learner wants another incident, and an error when play ends otherwise.
func (pl *player) menu(ctx context.Context, s lab.Started) (another bool, err error) {
	id := s.Scenario.ID
	items := make([]string, len(playMenu))
	for i, m := range playMenu {
		cmd := m.command
		if strings.Contains(cmd, "%s") {
			cmd = fmt.Sprintf(cmd, id)
		}
		if cmd != "" {
			cmd = "`" + cmd + "`"
		}
		items[i] = fmt.Sprintf("%-27s %s", m.label, cmd)
	}
	cursor := 0
	for {
		fmt.Fprintln(pl.out)
		i, err := pl.p.choose(ctx, id+": what next?", items, cursor)
		if err != nil {
			return false, err
		}
		cursor = i
		switch playMenu[i].do {
		case "quit":
			return false, nil
		case "another":
			return true, nil
		}
		if err := pl.do(ctx, playMenu[i].do, s); err != nil {
			if ctx.Err() != nil {
				// SIGINT or SIGTERM during a wait: the command ends (exit 130).
				return false, ctx.Err()
			}
			fmt.Fprintf(pl.g.streams.Err, "crashlab: %s\n", firstLine(withAdvice(err).Error()))
		}
	}
}

// do runs one menu item, as its command would.
func (pl *player) do(ctx context.Context, what string, s lab.Started) error {
	id := s.Scenario.ID
	switch what {
	case "hint":
		h, err := pl.svc.Hint(id)
		if err != nil {
			return err
		}
		content.Hints(pl.out, h.Namespace, h.All, h.Shown)
	case "diagnose":
		// The choices in this attempt's order, as `crashlab diagnose` shows them.
		qs, err := pl.svc.Questions(id)
		if err != nil {
			return err
		}
		given := map[string]string{}
		if err := ask(ctx, pl.p, qs, given); err != nil {
			if errors.Is(err, errPromptInterrupted) || errors.Is(err, errPromptClosed) {
				fmt.Fprintln(pl.out, "Diagnosis left unanswered.")
				return nil
			}
			return err
		}
		v, err := pl.svc.Diagnose(ctx, id, given)
		if err != nil {
			return advise(err, id)
		}
		content.Verdict(pl.out, v)
	case "check":
		stop := pl.g.startWait(ctx, "checking "+id)
		v, err := pl.svc.Check(ctx, id, lab.CheckOptions{})
		stop()
		if err != nil {
			return advise(err, id)
		}
		content.Verdict(pl.out, v)
	case "status":
		seen, err := pl.svc.Status(ctx, id)
		if err != nil {
			return advise(err, id)
		}
		for _, f := range seen {
			content.Status(pl.out, f.Scenario, f.Facts)
		}
		fmt.Fprintf(pl.out, "(`crashlab status --watch %s` in another terminal follows it live)\n", id)
	case "page":
		pl.page(s)
	case "reset":
		stop := pl.g.startWait(ctx, fmt.Sprintf("deleting namespace %s and deploying %s again", s.Namespace, id))
		started, err := pl.svc.Reset(ctx, id)
		stop()
		if err != nil {
			return advise(err, id)
		}
		fmt.Fprintf(pl.out, "%s is back in its broken state in %s.\n", id, started.Namespace)
	case "explain":
		return pl.giveUp(ctx, id)
	}
	return nil
}

// giveUp shows the explanation: at once for an incident solved or given up
// already, after a confirmation otherwise, since giving up scores it 0.
func (pl *player) giveUp(ctx context.Context, id string) error {
	e, err := pl.svc.Explain(id)
	if errors.Is(err, lab.ErrNotSolved) {
		i, perr := pl.p.choose(ctx, fmt.Sprintf("Give up on %s? It then scores 0, and a later attempt at most %d", id, lab.MaxScoreAfterGiveUp), []string{"No, keep at it", "Yes, give up and explain"}, 0)
		if perr != nil || i == 0 {
			if perr != nil && !errors.Is(perr, errPromptInterrupted) && !errors.Is(perr, errPromptClosed) {
				return perr
			}
			return nil
		}
		e, err = pl.svc.GiveUp(id)
	}
	if err != nil {
		return err
	}
	content.Explanation(pl.out, e.Title, e.Text)
	fmt.Fprintf(pl.out, "\nCause: %s\n", e.Cause)
	if e.GaveUp {
		fmt.Fprintln(pl.out, "You gave up on this one: it scores 0. `crashlab explain "+id+"` shows this again, with the accepted fixes.")
	}
	return nil
}
