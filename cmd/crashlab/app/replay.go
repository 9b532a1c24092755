package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/lab"
)

func newReplayCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "replay <id>",
		Short: "Replay your investigation of an incident: what you looked at and changed, in order, against an expert's path",
		Long: "Shows the current or last attempt at an incident as a timeline from the page: each request you made as the " +
			"kubectl command that most likely made it (or the raw request when it cannot be told), the lab's own commands " +
			"you ran, what each write changed, the first look that showed the evidence of the cause, and the looks an " +
			"experienced engineer takes. It is feedback: nothing in it changes a verdict or a score.\n\n" +
			"It reads the API server's audit log, which the lab's kind cluster keeps (`crashlab up` turns it on): your " +
			"reads and writes in the lab's namespaces and of nodes, never Secret or ConfigMap contents, and not the lab's " +
			"own requests or the cluster's components. The log stays inside the cluster's node, is rotated at 20 MB " +
			"(5 old files, 7 days at most), and goes with `crashlab down`.",
		Args:              idArgs(g, cobra.ExactArgs(1), "replay"),
		ValidArgsFunction: scenarioIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd.Context(), g, args[0])
		},
	}
}

func runReplay(ctx context.Context, g *globals, id string) error {
	svc, err := g.connect(ctx, id)
	if err != nil {
		return err
	}
	r, err := svc.Replay(ctx, id)
	if err != nil {
		return advise(err, id)
	}
	if g.json() {
		return g.emit(r)
	}
	content.Replay(g.streams.Out, replayView(r))
	return nil
}

// showReplaySummary follows a passing check or a give-up with how the
// investigation went against the expert path, on a cluster that records
// requests; the verdict stands whatever happens here.
func showReplaySummary(ctx context.Context, g *globals, svc *lab.Service, id string) {
	if g.json() {
		return
	}
	r, err := svc.Replay(ctx, id)
	switch {
	case errors.Is(err, lab.ErrNoAuditLog):
		return
	case err != nil:
		g.warn(fmt.Sprintf("your investigation could not be replayed: %v", err))
		return
	}
	out := g.streams.Out
	fmt.Fprintln(out)
	if r.Revealed {
		// A replay kept by the lab's controller may not have caught up with
		// the pass yet: then only the pointer.
		content.ReplaySummary(out, replayView(r))
	}
	fmt.Fprintf(out, "Your whole investigation, look by look: crashlab replay %s\n", r.Scenario)
}

func replayView(r lab.Replay) content.ReplayView {
	return content.ReplayView{Scenario: r.Scenario, Page: r.Page, End: r.End, Timeline: r.Timeline, Expert: r.Expert, Summary: r.Summary, Revealed: r.Revealed}
}

// auditLogOf reads the lab's kind cluster's audit log; only that cluster
// has one the lab can read (conn.IsLab).
func auditLogOf(g *globals, conn *cluster.Conn) lab.AuditLogSource {
	if !conn.IsLab {
		return nil
	}
	return func(ctx context.Context) (io.ReadCloser, error) {
		return cluster.NewLab(cluster.WithLogger(newLogger(g))).AuditLog(ctx)
	}
}
