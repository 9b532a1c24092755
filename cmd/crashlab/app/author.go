package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/author"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

func newAuthorCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "author",
		Short: "Write your own incidents as data: a skeleton, offline checks, a live proof",
		Long: `Incidents are folders of data: scenario.yaml (the story, the questions, the
fix checks in CEL), manifests.yaml (the broken workload), explanation.md, and
fixes/ (an accepted fix, a refused shortcut and the diagnosis's answers, which
never reach a learner). A pack is a folder of them with a pack.yaml; crashlab
runs a pack's incidents beside its own with --incidents DIR.

  crashlab author new ID           write a working incident to start from
  crashlab author validate DIR     check a pack or an incident without a cluster
  crashlab author test DIR         prove it on a cluster (deploy, diagnose, fix)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAuthorNewCommand(g), newAuthorValidateCommand(g), newAuthorTestCommand(g))
	return cmd
}

func newAuthorNewCommand(g *globals) *cobra.Command {
	var parent string
	cmd := &cobra.Command{
		Use:   "new ID",
		Short: "Write a working incident skeleton into DIR/ID (never over anything there)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dir, err := author.New(parent, args[0])
			switch {
			case errors.Is(err, author.ErrBadID):
				return usageError{fmt.Errorf("author new: %w: pick another id", err)}
			case errors.Is(err, author.ErrExists):
				return usageError{fmt.Errorf("author new: %s is already there: pick another id or --dir; nothing was written", dir)}
			case err != nil:
				if _, serr := os.Stat(parent); serr != nil {
					return usageError{fmt.Errorf("author new: --dir %s: no such folder", parent)}
				}
				return err
			}
			if g.json() {
				return g.emit(map[string]string{"dir": dir})
			}
			g.say("Wrote %s: scenario.yaml, manifests.yaml, explanation.md and fixes/.", dir)
			g.say("Next: crashlab author validate %s, then crashlab author test %s on a cluster.", dir, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&parent, "dir", ".", "the folder to write the incident's folder in (a pack's folder)")
	return cmd
}

func newAuthorValidateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Check a pack or an incident folder without a cluster, one line per problem",
		Long: `validate checks a pack (a folder with pack.yaml) or one incident folder
without a cluster: every file decoded strictly (an unknown field is an error at
its line), every CEL check compiled and type-checked, every fixes/ file
replayed on a fake cluster against the static checks (for the incident and a
blind variant), the diagnosis's intended choices free of wording tells, and
the page free of the evidence that gives the cause away.

It exits 0 when nothing is wrong and 1 with one line per problem.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := author.Validate(cmd.Context(), args[0], author.Options{LabVersion: Version})
			if errors.Is(err, author.ErrNotAuthored) {
				return usageError{fmt.Errorf("author validate: %w: name a pack's folder (with pack.yaml) or an incident's (with scenario.yaml)", err)}
			}
			if err != nil {
				return err
			}
			if r.Problems == nil {
				r.Problems = []author.Problem{}
			}
			if g.json() {
				if err := g.emit(r); err != nil {
					return err
				}
			} else {
				for _, p := range r.Problems {
					fmt.Fprintln(g.streams.Out, p.String())
				}
			}
			if !r.OK() {
				return fmt.Errorf("%s: %d problem(s) in %d incident(s)", args[0], len(r.Problems), len(r.Incidents))
			}
			n := 0
			for _, o := range r.Fixes {
				n += len(o)
			}
			g.say("%s: %d incident(s) valid; %d fixes replayed offline.", args[0], len(r.Incidents), n)
			return nil
		},
	}
}

func newAuthorTestCommand(g *globals) *cobra.Command {
	var only []string
	var parallel int
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Prove a pack or an incident on the cluster: failure, facts, diagnosis, reset, every fix",
		Long: `test plays a pack or an incident folder on the cluster as learners meet it:
each incident is deployed and must show its failure signature, every fact its
texts state is re-observed on the pods, the check must refuse the incident as
deployed, the diagnosis is answered with the intended answers (which must
pass) and the wrong ones (which must not), the incident is reset, and every
fixes/ file is applied under its own learner and judged by the lab's real
check: accepted fixes pass with their approach, shortcuts are refused first
by the check they name. Each of these runs in its own namespace, deleted as
it ends; a failed row shows the namespace's warnings. Your own progress is
left alone.

It exits 0 when every row passed and 1 otherwise; -o json prints the rows.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if parallel < 1 {
				return usageError{fmt.Errorf("--parallel %d: run at least 1 job at a time", parallel)}
			}
			// The folder first: a mistake there needs no cluster.
			if _, _, err := author.Load(dir, Version); err != nil {
				if errors.Is(err, author.ErrNotAuthored) {
					return usageError{fmt.Errorf("author test: %w: name a pack's folder (with pack.yaml) or an incident's (with scenario.yaml)", err)}
				}
				return usageError{fmt.Errorf("author test: %s has mistakes (%s): `crashlab author validate %s` lists them", dir, firstLine(err.Error()), dir)}
			}
			ctx := cmd.Context()
			conn, err := g.dial(ctx)
			if err != nil {
				return err
			}
			vals, err := fixes.LiveValues(ctx, conn.Client)
			if err != nil {
				return err
			}
			if g.registry != "" {
				vals.Image, vals.ForeignImage = images.RefInRegistry(vals.Image, g.registry), images.RefInRegistry(vals.ForeignImage, g.registry)
			}
			// A progress folder of its own: a test is not the author's play.
			progressDir, err := os.MkdirTemp("", "crashlab-author-test-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(progressDir)
			ensurer := lab.ClusterImages{Client: conn.Client, IsLab: conn.IsLab, Logger: newLogger(g)}
			rows, err := author.Test(ctx, dir, author.TestOptions{
				Client: conn.Client, Values: vals, Parallel: parallel, Only: only, LabVersion: Version,
				Service: func(learner string, c lab.Catalog) (*lab.Service, error) {
					return lab.New(conn.Client, lab.WithCatalog(c), lab.WithContextName(conn.Context), lab.WithLearner(learner),
						lab.WithProgressDir(progressDir), lab.WithRegistry(g.registry, g.insecureRegistry), lab.WithImageEnsurer(ensurer))
				},
				Progress: func(r author.Row) {
					if !g.json() {
						g.progress(fmt.Sprintf("%s %s %s: %s", r.Incident, r.Step, r.Fix, mark(r.Passed)))
					}
				},
			})
			if err != nil && rows == nil {
				return err
			}
			if g.json() {
				// An interrupted run never reads as passed, whatever rows it had.
				if jerr := g.emit(map[string]any{"dir": dir, "rows": rows, "passed": err == nil && allPassed(rows)}); jerr != nil {
					return jerr
				}
			} else {
				tw := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "INCIDENT\tSTEP\tFIX\tRESULT\tSECONDS\tDETAIL")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\n", r.Incident, r.Step, dashIfEmpty(r.Fix), mark(r.Passed), r.Seconds, r.Detail)
				}
				if ferr := tw.Flush(); ferr != nil {
					return ferr
				}
				// What the cluster said about each failed row, read before
				// its namespace was deleted.
				for _, r := range rows {
					if len(r.Events) == 0 {
						continue
					}
					fmt.Fprintf(g.streams.Out, "\n%s %s %s, the namespace's warnings:\n", r.Incident, r.Step, dashIfEmpty(r.Fix))
					for _, e := range r.Events {
						fmt.Fprintln(g.streams.Out, "  "+e)
					}
				}
			}
			if err != nil {
				return err
			}
			if !allPassed(rows) {
				return fmt.Errorf("%s: %d of %d rows failed", dir, len(rows)-countPassed(rows), len(rows))
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "test only these incident ids (comma-separated)")
	cmd.Flags().IntVar(&parallel, "parallel", 4, "how many jobs (an incident's diagnosis run, one fix) run at once, each in its own namespace")
	return cmd
}

func mark(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func countPassed(rows []author.Row) int {
	n := 0
	for _, r := range rows {
		if r.Passed {
			n++
		}
	}
	return n
}

func allPassed(rows []author.Row) bool {
	return len(rows) > 0 && !slices.ContainsFunc(rows, func(r author.Row) bool { return !r.Passed })
}
