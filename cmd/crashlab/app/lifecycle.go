package app

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
)

func newUp(g *globals) *cobra.Command {
	var image string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create (or reuse) the lab's kind cluster and load the lab's images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.context != "" && g.context != cluster.ContextName {
				return fmt.Errorf("up manages only the lab's own kind cluster, not context %q: on an existing cluster skip `up` and run `crashlab --context %s start <id>`", g.context, g.context)
			}
			lab := cluster.NewLab(cluster.WithLogger(newLogger(g)))
			if err := lab.Preflight(); err != nil {
				return err
			}
			opts := []cluster.UpOption{cluster.WithNodeImage(image), cluster.WithWaitForReady(wait)}
			if g.kubeconfig != "" {
				opts = append(opts, cluster.WithKubeconfigPath(g.kubeconfig))
			}
			res, err := lab.Up(cmd.Context(), opts...)
			if err != nil {
				return err
			}
			e, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			imgs, err := images.ForNode(e.nodeArch)
			if err != nil {
				return err
			}
			if err := lab.LoadImages(cmd.Context(), func(w io.Writer) error { return images.WriteArchive(w, imgs...) }, refs(imgs)); err != nil {
				return err
			}
			if g.json() {
				return g.emit(res)
			}
			verb := "created"
			if !res.Created {
				verb = "already running, reused"
			}
			g.say("Lab cluster %q %s (Kubernetes %s, %s node).", cluster.Name, verb, res.NodeVersion, e.nodeArch)
			if res.BackoffCap > 0 {
				g.say("The kubelet caps the CrashLoopBackOff delay at %s (crashLoopBackOff.maxContainerRestartPeriod, read back from the running kubelet), so a fixed workload is retried quickly. On a default cluster the cap is 5m.", res.BackoffCap)
			} else {
				g.say("This node's kubelet does not support crashLoopBackOff.maxContainerRestartPeriod: restarts back off up to 5m, so after a fix `kubectl rollout restart` saves waiting.")
			}
			g.say("Next: `crashlab list`, then `crashlab start <id>`.")
			return nil
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "kind node image to use (default: kind's own), like `kind create cluster --image`")
	cmd.Flags().DurationVar(&wait, "wait", 5*time.Minute, "how long to wait for the node to be Ready")
	return cmd
}

func newDown(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Delete the lab's kind cluster (or, with --context/--learner, only the lab's namespaces)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.context == "" && g.learner == "" {
				lab := cluster.NewLab(cluster.WithLogger(newLogger(g)))
				if err := lab.Down(); err != nil {
					return err
				}
				g.say("Lab cluster %q deleted (no other cluster was touched).", cluster.Name)
				return nil
			}
			// On a cluster the lab did not create, or for one learner of a shared
			// cluster, only the lab's own namespaces go.
			e, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			nss, err := cluster.ListNamespaces(cmd.Context(), e.conn.Client, g.learner)
			if err != nil {
				return err
			}
			for _, ns := range nss {
				if err := cluster.DeleteNamespace(cmd.Context(), e.conn.Client, ns.Name, 0); err != nil {
					return err
				}
				g.say("deleted namespace %s", ns.Name)
			}
			g.say("%d lab namespace(s) deleted on context %q; nothing else was touched.", len(nss), e.conn.Context)
			return nil
		},
	}
}
