package app

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

func scenarioIDs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var ids []string
	for _, s := range catalog.All() {
		ids = append(ids, s.ID+"\t"+s.Title)
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

func newList(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the scenarios: id, title, level, done or not",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Progress is per cluster context; without a reachable cluster the
			// list still shows, just without "done".
			entries := map[string]progress.Entry{}
			if dir, err := progress.DefaultDir(); err == nil {
				ctxName := g.context
				if ctxName == "" {
					ctxName = "kind-crashlab"
				}
				if st, err := progress.Open(dir, ctxName, g.learner); err == nil {
					entries = st.Entries
					if st.Warning != "" {
						fmt.Fprintln(g.streams.Err, "WARNING: "+st.Warning)
					}
				} else {
					fmt.Fprintf(g.streams.Err, "WARNING: progress not read: %v\n", err)
				}
			}
			type row struct {
				ID    string `json:"id"`
				Title string `json:"title"`
				Level int    `json:"level"`
				Done  bool   `json:"done"`
			}
			var rows []row
			for _, s := range catalog.All() {
				rows = append(rows, row{s.ID, s.Title, s.Level, entries[s.ID].Done()})
			}
			if g.json() {
				return g.emit(rows)
			}
			tw := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLEVEL\tDONE\tTITLE")
			for _, r := range rows {
				done := "-"
				if r.Done {
					done = "yes"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.ID, r.Level, done, r.Title)
			}
			return tw.Flush()
		},
	}
}

func newStart(g *globals) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:               "start <id>",
		Short:             "Deploy a broken scenario into its own namespace and print the briefing",
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
			imgs, vals, err := e.images()
			if err != nil {
				return err
			}
			if err := e.ensureImages(ctx, imgs); err != nil {
				return err
			}
			// The warning reads this machine's kernel, which is the node's only
			// on the lab's own kind cluster.
			if e.conn.IsLab {
				if w := s.Preflight(e.nodeArch); w != "" {
					fmt.Fprintln(g.streams.Err, "WARNING: "+w)
				}
			}
			// Deploy completes an interrupted start; a complete one is left as it is.
			if err := scenarios.Deploy(ctx, e.conn.Client, s, ns, g.learner, vals); err != nil {
				if !errors.Is(err, scenarios.ErrAlreadyStarted) {
					return err
				}
				g.say("%s is already running in %s (`crashlab reset %s` starts over).", s.ID, ns, s.ID)
			} else {
				e.record(s.ID, func(en *progress.Entry) { en.Started = time.Now() })
			}
			if !g.json() {
				content.Briefing(g.streams.Out, s.Title, s.ID, ns, s.Briefing)
			}
			if !wait {
				if g.json() {
					return g.emit(map[string]string{"scenario": s.ID, "namespace": ns})
				}
				return nil
			}
			obs := grader.NewObserver(e.conn.Client)
			f, err := obs.WaitForSignature(ctx, s.Target(ns), s.Signature, timeout, nil)
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(f)
			}
			g.say("\nThe failure is showing now. Investigate with kubectl, then `crashlab diagnose %s`.", s.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the failure shows on the pods")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Minute, "how long --wait waits")
	return cmd
}

func newReset(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "reset <id>",
		Short:             "Restore the scenario's broken state exactly (deletes and re-creates its namespace)",
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
			imgs, vals, err := e.images()
			if err != nil {
				return err
			}
			if err := e.ensureImages(ctx, imgs); err != nil {
				return err
			}
			g.say("Deleting namespace %s and deploying %s again...", ns, s.ID)
			if err := scenarios.Reset(ctx, e.conn.Client, s, ns, g.learner, vals); err != nil {
				return err
			}
			g.say("%s is back in its broken state in %s.", s.ID, ns)
			return nil
		},
	}
}

func newHint(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:               "hint <id>",
		Short:             "Show the next hint, from where to look to what to change",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := catalog.Get(args[0])
			if err != nil {
				return err
			}
			ctxName := g.context
			if ctxName == "" {
				ctxName = "kind-crashlab"
			}
			n := len(s.Hints)
			if !all {
				st, err := openProgress(g, ctxName)
				if err != nil {
					return err
				}
				// Counted inside the locked update: two hints at once are two hints.
				if err := st.Update(s.ID, func(en *progress.Entry) {
					en.Hints = min(max(en.Hints, 0)+1, len(s.Hints))
					n = en.Hints
				}); err != nil {
					return fmt.Errorf("save the hint count: %w", err)
				}
			}
			ns, err := clusterNamespace(g, s.ID)
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(s.Hints[:n])
			}
			content.Hints(g.streams.Out, ns, s.Hints, n)
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "show every hint")
	return cmd
}

func newExplain(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "explain <id>",
		Short:             "Explain why the scenario failed, the fix, and how to prevent it",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := catalog.Get(args[0])
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(map[string]string{"scenario": s.ID, "explanation": s.Explanation})
			}
			content.Explanation(g.streams.Out, s.Title, s.Explanation)
			return nil
		},
	}
}

func newManifests(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "manifests <id>",
		Short:             "Print the objects `start` deploys for a scenario, as YAML (for reading, or for `kubectl apply`)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := catalog.Get(args[0])
			if err != nil {
				return err
			}
			e, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			_, vals, err := e.images()
			if err != nil {
				return err
			}
			out, err := s.RenderYAML(vals, cluster.LabLabels(s.ID, g.learner))
			if err != nil {
				return err
			}
			_, err = g.streams.Out.Write(out)
			return err
		},
	}
}
