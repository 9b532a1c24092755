package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
)

type upFlags struct {
	nodeImage string
	wait      time.Duration
	nodes     int
	audit     bool
}

func newUpCommand(g *globals) *cobra.Command {
	flags := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create (or reuse) the lab's kind cluster and load the lab's images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), g, flags)
		},
	}
	cmd.Flags().StringVar(&flags.nodeImage, "image", "", "kind node image to use, as kind create cluster --image takes it (default: kind's own)")
	durationRangeVar(cmd.Flags(), &flags.wait, "wait", 5*time.Minute, time.Second, maxDuration, "how long to wait for the node to be Ready")
	// Each node is a container on this machine; ten is the most the lab
	// offers (a room's worth on one laptop).
	intRangeVar(cmd.Flags(), &flags.nodes, "nodes", 1, 1, maxNodes, "each node is a container on this machine", "how many nodes (a control plane that also runs pods, and N-1 workers); for a workshop room")
	cmd.Flags().BoolVar(&flags.audit, "audit", true, "record API requests for crashlab replay (when the cluster is created); --audit=false records nothing")
	return cmd
}

// runUp is the kind lifecycle, which belongs to package cluster, not to the
// lab service: the service acts on a cluster that exists.
func runUp(ctx context.Context, g *globals, flags *upFlags) error {
	if g.context != "" && g.context != cluster.ContextName {
		return fmt.Errorf("up manages only the lab's own kind cluster, not context %q: on an existing cluster skip `up` and run `crashlab --context %s start <id>`", g.context, g.context)
	}
	if err := checkNodeImage(flags.nodeImage); err != nil {
		return err
	}
	kind := cluster.NewLab(cluster.WithLogger(newLogger(g)))
	if err := kind.Preflight(flags.nodes); err != nil {
		return err
	}
	opts := []cluster.UpOption{cluster.WithNodeImage(flags.nodeImage), cluster.WithWaitForReady(flags.wait), cluster.WithNodes(flags.nodes)}
	if flags.audit {
		stateDir, err := progress.DefaultDir()
		if err != nil {
			return err
		}
		opts = append(opts, cluster.WithAudit(filepath.Join(stateDir, "audit")))
	}
	if g.kubeconfig != "" {
		opts = append(opts, cluster.WithKubeconfigPath(g.kubeconfig))
	}
	res, err := kind.Up(ctx, opts...)
	if err != nil {
		return err
	}
	conn, err := g.dial(ctx)
	if err != nil {
		return err
	}
	arch, err := lab.NodeArch(ctx, conn.Client, conn.Context)
	if err != nil {
		return err
	}
	imgs, err := images.ForNode(arch)
	if err != nil {
		return err
	}
	if err := kind.LoadImages(ctx, func(w io.Writer) error { return images.WriteArchive(w, imgs...) }, refs(imgs)); err != nil {
		return err
	}
	if g.registry != "" {
		if err := kind.TrustRegistry(ctx, g.registry); err != nil {
			return err
		}
	}
	if n, err := kind.NodeCount(); err == nil && !res.Created && n != flags.nodes && flags.nodes > 1 {
		g.warn(fmt.Sprintf("the existing cluster has %d node(s); --nodes applies when it is created: `crashlab down`, then `crashlab up --nodes %d`", n, flags.nodes))
	}
	if g.json() {
		return g.emit(res)
	}
	verb := "created"
	if !res.Created {
		verb = "already running, reused"
	}
	g.say("Lab cluster %q %s (Kubernetes %s, %s node).", cluster.Name, verb, res.NodeVersion, arch)
	g.say("%s", backOffSentence(res))
	g.say("Next: `crashlab list`, then `crashlab start <id>`.")
	return nil
}

// backOffSentence says what back-off the lab's node applies, from what its
// kubelet reported: Kubernetes' schedule starts at 10s and doubles up to a
// cap (5m by default, or crashLoopBackOff.maxContainerRestartPeriod, 1s..5m;
// alpha behind KubeletCrashLoopBackOffMax in 1.32-1.34, beta from 1.35); the
// alpha gate ReduceDefaultCrashLoopBackOffDecay (from 1.33) makes it start
// at 1s with a 1m cap; 10 minutes of running resets it.
func backOffSentence(res cluster.UpResult) string {
	initial, defaultCap := "10s", "5m"
	if res.FeatureGates["ReduceDefaultCrashLoopBackOffDecay"] {
		initial, defaultCap = "1s", "1m"
	}
	if res.BackoffCap > 0 {
		return fmt.Sprintf("CrashLoopBackOff on this node (Kubernetes %s): the kubelet waits %s after a crash and doubles the wait each time, capped at %s (crashLoopBackOff.maxContainerRestartPeriod, read back from the running kubelet; the default cap is %s), so a fixed workload is retried quickly; 10 minutes of running resets it.",
			res.NodeVersion, initial, res.BackoffCap, defaultCap)
	}
	return fmt.Sprintf("CrashLoopBackOff on this node (Kubernetes %s): the kubelet waits %s after a crash, doubling up to %s (this kubelet has no crashLoopBackOff.maxContainerRestartPeriod), so after a fix `kubectl rollout restart` saves waiting.", res.NodeVersion, initial, defaultCap)
}
