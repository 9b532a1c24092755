package app

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/author"
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
	cmd.AddCommand(newAuthorNewCommand(g), newAuthorValidateCommand(g))
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
