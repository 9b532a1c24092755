package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/drill"
)

type drillFlags struct {
	count   int
	seconds int
	seed    uint64
	typed   bool
	answers []string
	// incident drill (incident.go)
	incident bool
	limit    time.Duration
	level    int
}

func newDrillCommand(g *globals) *cobra.Command {
	flags := &drillFlags{}
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Timed interview questions: the triage, exit codes, statuses, which command shows what",
		Long: "Asks questions built from the lab's content (content/drill.yaml), each against the clock, and gives a score at the end. " +
			"Answer from a list (arrow keys), or with --typed by typing: the answer itself where it can be typed (137, CrashLoopBackOff, " +
			"kubectl logs <pod> --previous), a letter otherwise. Where runtimes differ, the question names the runtime it is about.\n\n" +
			"The same --seed asks the same questions in the same order with the same choices. Without a terminal, pass the answers " +
			"with --answers (one per question, in order: a letter, or a typed answer); the questions, your answers and the right ones are printed.\n\n" +
			"With --incident it is a timed incident instead, for an interview: it starts an incident the learner has not solved " +
			"(named only by its symptom), prints the page, and waits while the candidate works in another terminal with kubectl, " +
			"`crashlab diagnose`, `crashlab hint` and `crashlab check`. When the diagnosis and the fix have passed (or at --limit, " +
			"or on Ctrl-C, exit 130) it prints a report: the incident, its cause, the time from the page to a correct diagnosis " +
			"and to a passing fix, hints used, wrong answers, the fix approach and the score (-o json: the same as an object). " +
			"Give each candidate a learner: `crashlab --learner cand1 drill --incident`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flags.incident {
				for _, f := range []string{"count", "seconds", "seed", "typed", "answers"} {
					if cmd.Flags().Changed(f) {
						return usageError{fmt.Errorf("--%s is for the question drill, not --incident", f)}
					}
				}
				if err := checkLevel(flags.level); err != nil {
					return err
				}
				return runIncidentDrill(cmd.Context(), g, flags)
			}
			for _, f := range []string{"limit", "level"} {
				if cmd.Flags().Changed(f) {
					return usageError{fmt.Errorf("--%s is for --incident", f)}
				}
			}
			// --answers are graded at once, neither timed nor prompted.
			if cmd.Flags().Changed("answers") {
				for _, f := range []string{"seconds", "typed"} {
					if cmd.Flags().Changed(f) {
						return usageError{fmt.Errorf("--%s is for answering on a terminal; --answers are not timed or prompted: drop --%s", f, f)}
					}
				}
			}
			return runDrill(cmd.Context(), g, flags, cmd.Flags().Changed("seed"))
		},
	}
	// --count's top is the bank's size, checked when the bank is read.
	intRangeVar(cmd.Flags(), &flags.count, "count", 10, 0, math.MaxInt, "", "how many questions (0: all)")
	// Seconds become a time.Duration: more than it holds would overflow.
	intRangeVar(cmd.Flags(), &flags.seconds, "seconds", 30, 1, maxSeconds, "the most a duration holds", "seconds per question")
	seedVar(cmd.Flags(), &flags.seed, "seed", "seed for choosing and shuffling the questions (default: a new one each time, printed at the end)")
	cmd.Flags().BoolVar(&flags.typed, "typed", false, "type the answers instead of choosing them from a list")
	cmd.Flags().StringSliceVar(&flags.answers, "answers", nil, "answers without a terminal, one per question in order: a,b,137,...")
	cmd.Flags().BoolVar(&flags.incident, "incident", false, "a timed incident on the cluster instead of questions: start one not yet solved, wait for its diagnosis and fix, report")
	durationRangeVar(cmd.Flags(), &flags.limit, "limit", 30*time.Minute, time.Second, maxDuration, "with --incident: how long the candidate has")
	intRangeVar(cmd.Flags(), &flags.level, "level", 0, 0, maxLevel(), "the catalogue's levels; 0: any", "with --incident: pick only incidents of this level")
	return cmd
}

func runDrill(ctx context.Context, g *globals, flags *drillFlags, seedGiven bool) error {
	bank, err := content.Drill()
	if err != nil {
		return err
	}
	pool := drill.Pool(bank)
	if flags.count > len(pool) {
		return usageError{fmt.Errorf("--count %d: the drill has %d questions; give 1 to %d, or 0 for all", flags.count, len(pool), len(pool))}
	}
	seed := flags.seed
	if !seedGiven {
		seed = uint64(time.Now().UnixNano()) % 1_000_000
	}
	qs := drill.Pick(pool, seed, flags.count)
	// One answer per question: a missing one would be scored wrong and an
	// extra one ignored, both silently.
	if flags.answers != nil && len(flags.answers) != len(qs) {
		return usageError{fmt.Errorf("--answers has %d answer(s) for %d question(s): give one per question, in order (--count sets how many)", len(flags.answers), len(qs))}
	}
	d := &driller{out: g.textOut(), seed: seed, perQuestion: time.Duration(flags.seconds) * time.Second, typed: flags.typed}
	var results []drill.Result
	switch {
	case flags.answers != nil:
		results = d.grade(qs, flags.answers)
	case !isTerminal(g.streams.In):
		return usageError{fmt.Errorf("no answers: stdin is not a terminal, so pass --answers a,b,... (one per question, in order; a letter or a typed answer) with a --seed to know the questions")}
	default:
		d.p = newPrompter(Streams{In: g.streams.In, Out: g.textOut(), Err: g.streams.Err})
		results, err = d.ask(ctx, qs)
	}
	if g.json() {
		right, total := drill.Score(results)
		if jerr := g.emit(map[string]any{"seed": seed, "score": right, "total": total, "results": results}); jerr != nil {
			return jerr
		}
	} else {
		d.score(results)
	}
	if errors.Is(err, errPromptInterrupted) {
		return ExitError{Code: 130}
	}
	if errors.Is(err, errPromptClosed) {
		return nil
	}
	return err
}

// driller asks a drill's questions and words its results.
type driller struct {
	p           *prompter
	out         io.Writer
	seed        uint64
	perQuestion time.Duration
	typed       bool
	now         func() time.Time
}

func (d *driller) clock() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

// ask asks each question with its own deadline. Ctrl-C or the end of the
// input stops the drill; the questions asked so far are scored.
func (d *driller) ask(ctx context.Context, qs []drill.Question) ([]drill.Result, error) {
	var results []drill.Result
	for i, q := range qs {
		d.show(i, len(qs), q, d.typed && !q.Free())
		qctx, cancel := context.WithTimeout(ctx, d.perQuestion)
		began := d.clock()
		r := drill.Result{Question: q, Chose: -1}
		var err error
		switch {
		case !d.typed:
			var i int
			i, err = d.p.choose(qctx, "Your answer", q.Choices, 0)
			if err == nil {
				r.Chose, r.Given, r.Right = i, drill.Letter(i), q.Choose(i)
			}
		default:
			var s string
			label := "Your answer"
			if !q.Free() {
				label = "Your answer (a letter)"
			}
			s, err = d.p.text(qctx, label)
			if err == nil {
				r.Given = s
				r.Right, r.Chose = q.Judge(s)
			}
		}
		cancel()
		r.Took = d.clock().Sub(began).Round(time.Second)
		switch {
		case errors.Is(err, errTimeUp):
			r.TimedOut = true
		case err != nil:
			return results, err
		}
		results = append(results, r)
		d.verdict(r)
	}
	return results, nil
}

// grade judges answers given with --answers, in order; a question without
// an answer counts as wrong.
func (d *driller) grade(qs []drill.Question, answers []string) []drill.Result {
	var results []drill.Result
	for i, q := range qs {
		d.show(i, len(qs), q, true)
		r := drill.Result{Question: q, Chose: -1}
		if i < len(answers) {
			r.Given = strings.TrimSpace(answers[i])
			r.Right, r.Chose = q.Judge(r.Given)
		}
		fmt.Fprintf(d.out, "Your answer: %s\n", orNone(r.Given))
		results = append(results, r)
		d.verdict(r)
	}
	return results
}

// show prints a question; the choices are listed when they are to be read
// here (typed letters, --answers) rather than in a list prompt.
func (d *driller) show(i, n int, q drill.Question, listChoices bool) {
	timing := ""
	if d.p != nil {
		timing = ", " + d.perQuestion.String()
	}
	fmt.Fprintf(d.out, "\nQuestion %d of %d (%s%s)\n%s\n", i+1, n, q.Topic, timing, q.Prompt)
	if q.Runtime != "" {
		fmt.Fprintf(d.out, "Runtime: %s\n", q.Runtime)
	}
	if listChoices {
		for j, c := range q.Choices {
			fmt.Fprintf(d.out, "  %s) %s\n", drill.Letter(j), c)
		}
	}
}

func (d *driller) verdict(r drill.Result) {
	q := r.Question
	switch {
	case r.TimedOut:
		fmt.Fprintf(d.out, "Time's up. The answer: %s) %s\n", drill.Letter(q.Right), q.Choices[q.Right])
	case r.Right:
		fmt.Fprintln(d.out, "Right.")
	default:
		fmt.Fprintf(d.out, "Not quite. The answer: %s) %s\n", drill.Letter(q.Right), q.Choices[q.Right])
	}
	if q.Why != "" {
		fmt.Fprintf(d.out, "  %s\n", q.Why)
	}
	fmt.Fprintf(d.out, "  (%s)\n", q.Source)
}

func (d *driller) score(results []drill.Result) {
	right, total := drill.Score(results)
	pct := 0
	if total > 0 {
		pct = right * 100 / total
	}
	timedOut := 0
	for _, r := range results {
		if r.TimedOut {
			timedOut++
		}
	}
	fmt.Fprintf(d.out, "\nScore: %d/%d (%d%%)", right, total, pct)
	if timedOut > 0 {
		fmt.Fprintf(d.out, ", %d out of time", timedOut)
	}
	fmt.Fprintf(d.out, ". `crashlab drill --seed %d` asks the same questions again.\n", d.seed)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
