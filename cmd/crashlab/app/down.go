package app

import (
	"context"

	"github.com/spf13/cobra"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/controller"
)

func newDownCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Delete the lab's kind cluster (or, with --context/--learner, only the lab's namespaces)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDown(cmd.Context(), g)
		},
	}
}

func runDown(ctx context.Context, g *globals) error {
	if g.context == "" && g.learner == "" {
		// The whole lab cluster goes: kind's lifecycle, in package cluster.
		if err := cluster.NewLab(cluster.WithLogger(newLogger(g))).Down(); err != nil {
			return err
		}
		g.say("Lab cluster %q deleted (no other cluster was touched).", cluster.Name)
		return nil
	}
	// On a cluster the lab did not create, or for one learner of a shared
	// cluster, only the lab's own namespaces go.
	svc, err := g.connect(ctx)
	if err != nil {
		return err
	}
	deleted, err := svc.Down(ctx)
	for _, ns := range deleted {
		g.say("deleted namespace %s", ns)
	}
	if err != nil {
		return err
	}
	if g.learner == "" {
		// The whole lab goes from this context: the controller's
		// cluster-wide objects too (its namespace went with the others).
		removed, err := g.uninstallController(ctx)
		for _, o := range removed {
			g.say("deleted %s", o)
		}
		if err != nil {
			return err
		}
	}
	g.say("%d lab namespace(s) deleted on context %q; nothing else was touched.", len(deleted), svc.ContextName())
	return nil
}

// uninstallController deletes the controller's CRDs and cluster roles.
func (g *globals) uninstallController(ctx context.Context) ([]string, error) {
	conn, err := g.dial(ctx)
	if err != nil {
		return nil, err
	}
	c, err := client.New(conn.REST, client.Options{Scheme: controller.Scheme()})
	if err != nil {
		return nil, err
	}
	return controller.Uninstall(ctx, c)
}
