package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/scenarios"
)

type startFlags struct {
	wait    bool
	timeout time.Duration
	random  bool // pick an unsolved incident (random.go)
	level   int
	// variant is the seed of a blind variant (scenarios.Scenario.Variant);
	// 0 is the incident as the catalogue writes it.
	variant uint64
}

func newStartCommand(g *globals) *cobra.Command {
	flags := &startFlags{}
	cmd := &cobra.Command{
		Use:               "start <id> | start --random [--level N]",
		Short:             "Deploy a broken scenario into its own namespace and print the briefing",
		Args:              cobra.RangeArgs(0, 1),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("timeout") && !flags.wait {
				return usageError{errors.New("--timeout is how long --wait waits: add --wait, or drop --timeout")}
			}
			id, err := startID(g, flags, args)
			if err != nil {
				return err
			}
			return runStart(cmd.Context(), g, flags, id)
		},
	}
	cmd.Flags().BoolVar(&flags.random, "random", false, "start an incident you have not solved yet, picked at random")
	intRangeVar(cmd.Flags(), &flags.level, "level", 0, 0, maxLevel(), "the catalogue's levels; 0: any", "with --random: pick only incidents of this level")
	cmd.Flags().BoolVar(&flags.wait, "wait", false, "wait until the failure shows on the pods")
	durationRangeVar(cmd.Flags(), &flags.timeout, "timeout", 3*time.Minute, time.Second, maxDuration, "with --wait: how long it waits")
	// A bad seed is a flag error: one line and exit 2, before any cluster.
	seedVar(cmd.Flags(), &flags.variant, "variant", "play the blind variant of this seed: the incident's names and values drawn from it (the same seed, the same variant)")
	return cmd
}

func runStart(ctx context.Context, g *globals, flags *startFlags, id string) error {
	// Only Start reads the seed; the other verbs read it from the record.
	g.variant = flags.variant
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	started, err := svc.Start(ctx, id)
	switch {
	case errors.Is(err, scenarios.ErrAlreadyStarted):
		// A complete start is left as it is; the learner goes on with it.
		g.say("%s is already running in %s (`crashlab reset %s` starts over).", started.Scenario.ID, started.Namespace, started.Scenario.ID)
	case err != nil:
		return advise(err, id)
	}
	sc, ns := started.Scenario, started.Namespace
	if !g.json() {
		content.Briefing(g.streams.Out, sc.Title, sc.ID, ns, sc.Briefing)
	}
	if !flags.wait {
		if g.json() {
			return g.emit(map[string]string{"scenario": sc.ID, "namespace": ns})
		}
		return nil
	}
	if !g.json() {
		g.say("")
	}
	stop := g.startWait(ctx, fmt.Sprintf("waiting for the failure to show on the pods of %s (at most %s)", sc.ID, flags.timeout))
	facts, err := svc.WaitForFailure(ctx, sc.ID, flags.timeout)
	stop()
	if err != nil {
		return err
	}
	if g.json() {
		return g.emit(facts)
	}
	g.say("The failure is showing now. Investigate with kubectl, then `crashlab diagnose %s`.", sc.ID)
	return nil
}
