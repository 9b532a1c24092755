package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	"sigs.k8s.io/kind/pkg/exec"
)

// LoadImages makes refs available to pods on every node of the lab cluster
// without a registry. archive writes an image archive (docker save or OCI
// layout tar) holding refs; it is called once per node that lacks one of
// them, and not at all when every node has them all, since streaming a large
// archive into a node takes longer than asking containerd. With no refs
// there is nothing to check, so nothing is loaded.
func (l *Lab) LoadImages(ctx context.Context, archive func(w io.Writer) error, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	nodeList, err := l.nodes()
	if err != nil {
		return err
	}
	return l.loadOnNodes(ctx, nodeList, archive, refs)
}

func (l *Lab) loadOnNodes(ctx context.Context, nodeList []nodes.Node, archive func(w io.Writer) error, refs []string) error {
	for _, n := range nodeList {
		missing, err := missingOnNode(ctx, n, refs)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			l.logger.V(1).Infof("Node %s already has %s", n, strings.Join(refs, ", "))
			continue
		}
		l.logger.V(0).Infof("Loading %s onto node %s", strings.Join(missing, ", "), n)
		if err := loadArchive(ctx, n, archive); err != nil {
			return fmt.Errorf("load %s onto node %s: %w", strings.Join(missing, ", "), n, err)
		}
		// containerd imports whatever the archive names: a ref the archive
		// lacks only shows up later as ErrImageNeverPull in a pod.
		still, err := missingOnNode(ctx, n, missing)
		if err != nil {
			return err
		}
		if len(still) > 0 {
			return fmt.Errorf("loaded the archive onto node %s but it did not contain %s: check the tags the archive was written with", n, strings.Join(still, ", "))
		}
	}
	return nil
}

// HasImages returns the refs that at least one node of the lab cluster lacks.
func (l *Lab) HasImages(ctx context.Context, refs []string) (missing []string, err error) {
	nodeList, err := l.nodes()
	if err != nil {
		return nil, err
	}
	return missingOnNodes(ctx, nodeList, refs)
}

func missingOnNodes(ctx context.Context, nodeList []nodes.Node, refs []string) (missing []string, err error) {
	for _, n := range nodeList {
		m, err := missingOnNode(ctx, n, refs)
		if err != nil {
			return nil, err
		}
		for _, ref := range m {
			if !slices.Contains(missing, ref) {
				missing = append(missing, ref)
			}
		}
	}
	return missing, nil
}

// NodeCount is how many nodes the lab cluster has.
func (l *Lab) NodeCount() (int, error) {
	n, err := l.nodes()
	return len(n), err
}

func (l *Lab) nodes() ([]nodes.Node, error) {
	nodeList, err := l.provider.ListInternalNodes(l.name)
	if err != nil {
		return nil, fmt.Errorf("list nodes of kind cluster %q: %w", l.name, err)
	}
	if len(nodeList) == 0 {
		return nil, factf(ErrClusterMissing, "kind cluster %q does not exist", l.name)
	}
	return nodeList, nil
}

// missingOnNode asks the node's containerd, in the namespace the kubelet
// uses, which of refs it lacks; one ctr call covers all refs because ctr ORs
// its filters.
func missingOnNode(ctx context.Context, n nodes.Node, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	args := []string{"--namespace=k8s.io", "images", "ls", "-q"}
	for _, ref := range refs {
		args = append(args, "name=="+normalizeRef(ref))
	}
	lines, err := exec.OutputLines(n.CommandContext(ctx, "ctr", args...))
	if err != nil {
		return nil, fmt.Errorf("list images on node %s: %w", n, withOutput(err))
	}
	var missing []string
	for _, ref := range refs {
		if !slices.Contains(lines, normalizeRef(ref)) {
			missing = append(missing, ref)
		}
	}
	return missing, nil
}

// loadArchive streams archive into the node without a temporary file, as
// `kind load image-archive` would after writing one.
func loadArchive(ctx context.Context, n nodes.Node, archive func(w io.Writer) error) error {
	pr, pw := io.Pipe()
	errImportEnded := errors.New("image import ended before the archive was written")
	written := make(chan error, 1)
	go func() {
		err := archive(pw)
		pw.CloseWithError(err)
		written <- err
	}()
	// kind's LoadImageArchive takes no context: closing its stdin ends the
	// import instead.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()

	loadErr := nodeutils.LoadImageArchive(n, pr)
	// Unblock the writer if ctr gave up before reading everything.
	pr.CloseWithError(errImportEnded)
	writeErr := <-written

	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case writeErr != nil && !errors.Is(writeErr, errImportEnded):
		return fmt.Errorf("write image archive: %w", writeErr)
	case loadErr != nil:
		return withOutput(loadErr)
	}
	return nil
}

// withOutput adds what the command printed to a kind exec error, which only
// says "exit status 1" on its own.
func withOutput(err error) error {
	rerr := exec.RunErrorForError(err)
	if rerr == nil {
		return err
	}
	out := strings.TrimSpace(string(rerr.Output))
	if out == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, out)
}

// normalizeRef spells ref the way containerd stores it: docker.io/library/
// for Docker Hub short names and :latest when no tag or digest is given.
func normalizeRef(ref string) string {
	name, digest, hasDigest := strings.Cut(ref, "@")
	domain, rest := "docker.io", name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
			domain, rest = first, name[i+1:]
		}
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	out := domain + "/" + rest
	if hasDigest {
		return out + "@" + digest
	}
	if !strings.Contains(rest[strings.LastIndexByte(rest, '/')+1:], ":") {
		out += ":latest"
	}
	return out
}
