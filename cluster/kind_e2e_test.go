//go:build e2e

package cluster

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/cmd"
)

// TestLabE2E creates the real lab cluster, so it needs a container runtime
// and a node image: CRASHLAB_E2E_NODE_IMAGE (default kind-offline/node:v1.34.4).
// It refuses to run when a cluster named Name already exists, because it
// deletes it at the end.
//
//	go test -tags e2e -run TestLabE2E -v -timeout 15m ./cluster/
func TestLabE2E(t *testing.T) {
	image := os.Getenv("CRASHLAB_E2E_NODE_IMAGE")
	if image == "" {
		image = "kind-offline/node:v1.34.4"
	}
	ctx := context.Background()
	lab := NewLab(WithLogger(cmd.NewLogger()))
	require.NoError(t, lab.Preflight())
	exists, err := lab.Exists()
	require.NoError(t, err)
	if exists {
		t.Skipf("kind cluster %q already exists: not touching it", Name)
	}
	t.Cleanup(func() {
		start := time.Now()
		assert.NoError(t, lab.Down())
		t.Logf("Down: %s", time.Since(start).Round(time.Millisecond))
		exists, err := lab.Exists()
		assert.NoError(t, err)
		assert.False(t, exists, "cluster still exists after Down")
	})

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	start := time.Now()
	res, err := lab.Up(ctx, WithNodeImage(image), WithKubeconfigPath(kubeconfig), WithWaitForReady(5*time.Minute))
	require.NoError(t, err)
	t.Logf("first Up: %s, %+v", time.Since(start).Round(time.Millisecond), res)
	assert.True(t, res.Created)
	assert.Equal(t, kubeconfig, res.Kubeconfig)
	assert.Equal(t, BackoffCap, res.BackoffCap, "cap read back from /configz")
	assert.NotEmpty(t, res.NodeVersion)

	start = time.Now()
	res2, err := lab.Up(ctx, WithNodeImage(image), WithKubeconfigPath(kubeconfig))
	require.NoError(t, err)
	t.Logf("second Up: %s, %+v", time.Since(start).Round(time.Millisecond), res2)
	assert.False(t, res2.Created)
	assert.Equal(t, BackoffCap, res2.BackoffCap)
	assert.Equal(t, res.NodeVersion, res2.NodeVersion)

	refs := []string{"crashlab.local/test:1"}
	missing, err := lab.HasImages(ctx, refs)
	require.NoError(t, err)
	assert.Equal(t, refs, missing)

	img, err := random.Image(64<<10, 2)
	require.NoError(t, err)
	tag, err := name.NewTag(refs[0])
	require.NoError(t, err)
	builds := 0
	archive := func(w io.Writer) error {
		builds++
		return tarball.Write(tag, img, w)
	}
	start = time.Now()
	require.NoError(t, lab.LoadImages(ctx, archive, refs))
	t.Logf("LoadImages: %s", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, 1, builds)

	missing, err = lab.HasImages(ctx, refs)
	require.NoError(t, err)
	assert.Empty(t, missing)

	start = time.Now()
	require.NoError(t, lab.LoadImages(ctx, archive, refs))
	t.Logf("LoadImages again (all present): %s", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, 1, builds, "archive streamed although the image was present")

	other := []string{"crashlab.local/test:1", "crashlab.local/absent:1"}
	err = lab.LoadImages(ctx, archive, other)
	require.Error(t, err)
	t.Logf("archive lacking a ref: %v", err)
}
