package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/images"
)

func newImagesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "images", Short: "Work with the lab's container images"}
	cmd.AddCommand(newImagesExportCommand(g), newImagesPushCommand(g))
	return cmd
}

type imagesExportFlags struct {
	arches []string
}

func newImagesExportCommand(g *globals) *cobra.Command {
	flags := &imagesExportFlags{}
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write the lab's images to an archive an admin imports into each node of an existing cluster",
		Long:  "Writes a docker-save style archive. Import it on every node, e.g. `ctr -n k8s.io images import FILE` (containerd) or `k3s ctr images import FILE`, `minikube image load FILE`.",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runImagesExport(g, flags, args[0])
		},
	}
	cmd.Flags().StringSliceVar(&flags.arches, "arch", []string{"amd64", "arm64"}, "node architectures to export images for")
	return cmd
}

// runImagesExport needs no cluster: it is how the images reach the nodes of
// a cluster the lab cannot load them into itself.
func runImagesExport(g *globals, flags *imagesExportFlags, path string) error {
	imgs, err := imagesFor(flags.arches)
	if err != nil {
		return err
	}
	// Written next to the target and renamed, so an interrupted export
	// never leaves a half archive under the real name.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".crashlab-images-*.tar")
	if err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := images.WriteArchive(tmp, imgs...); err != nil {
		tmp.Close()
		return fmt.Errorf("export images: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export images: %w", err)
	}
	if g.json() {
		return g.emit(map[string]any{"file": path, "images": refs(imgs)})
	}
	g.say("Wrote %d images to %s:", len(imgs), path)
	for _, r := range refs(imgs) {
		g.say("  %s", r)
	}
	g.say("Import on every node: ctr -n k8s.io images import %s", path)
	return nil
}

func refs(imgs []images.Image) []string {
	out := make([]string, len(imgs))
	for i, im := range imgs {
		out[i] = im.Ref
	}
	return out
}

func newImagesPushCommand(g *globals) *cobra.Command {
	flags := &imagesExportFlags{}
	cmd := &cobra.Command{
		Use:   "push REGISTRY",
		Short: "Push the lab's images to a registry (HOST[:PORT]) the cluster's nodes can pull from",
		Long: "Pushes the lab's images as REGISTRY/crashlab/workload:TAG. Then deploy with `crashlab --registry REGISTRY start <id>` (or `workshop create`): the nodes pull the images instead of having them imported. " +
			"On the lab's kind cluster, `crashlab --registry REGISTRY up` also tells each node's containerd to pull from it over plain HTTP.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := registryProblem("REGISTRY", args[0]); err != nil {
				return err
			}
			imgs, err := imagesFor(flags.arches)
			if err != nil {
				return err
			}
			pushed, err := images.Push(cmd.Context(), args[0], imgs, g.insecureRegistry, func(ref string) { g.say("pushing %s", ref) })
			if err != nil {
				return err
			}
			if g.json() {
				return g.emit(pushed)
			}
			g.say("Pushed %d images to %s. Deploy from it with `crashlab --registry %s start <id>`.", len(pushed), args[0], args[0])
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&flags.arches, "arch", []string{"amd64", "arm64"}, "node architectures to push images for")
	return cmd
}

// imagesFor is every image the lab runs on nodes of the given architectures
// (each node's own build and its foreign twin); an unknown one is bad input.
func imagesFor(arches []string) ([]images.Image, error) {
	if len(arches) == 0 {
		return nil, usageError{errors.New("--arch names no architecture: give at least one, like amd64")}
	}
	// The same architecture twice would put every image in twice.
	if err := noDuplicates("arch", arches); err != nil {
		return nil, err
	}
	var imgs []images.Image
	for _, a := range arches {
		set, err := images.ForNode(a)
		if err != nil {
			return nil, usageError{err}
		}
		imgs = append(imgs, set...)
	}
	return imgs, nil
}
