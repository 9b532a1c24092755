package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/exec"
	"sigs.k8s.io/kind/pkg/log"
)

func TestNormalizeRef(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"bitnami/redis", "docker.io/bitnami/redis:latest"},
		{"docker.io/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"index.docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"crashlab.local/test:1", "crashlab.local/test:1"},
		{"crashlab.local/workload", "crashlab.local/workload:latest"},
		{"localhost/app:dev", "localhost/app:dev"},
		{"localhost:5000/app", "localhost:5000/app:latest"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"},
		{"busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"},
		{"ghcr.io/o/r/img:v1@sha256:abc", "ghcr.io/o/r/img:v1@sha256:abc"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			assert.Equal(t, tt.want, normalizeRef(tt.ref))
		})
	}
}

// fakeNode plays a kind node's containerd: `ctr images import` adds the refs
// named on the archive's single line, `ctr images ls` filters by name.
type fakeNode struct {
	name      string
	mu        sync.Mutex
	images    []string
	imports   int
	importErr string // ctr import fails with this output
	readFirst bool   // ctr import reads stdin before failing
	calls     []string
}

var _ nodes.Node = (*fakeNode)(nil)

func (n *fakeNode) String() string               { return n.name }
func (n *fakeNode) Role() (string, error)        { return "control-plane", nil }
func (n *fakeNode) IP() (string, string, error)  { return "172.18.0.2", "", nil }
func (n *fakeNode) SerialLogs(w io.Writer) error { return nil }
func (n *fakeNode) Command(c string, a ...string) exec.Cmd {
	return &fakeCmd{node: n, args: append([]string{c}, a...)}
}
func (n *fakeNode) CommandContext(_ context.Context, c string, a ...string) exec.Cmd {
	return n.Command(c, a...)
}

type fakeCmd struct {
	node   *fakeNode
	args   []string
	stdin  io.Reader
	stdout io.Writer
}

func (c *fakeCmd) SetEnv(...string) exec.Cmd      { return c }
func (c *fakeCmd) SetStdin(r io.Reader) exec.Cmd  { c.stdin = r; return c }
func (c *fakeCmd) SetStdout(w io.Writer) exec.Cmd { c.stdout = w; return c }
func (c *fakeCmd) SetStderr(io.Writer) exec.Cmd   { return c }
func (c *fakeCmd) fail(out string) error {
	return &exec.RunError{Command: c.args, Output: []byte(out), Inner: errors.New("exit status 1")}
}

func (c *fakeCmd) Run() error {
	n := c.node
	n.mu.Lock()
	defer n.mu.Unlock()
	cmdline := strings.Join(c.args, " ")
	n.calls = append(n.calls, cmdline)
	switch {
	case cmdline == "containerd config dump":
		_, err := io.WriteString(c.stdout, "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  snapshotter = \"overlayfs\"\n")
		return err
	case strings.HasPrefix(cmdline, "ctr --namespace=k8s.io images ls -q "):
		for _, f := range c.args[5:] {
			name := strings.TrimPrefix(f, "name==")
			if slices.Contains(n.images, name) {
				fmt.Fprintln(c.stdout, name)
			}
		}
		return nil
	case strings.HasPrefix(cmdline, "ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -"):
		if n.importErr != "" {
			if n.readFirst {
				_, _ = io.Copy(io.Discard, c.stdin)
			}
			return c.fail(n.importErr)
		}
		b, err := io.ReadAll(c.stdin)
		if err != nil {
			return c.fail(err.Error())
		}
		n.imports++
		for _, ref := range strings.Split(strings.TrimSpace(string(b)), ",") {
			if ref != "" && !slices.Contains(n.images, normalizeRef(ref)) {
				n.images = append(n.images, normalizeRef(ref))
			}
		}
		return nil
	}
	return c.fail("unexpected command: " + cmdline)
}

func archiveOf(refs ...string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(refs, ","))
		return err
	}
}

func TestLoadOnNodes(t *testing.T) {
	tests := []struct {
		name        string
		present     []string // already on the node
		archive     func(io.Writer) error
		refs        []string
		importErr   string
		readFirst   bool
		wantErr     string
		wantImports int
		wantImages  []string
	}{
		{
			name:        "loads missing images",
			archive:     archiveOf("crashlab.local/test:1", "busybox:1.36"),
			refs:        []string{"crashlab.local/test:1", "busybox:1.36"},
			wantImports: 1,
			wantImages:  []string{"crashlab.local/test:1", "docker.io/library/busybox:1.36"},
		},
		{
			name:        "skips when all present",
			present:     []string{"crashlab.local/test:1", "docker.io/library/busybox:1.36"},
			archive:     func(io.Writer) error { return errors.New("archive must not be built") },
			refs:        []string{"crashlab.local/test:1", "busybox:1.36"},
			wantImports: 0,
			wantImages:  []string{"crashlab.local/test:1", "docker.io/library/busybox:1.36"},
		},
		{
			name:        "loads when one is missing",
			present:     []string{"crashlab.local/test:1"},
			archive:     archiveOf("crashlab.local/test:1", "crashlab.local/test:2"),
			refs:        []string{"crashlab.local/test:1", "crashlab.local/test:2"},
			wantImports: 1,
			wantImages:  []string{"crashlab.local/test:1", "crashlab.local/test:2"},
		},
		{
			name:        "archive lacks a ref",
			archive:     archiveOf("crashlab.local/test:1"),
			refs:        []string{"crashlab.local/test:1", "crashlab.local/other:1"},
			wantErr:     "loaded the archive onto node crashlab-control-plane but it did not contain crashlab.local/other:1",
			wantImports: 1,
			wantImages:  []string{"crashlab.local/test:1"},
		},
		{
			name:    "archive writer fails",
			archive: func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return errors.New("layer not found") },
			refs:    []string{"crashlab.local/test:1"},
			// ctr reads the pipe, gets the writer's error.
			wantErr: "write image archive: layer not found",
		},
		{
			name: "ctr fails before reading",
			archive: func(w io.Writer) error {
				_, err := w.Write(make([]byte, 1<<20))
				return err
			},
			refs:      []string{"crashlab.local/test:1"},
			importErr: "ctr: unrecognized image format",
			wantErr:   "ctr: unrecognized image format",
		},
		{
			name:      "ctr fails after reading",
			archive:   archiveOf("crashlab.local/test:1"),
			refs:      []string{"crashlab.local/test:1"},
			importErr: "ctr: failed to extract layer",
			readFirst: true,
			wantErr:   "load crashlab.local/test:1 onto node crashlab-control-plane: failed to load image: command \"ctr --namespace=k8s.io images import",
		},
		{
			name:    "no refs, nothing to do",
			archive: func(io.Writer) error { return errors.New("archive must not be built") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &fakeNode{name: "crashlab-control-plane", images: slices.Clone(tt.present), importErr: tt.importErr, readFirst: tt.readFirst}
			lab := &Lab{name: Name, logger: log.NoopLogger{}}
			var err error
			if len(tt.refs) > 0 {
				err = lab.loadOnNodes(context.Background(), []nodes.Node{n}, tt.archive, tt.refs)
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantImports, n.imports)
			if tt.wantImages != nil {
				assert.ElementsMatch(t, tt.wantImages, n.images)
			}
		})
	}
}

func TestLoadArchiveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := &fakeNode{name: "crashlab-control-plane"}
	err := loadArchive(ctx, n, func(w io.Writer) error {
		cancel()
		// A writer that ignores cancellation must still be unblocked.
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return err
			}
		}
	})
	require.ErrorIs(t, err, context.Canceled)
}

func TestMissingOnNodes(t *testing.T) {
	a := &fakeNode{name: "crashlab-control-plane", images: []string{"crashlab.local/a:1", "docker.io/library/busybox:1.36"}}
	b := &fakeNode{name: "crashlab-worker", images: []string{"crashlab.local/a:1"}}
	missing, err := missingOnNodes(context.Background(), []nodes.Node{a, b}, []string{"crashlab.local/a:1", "busybox:1.36", "crashlab.local/b:1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"crashlab.local/b:1", "busybox:1.36"}, missing)
	// One ctr call per node, whatever the number of refs.
	assert.Len(t, a.calls, 1)
	assert.Equal(t, "ctr --namespace=k8s.io images ls -q name==crashlab.local/a:1 name==docker.io/library/busybox:1.36 name==crashlab.local/b:1", a.calls[0])
}
