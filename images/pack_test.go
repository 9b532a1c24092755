package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(body), 0o644))
	}
}

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			out[filepath.ToSlash(rel)] = string(raw)
		}
		return nil
	}))
	return out
}

func TestPackRoundTripLeavesTheAnswersBehind(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"pack.yaml":                       "name: demo\nversion: 1.0.0\n",
		"quotes-api/scenario.yaml":        "id: quotes-api\n",
		"quotes-api/manifests.yaml":       "kind: Deployment\n",
		"quotes-api/fixes/diagnosis.yaml": "correct: {cause: x}\n",
		".git/config":                     "secret",
	})
	ctx := context.Background()
	ref := reg + "/packs/demo:1.0.0"
	d1, err := PushPack(ctx, ref, src, PackOptions{Annotations: map[string]string{"org.opencontainers.image.version": "1.0.0"}})
	require.NoError(t, err)
	d2, err := PushPack(ctx, ref, src, PackOptions{})
	require.NoError(t, err)
	d3, err := PushPack(ctx, ref, src, PackOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, d1, d2, "the annotations are in the manifest")
	assert.Equal(t, d2, d3, "the same folder is the same artifact")

	dest := filepath.Join(t.TempDir(), "pulled")
	require.NoError(t, PullPack(ctx, ref, dest, Remote{}))
	assert.Equal(t, map[string]string{
		"pack.yaml":                 "name: demo\nversion: 1.0.0\n",
		"quotes-api/scenario.yaml":  "id: quotes-api\n",
		"quotes-api/manifests.yaml": "kind: Deployment\n",
	}, readTree(t, dest), "fixes/ (the intended answers) and hidden files stay behind")

	// Into a folder with something in it: refused, nothing written.
	err = PullPack(ctx, ref, dest, Remote{})
	assert.ErrorContains(t, err, "not empty")

	// --with-fixes keeps them, for another trainer's author test.
	_, err = PushPack(ctx, reg+"/packs/demo:full", src, PackOptions{WithFixes: true})
	require.NoError(t, err)
	full := filepath.Join(t.TempDir(), "full")
	require.NoError(t, PullPack(ctx, reg+"/packs/demo:full", full, Remote{}))
	assert.Contains(t, readTree(t, full), "quotes-api/fixes/diagnosis.yaml")
}

func TestPullRefusesWhatIsNotAPack(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	tag, s, err := packSession(reg+"/some/image:1", Remote{})
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img, s.options(context.Background())...))
	err = PullPack(context.Background(), reg+"/some/image:1", filepath.Join(t.TempDir(), "x"), Remote{})
	assert.ErrorIs(t, err, ErrNotAPack)
}

func TestUnpackRefusesAnUnsafeArchive(t *testing.T) {
	archive := func(h *tar.Header, body string) *bytes.Buffer {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		h.Size = int64(len(body))
		require.NoError(t, tw.WriteHeader(h))
		_, _ = tw.Write([]byte(body))
		require.NoError(t, tw.Close())
		require.NoError(t, gz.Close())
		return &buf
	}
	for name, h := range map[string]*tar.Header{
		"parent":   {Name: "../escape.yaml", Typeflag: tar.TypeReg, Mode: 0o644},
		"absolute": {Name: "/etc/escape.yaml", Typeflag: tar.TypeReg, Mode: 0o644},
		"symlink":  {Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "p")
			err := unpack(archive(h, "x"), dest)
			assert.ErrorIs(t, err, ErrUnsafePack)
			_, statErr := os.Stat(filepath.Join(filepath.Dir(dest), "escape.yaml"))
			assert.True(t, os.IsNotExist(statErr), "nothing written outside")
		})
	}
}
