package lab

import (
	"context"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/scenarios"
)

// MissingImageError says a node of a cluster the lab did not create lacks one
// of the lab's images; the lab cannot load it there itself, so the CLI tells
// the learner how an admin imports it.
type MissingImageError struct {
	Image, Node string
}

func (e *MissingImageError) Error() string {
	return fmt.Sprintf("image %s is not on node %s", e.Image, e.Node)
}

// ClusterImages is the ImageEnsurer for a real cluster: on the lab's own kind
// cluster it loads the images into the nodes; on any other cluster, where the
// lab has no way into the nodes, it checks that an admin imported them.
type ClusterImages struct {
	Client kubernetes.Interface
	// IsLab is true on the cluster `crashlab up` created.
	IsLab bool
	// Logger receives kind's progress while images are loaded.
	Logger kindlog.Logger
}

// EnsureImages loads or checks imgs on every node.
func (c ClusterImages) EnsureImages(ctx context.Context, imgs []images.Image) error {
	if c.IsLab {
		// Built here rather than by the caller: finding the container runtime
		// runs commands on the host, which only this path needs.
		kind := cluster.NewLab(cluster.WithLogger(c.Logger))
		if ok, err := kind.Exists(); err == nil && ok {
			return kind.LoadImages(ctx, func(w io.Writer) error { return images.WriteArchive(w, imgs...) }, refs(imgs))
		}
	}
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		have := map[string]bool{}
		for _, im := range n.Status.Images {
			for _, name := range im.Names {
				have[name] = true
				have[strings.TrimPrefix(name, "docker.io/")] = true
			}
		}
		for _, r := range refs(imgs) {
			if !have[r] {
				return &MissingImageError{Image: r, Node: n.Name}
			}
		}
	}
	return nil
}

func refs(imgs []images.Image) []string {
	out := make([]string, len(imgs))
	for i, im := range imgs {
		out[i] = im.Ref
	}
	return out
}

// NodeArch reads the architecture of the cluster's nodes, which decides the
// images the lab deploys; nodes of mixed architectures are refused, since
// the arch scenario depends on knowing which binary a node cannot run.
func NodeArch(ctx context.Context, c kubernetes.Interface, contextName string) (string, error) {
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list nodes of context %q: %w", contextName, err)
	}
	if len(nodes.Items) == 0 {
		return "", fmt.Errorf("the cluster of context %q has no nodes", contextName)
	}
	arch := nodes.Items[0].Status.NodeInfo.Architecture
	for _, n := range nodes.Items[1:] {
		if n.Status.NodeInfo.Architecture != arch {
			return "", fmt.Errorf("nodes of context %q mix architectures (%s, %s): the lab needs one", contextName, arch, n.Status.NodeInfo.Architecture)
		}
	}
	return arch, nil
}

// deployImages returns the images a node of the cluster needs and the values
// the manifests are rendered with.
func (s *Service) deployImages(ctx context.Context) ([]images.Image, scenarios.Values, error) {
	arch := s.nodeArch
	if arch == "" {
		c, err := s.cluster()
		if err != nil {
			return nil, scenarios.Values{}, err
		}
		if arch, err = NodeArch(ctx, c, s.contextName); err != nil {
			return nil, scenarios.Values{}, err
		}
	}
	imgs, err := images.ForNode(arch)
	if err != nil {
		return nil, scenarios.Values{}, err
	}
	if s.registry != "" {
		for i := range imgs {
			imgs[i] = images.InRegistry(imgs[i], s.registry)
		}
	}
	return imgs, scenarios.Values{Image: imgs[0].Ref, ForeignImage: imgs[1].Ref, NodeArch: arch}, nil
}

// RegistryMissingError says the registry the lab deploys from lacks images.
type RegistryMissingError struct {
	Registry string
	Refs     []string
}

func (e *RegistryMissingError) Error() string {
	return fmt.Sprintf("registry %s does not hold %s", e.Registry, strings.Join(e.Refs, ", "))
}

func (s *Service) ensureImages(ctx context.Context, imgs []images.Image) error {
	if s.registry != "" {
		// The nodes pull: what must hold is that the registry has them.
		missing, err := images.MissingInRegistry(ctx, s.registry, imgs, images.Remote{Insecure: s.registryInsecure})
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &RegistryMissingError{Registry: s.registry, Refs: missing}
		}
		return nil
	}
	e := s.images
	if e == nil {
		// Checking is the safe default: it never runs commands on the host,
		// and never deploys pods that wait for an image that is not there.
		e = ClusterImages{Client: s.client}
	}
	return e.EnsureImages(ctx, imgs)
}
