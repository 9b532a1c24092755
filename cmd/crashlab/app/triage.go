package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

type triageFlags struct {
	count  int
	seed   uint64
	labels []string
	// timeout bounds the wait for Ready pods in `triage check`.
	timeout time.Duration
}

func newTriageCommand(g *globals) *cobra.Command {
	flags := &triageFlags{}
	cmd := &cobra.Command{
		Use:   "triage [--count N] [--seed S]",
		Short: "A triage round: several broken workloads in one namespace; label each, then fix the one that matters most",
		Long: "Starts a triage round: --count broken workloads (default 3), drawn at random (--seed S gives the same round again: a trainer can hand the whole room one seed), side by side in one namespace.\n\n" +
			"Then `crashlab triage answer` labels each workload with its status family (CrashLoopBackOff, ImagePullBackOff, Pending, ...) and its root cause, each label judged against that workload's live pods; `crashlab triage check` grades your fix of the workload the page says to fix first; `crashlab triage end` deletes the round.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTriageStart(cmd.Context(), g, flags)
		},
	}
	// A round draws distinct incidents, so the catalogue is the most it can have.
	intRangeVar(cmd.Flags(), &flags.count, "count", lab.DefaultTriageCount, 2, len(catalog.All()), "a round draws distinct incidents of the catalogue", "how many broken workloads")
	seedVar(cmd.Flags(), &flags.seed, "seed", "the round's seed (default: a new one, printed)")

	answer := &cobra.Command{
		Use:   "answer [--label WORKLOAD=FAMILY,CAUSE ...]",
		Short: "Label each workload of the round with its status family and root cause",
		Long:  "Asks, for each workload of the round, its status family and its root cause (from every cause of the round, in the round's own order). Without a terminal pass --label Deployment/NAME=FAMILY,CAUSE-KEY for each; `crashlab triage answer --list` shows the families and the cause keys.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, _ := cmd.Flags().GetBool("list")
			return runTriageAnswer(cmd.Context(), g, flags, list)
		},
	}
	answer.Flags().StringArrayVar(&flags.labels, "label", nil, "WORKLOAD=FAMILY,CAUSE for one workload (repeat for each)")
	answer.Flags().Bool("list", false, "list the round's workloads, families and cause keys, then exit")

	check := &cobra.Command{
		Use:   "check",
		Short: "Grade your fix of the round's priority workload against the live cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTriageCheck(cmd.Context(), g, flags)
		},
	}
	durationRangeVar(check.Flags(), &flags.timeout, "timeout", 2*time.Minute, time.Second, maxDuration, "how long to wait for pods to become Ready")

	end := &cobra.Command{
		Use:   "end",
		Short: "Delete the round's namespace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := svc.EndTriage(cmd.Context()); err != nil {
				return err
			}
			g.say("Triage round ended.")
			return nil
		},
	}
	cmd.AddCommand(answer, check, end)
	return cmd
}

// triageJSON is the round as `-o json` shows it: never the scenario ids.
type triageJSON struct {
	Namespace string   `json:"namespace"`
	Seed      string   `json:"seed"`
	Workloads []string `json:"workloads"`
	Priority  string   `json:"priority"`
}

func runTriageStart(ctx context.Context, g *globals, flags *triageFlags) error {
	if flags.count < 2 {
		return usageError{fmt.Errorf("--count %d: a triage round needs at least 2 workloads", flags.count)}
	}
	svc, err := g.connect(ctx)
	if err != nil {
		return err
	}
	stop := g.startWait(ctx, "breaking workloads for the round")
	t, err := svc.StartTriage(ctx, lab.TriageOptions{Count: flags.count, Seed: flags.seed})
	stop()
	if errors.Is(err, scenarios.ErrAlreadyStarted) {
		return fmt.Errorf("%w: carry on with it (`crashlab triage answer`, `crashlab triage check`), or `crashlab triage end` and start again", err)
	}
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(triageJSON{Namespace: t.Namespace, Seed: strconv.FormatUint(t.Seed, 10), Workloads: t.Workloads, Priority: t.Priority})
	}
	out := g.streams.Out
	fmt.Fprintf(out, "== Triage round (seed %d) ==\n\n", t.Seed)
	fmt.Fprintf(out, "PAGE: several services in namespace %s went down at once:\n", t.Namespace)
	for _, w := range t.Workloads {
		fmt.Fprintf(out, "  - %s\n", w)
	}
	fmt.Fprintf(out, "\n%s serves customers directly: it is the one to fix first. The others can wait, but you have to say what is wrong with each.\n\n", t.Priority)
	fmt.Fprintf(out, "1. Label each workload with its status family and root cause: `crashlab triage answer`.\n")
	fmt.Fprintf(out, "2. Fix %s, then `crashlab triage check`.\n", t.Priority)
	fmt.Fprintf(out, "3. `crashlab triage end` when you are done.\n\nTry: kubectl -n %s get pods\n", t.Namespace)
	return nil
}

func runTriageAnswer(ctx context.Context, g *globals, flags *triageFlags, list bool) error {
	if list && len(flags.labels) > 0 {
		return usageError{errors.New("--list shows the choices and exits, so --label would be ignored: run one, then the other")}
	}
	// The labels' form is checked before connecting; whether the workloads,
	// families and causes are the round's is judged against the round.
	labels, err := parseTriageLabels(flags.labels)
	if err != nil {
		return err
	}
	svc, err := g.connect(ctx)
	if err != nil {
		return err
	}
	t, err := svc.Triage(ctx)
	if err != nil {
		return triageAdvice(err)
	}
	families, causes := t.TriageFamilies(), t.TriageCauses()
	if list && g.json() {
		return g.emit(struct {
			Workloads []string          `json:"workloads"`
			Families  []string          `json:"families"`
			Causes    []lab.TriageCause `json:"causes"`
		}{t.Workloads, families, causes})
	}
	if list {
		out := g.streams.Out
		fmt.Fprintf(out, "Workloads: %s\nFamilies: %s\nCauses:\n", strings.Join(t.Workloads, ", "), strings.Join(families, ", "))
		for _, c := range causes {
			fmt.Fprintf(out, "  %s  %s\n", c.Key, c.Text)
		}
		return nil
	}
	if len(flags.labels) == 0 {
		if !isTerminal(g.streams.In) {
			return usageError{fmt.Errorf("stdin is not a terminal: pass --label WORKLOAD=FAMILY,CAUSE for each workload (`crashlab triage answer --list` shows the choices)")}
		}
		p := newPrompter(g.streams)
		texts := make([]string, len(causes))
		for i, c := range causes {
			texts[i] = c.Text
		}
		for _, w := range t.Workloads {
			i, err := p.choose(ctx, w+": which status family?", families, 0)
			if err != nil {
				return err
			}
			j, err := p.choose(ctx, w+": what is the root cause?", texts, 0)
			if err != nil {
				return err
			}
			labels[w] = lab.TriageLabel{Family: families[i], Cause: causes[j].Key}
		}
	}
	v, err := svc.JudgeTriage(ctx, labels)
	if err != nil {
		return triageAdvice(err)
	}
	return printVerdict(g, v)
}

func runTriageCheck(ctx context.Context, g *globals, flags *triageFlags) error {
	svc, err := g.connect(ctx)
	if err != nil {
		return err
	}
	stop := g.startWait(ctx, "checking the priority workload")
	v, err := svc.CheckTriage(ctx, lab.CheckOptions{ReadyTimeout: flags.timeout})
	stop()
	if err != nil {
		return triageAdvice(err)
	}
	return printVerdict(g, v)
}

// parseTriageLabels reads --label WORKLOAD=FAMILY,CAUSE flags; a malformed
// one, or a second label for the same workload, is a usage error.
func parseTriageLabels(flags []string) (map[string]lab.TriageLabel, error) {
	labels := map[string]lab.TriageLabel{}
	for _, f := range flags {
		w, rest, ok := strings.Cut(f, "=")
		fam, cause, ok2 := strings.Cut(rest, ",")
		if !ok || !ok2 || w == "" || fam == "" || cause == "" {
			return nil, usageError{fmt.Errorf("--label %q: write WORKLOAD=FAMILY,CAUSE, e.g. --label Deployment/web=CrashLoopBackOff,KEY (crashlab triage answer --list shows the keys)", f)}
		}
		if _, dup := labels[w]; dup {
			return nil, usageError{fmt.Errorf("--label %s is given twice: label each workload once", w)}
		}
		labels[w] = lab.TriageLabel{Family: fam, Cause: cause}
	}
	return labels, nil
}

// triageAdvice says what to do about a round that is missing or untrusted.
func triageAdvice(err error) error {
	switch {
	case errors.Is(err, lab.ErrNoTriage):
		return fmt.Errorf("%w: start one with `crashlab triage`", err)
	case scenarios.IsRecordProblem(err):
		return fmt.Errorf("%w: the round cannot be judged; `crashlab triage end`, then `crashlab triage` again", err)
	case errors.Is(err, podstate.ErrInterrupted):
		return err
	}
	return err
}
