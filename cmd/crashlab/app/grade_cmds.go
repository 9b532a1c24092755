package app

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/manifoldco/promptui"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

func clusterNamespace(g *globals, id string) (string, error) {
	return cluster.NamespaceFor(g.learner, id)
}

func newDiagnose(g *globals) *cobra.Command {
	var answers []string
	cmd := &cobra.Command{
		Use:               "diagnose <id>",
		Short:             "Answer the diagnosis questions; graded against the live pods",
		Long:              "Asks the scenario's diagnosis questions interactively when stdin is a terminal; otherwise pass every answer with --answer question=value (choice questions take the choice id).",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := catalog.Get(args[0])
			if err != nil {
				return err
			}
			given := map[string]string{}
			for _, a := range answers {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return usageError{fmt.Errorf("--answer %q: write it as question=value", a)}
				}
				given[k] = v
			}
			known := map[string]bool{}
			for _, q := range s.Questions {
				known[q.ID] = true
			}
			for k := range given {
				if !known[k] {
					return usageError{fmt.Errorf("--answer %s: scenario %s has no question %q (questions: %s)", k, s.ID, k, questionIDs(s.Questions))}
				}
			}
			e, err := g.connect(ctx)
			if err != nil {
				return err
			}
			ns, err := e.namespace(s.ID)
			if err != nil {
				return err
			}
			if _, err := e.requireStarted(ctx, s.ID, ns); err != nil {
				return err
			}
			interactive := len(answers) == 0 && isTerminal(g.streams.In)
			if interactive {
				if err := ask(g, s.Questions, given); err != nil {
					return err
				}
			} else if missing := unanswered(s.Questions, given); len(missing) > 0 {
				return usageError{fmt.Errorf("no answer for %s: stdin is not a terminal, so pass --answer %s=... for each (choice questions take a choice id; `crashlab diagnose %s --help`)", strings.Join(missing, ", "), missing[0], s.ID)}
			}
			f, err := grader.NewObserver(e.conn.Client).Observe(ctx, s.Target(ns))
			if err != nil {
				return err
			}
			v := grader.JudgeDiagnosis(s.ID, s.Workload.Container, s.Questions, given, f)
			if v.Passed {
				e.record(s.ID, func(en *progress.Entry) { en.Diagnosed = time.Now() })
			}
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
		},
	}
	cmd.Flags().StringArrayVar(&answers, "answer", nil, "answer as question=value (repeat for each question)")
	return cmd
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
func ask(g *globals, qs []grader.Question, given map[string]string) error {
	for _, q := range qs {
		if given[q.ID] != "" {
			continue
		}
		if q.Fact != "" {
			p := promptui.Prompt{Label: q.Prompt, Validate: func(s string) error {
				if strings.TrimSpace(s) == "" {
					return fmt.Errorf("type an answer")
				}
				return nil
			}}
			ans, err := p.Run()
			if err != nil {
				return fmt.Errorf("question %s: %w", q.ID, err)
			}
			given[q.ID] = strings.TrimSpace(ans)
			continue
		}
		items := make([]string, len(q.Choices))
		for i, c := range q.Choices {
			items[i] = c.Text
		}
		sel := promptui.Select{Label: q.Prompt, Items: items, Size: len(items)}
		i, _, err := sel.Run()
		if err != nil {
			return fmt.Errorf("question %s: %w", q.ID, err)
		}
		given[q.ID] = q.Choices[i].ID
	}
	return nil
}

func newCheck(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:               "check <id>",
		Short:             "Grade your fix against the live cluster: healthy, stable, and fixed the right way",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := catalog.Get(args[0]); err != nil {
				return err
			}
			e, err := g.connect(ctx)
			if err != nil {
				return err
			}
			s, ns, err := e.scenario(args[0])
			if err != nil {
				return err
			}
			if _, err := e.requireStarted(ctx, s.ID, ns); err != nil {
				return err
			}
			// The fix is judged against the record written at start, never
			// against what this binary would deploy today.
			attempt, err := scenarios.LoadAttempt(ctx, e.conn.Client, s, ns)
			if scenarios.IsRecordProblem(err) {
				return fmt.Errorf("%v: the fix cannot be judged without it; run `crashlab reset %s` to start a fresh attempt", err, s.ID)
			}
			if err != nil {
				return err
			}
			base, recorded := attempt.Baseline, attempt.UIDs
			live := s.Live(e.conn.Client, ns, base, grader.LiveOptions{
				ReadyTimeout: timeout,
				Replace:      true,
				Progress:     func(m string) { g.say("... %s", m) },
			})
			v, err := grader.JudgeFixWith(ctx, e.conn.Client, s.ID, s.Target(ns), recorded, s.FixChecks(base), live)
			if err != nil {
				return err
			}
			if v.Passed {
				e.record(s.ID, func(en *progress.Entry) { en.Fixed = time.Now(); en.Approach = v.Approach })
			}
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
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for pods to become Ready")
	return cmd
}

func newStatus(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "status [<id>]",
		Short:             "Show what the lab sees per pod: phase, waiting reason, restarts, last exit, ready",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) == 1 {
				if _, err := catalog.Get(args[0]); err != nil {
					return err
				}
			}
			e, err := g.connect(ctx)
			if err != nil {
				return err
			}
			list := catalog.All()
			if len(args) == 1 {
				s, err := catalog.Get(args[0])
				if err != nil {
					return err
				}
				list = list[:0]
				list = append(list, s)
			}
			obs := grader.NewObserver(e.conn.Client)
			var all []grader.Facts
			for _, s := range list {
				ns, err := e.namespace(s.ID)
				if err != nil {
					return err
				}
				if _, err := e.requireStarted(ctx, s.ID, ns); err != nil {
					if len(args) == 1 {
						return err
					}
					continue
				}
				f, err := obs.Observe(ctx, s.Target(ns))
				if err != nil {
					return err
				}
				all = append(all, f)
				if !g.json() {
					content.Status(g.streams.Out, s.ID, f)
				}
			}
			if g.json() {
				return g.emit(all)
			}
			if len(all) == 0 {
				g.say("No scenario is started. `crashlab list` shows them; `crashlab start <id>` starts one.")
			}
			return nil
		},
	}
}
