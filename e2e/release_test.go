//go:build e2e

package e2e

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// releaseDist is the folder `make release-snapshot` wrote (goreleaser's
// dist/); scripts/e2e.sh passes it. CI always has one.
func releaseDist(t *testing.T) string {
	d := os.Getenv("CRASHLAB_RELEASE_DIST")
	if d == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CRASHLAB_RELEASE_DIST is not set: CI runs `make release-snapshot` before the e2e suite")
		}
		t.Skip("no release snapshot (make release-snapshot, then CRASHLAB_RELEASE_DIST=dist)")
	}
	return d
}

// krewManifest is the part of a krew plugin manifest a user's `kubectl krew
// install` reads.
type krewManifest struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Platforms []struct {
			URI      string `json:"uri"`
			SHA256   string `json:"sha256"`
			Bin      string `json:"bin"`
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
		} `json:"platforms"`
	} `json:"spec"`
}

// releaseArchive is what a user does with a release: check the archive
// against checksums.txt, unpack it, and run the binary inside, directly and
// as the kubectl plugin krew would install, against the real cluster.
func releaseArchive(t *testing.T, kubeconfig string, c kubernetes.Interface) {
	dist := releaseDist(t)
	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	var archive string
	for name := range sums {
		if strings.HasSuffix(name, "_linux_"+runtime.GOARCH+".tar.gz") {
			archive = name
		}
	}
	require.NotEmpty(t, archive, "checksums.txt lists a linux/%s archive: %v", runtime.GOARCH, sums)
	for _, goos := range []string{"linux", "darwin"} {
		for _, arch := range []string{"amd64", "arm64"} {
			found := false
			for name := range sums {
				found = found || strings.HasSuffix(name, "_"+goos+"_"+arch+".tar.gz")
			}
			assert.True(t, found, "an archive for %s/%s", goos, arch)
		}
	}
	assert.Equal(t, sums[archive], fileSHA256(t, filepath.Join(dist, archive)), "the archive matches checksums.txt")

	t.Run("krew-manifest", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(dist, "krew", "crashlab.yaml"))
		require.NoError(t, err)
		var m krewManifest
		require.NoError(t, yaml.Unmarshal(raw, &m))
		assert.Equal(t, "Plugin", m.Kind)
		assert.Equal(t, "crashlab", m.Metadata.Name, "`kubectl krew install crashlab` gives `kubectl crashlab`")
		require.Len(t, m.Spec.Platforms, 4, "linux and darwin, amd64 and arm64")
		for _, p := range m.Spec.Platforms {
			name := filepath.Base(p.URI)
			want, ok := sums[name]
			require.True(t, ok, "the manifest's %s is an archive of this release", name)
			assert.Equal(t, want, p.SHA256, "krew checks the download against this sum")
			assert.Equal(t, "crashlab", p.Bin)
			l := p.Selector.MatchLabels
			assert.True(t, strings.HasSuffix(name, "_"+l["os"]+"_"+l["arch"]+".tar.gz"), "%s selects %v", name, l)
		}
	})

	dir := t.TempDir()
	bin := unpackBinary(t, filepath.Join(dist, archive), "crashlab", dir)
	f, err := elf.Open(bin)
	require.NoError(t, err)
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "a static binary: it runs on any Linux and in the crashlab image")
	}
	f.Close()

	run := func(name string, env []string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
		return string(out), err
	}
	out, err := run(bin, nil, "list")
	require.NoError(t, err)
	all, err := catalog.Load()
	require.NoError(t, err)
	for _, s := range all {
		assert.Contains(t, out, s.ID, "the release lists every incident of the catalogue")
	}
	out, err = run(bin, nil, "learn", "--page", "1")
	require.NoError(t, err)
	assert.NotEmpty(t, strings.TrimSpace(out))

	// explain on a pod the lab did not make: a running control-plane pod.
	pods, err := c.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	pod := ""
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			pod = p.Name
			break
		}
	}
	require.NotEmpty(t, pod)
	args := []string{"--kubeconfig", kubeconfig, "--context", cluster.ContextName, "explain", pod, "-n", "kube-system"}
	direct, err := run(bin, nil, args...)
	require.NoError(t, err)
	assert.Contains(t, direct, pod)

	// As krew installs it: kubectl finds kubectl-crashlab on PATH.
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on PATH for the plugin run")
	}
	require.NoError(t, os.Symlink(bin, filepath.Join(dir, "kubectl-crashlab")))
	plugin, err := run(kubectl, []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}, append([]string{"crashlab"}, args...)...)
	require.NoError(t, err)
	assert.Equal(t, direct, plugin, "the plugin is the same program")
}

func readChecksums(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 {
			sums[fields[1]] = fields[0]
		}
	}
	require.NoError(t, sc.Err())
	return sums
}

func fileSHA256(t *testing.T, path string) string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// unpackBinary extracts the file called name from a .tar.gz into dir.
func unpackBinary(t *testing.T, archive, name, dir string) string {
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if filepath.Base(h.Name) != name || h.Typeflag != tar.TypeReg {
			continue
		}
		path := filepath.Join(dir, name)
		out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
		require.NoError(t, err)
		_, err = io.Copy(out, tr)
		require.NoError(t, err)
		require.NoError(t, out.Close())
		return path
	}
	t.Fatalf("%s holds no %s", archive, name)
	return ""
}
