package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/lab"
)

type upFlags struct {
	nodeImage string
	wait      time.Duration
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
	cmd.Flags().StringVar(&flags.nodeImage, "image", "", "kind node image to use (default: kind's own), like `kind create cluster --image`")
	cmd.Flags().DurationVar(&flags.wait, "wait", 5*time.Minute, "how long to wait for the node to be Ready")
	return cmd
}

// runUp is the kind lifecycle, which belongs to package cluster, not to the
// lab service: the service acts on a cluster that exists.
func runUp(ctx context.Context, g *globals, flags *upFlags) error {
	if g.context != "" && g.context != cluster.ContextName {
		return fmt.Errorf("up manages only the lab's own kind cluster, not context %q: on an existing cluster skip `up` and run `crashlab --context %s start <id>`", g.context, g.context)
	}
	kind := cluster.NewLab(cluster.WithLogger(newLogger(g)))
	if err := kind.Preflight(); err != nil {
		return err
	}
	opts := []cluster.UpOption{cluster.WithNodeImage(flags.nodeImage), cluster.WithWaitForReady(flags.wait)}
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
	if g.json() {
		return g.emit(res)
	}
	verb := "created"
	if !res.Created {
		verb = "already running, reused"
	}
	g.say("Lab cluster %q %s (Kubernetes %s, %s node).", cluster.Name, verb, res.NodeVersion, arch)
	if res.BackoffCap > 0 {
		g.say("The kubelet caps the CrashLoopBackOff delay at %s (crashLoopBackOff.maxContainerRestartPeriod, read back from the running kubelet), so a fixed workload is retried quickly. On a default cluster the cap is 5m.", res.BackoffCap)
	} else {
		g.say("This node's kubelet does not support crashLoopBackOff.maxContainerRestartPeriod: restarts back off up to 5m, so after a fix `kubectl rollout restart` saves waiting.")
	}
	g.say("Next: `crashlab list`, then `crashlab start <id>`.")
	return nil
}
