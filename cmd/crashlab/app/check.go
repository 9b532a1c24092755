package app

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/lab"
)

type checkFlags struct {
	timeout time.Duration
}

func newCheckCommand(g *globals) *cobra.Command {
	flags := &checkFlags{}
	cmd := &cobra.Command{
		Use:               "check <id>",
		Short:             "Grade your fix against the live cluster: healthy, stable, and fixed the right way",
		Args:              idArgs(g, cobra.ExactArgs(1), "check"),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runInterviewCheck(cmd.Context(), g, flags)
			}
			return runCheck(cmd.Context(), g, flags, args[0])
		},
	}
	// 0 would silently mean the grader's default and a negative one fail at
	// once, so the flag takes a positive duration.
	durationRangeVar(cmd.Flags(), &flags.timeout, "timeout", 2*time.Minute, time.Second, maxDuration, "how long to wait for pods to become Ready")
	return cmd
}

// runCheck prints the verdict and exits 1 when the fix does not pass; a
// record that cannot be trusted and an interrupt are errors, never verdicts.
func runCheck(ctx context.Context, g *globals, flags *checkFlags, id string) error {
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	stop := g.startWait(ctx, "checking "+id)
	v, err := svc.Check(ctx, id, lab.CheckOptions{ReadyTimeout: flags.timeout})
	stop()
	if err != nil {
		return advise(err, id)
	}
	if err := printVerdict(g, v); err != nil {
		return err
	}
	showReplaySummary(ctx, g, svc, id)
	return nil
}
