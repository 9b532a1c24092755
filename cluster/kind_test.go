package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/yaml"
)

func TestPreflight(t *testing.T) {
	errExit := errors.New("exit status 1")
	daemonDown := "Client:\n Version: 27.5.1\n\nServer:\nCannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"

	tests := []struct {
		name      string
		binaries  []string          // found by lookPath
		env       map[string]string // getenv
		forced    bool              // use the env to pick the provider, as NewLab does
		out       string            // combined output of `<runtime> info`
		err       error             // error of `<runtime> info`
		hang      bool              // `<runtime> info` never answers
		wantErr   string            // exact error; "" = no error
		wantParts []string          // substrings, when the exact text is not the point
		wantProbe string            // runtime that must have been probed
	}{
		{
			name:    "no runtime at all",
			wantErr: "no container runtime found: install Docker (or podman/nerdctl) and start it",
		},
		{
			name:      "docker daemon up",
			binaries:  []string{"docker"},
			out:       "Server Version: 27.5.1\n",
			wantProbe: "docker",
		},
		{
			name:      "docker daemon down, DOCKER_HOST set",
			binaries:  []string{"docker", "podman"},
			env:       map[string]string{"DOCKER_HOST": "unix:///run/kind-offline/docker.sock"},
			out:       daemonDown,
			err:       errExit,
			wantProbe: "docker",
			wantErr: "docker is installed but its daemon is not answering (DOCKER_HOST=unix:///run/kind-offline/docker.sock): " +
				"start it, e.g. `sudo systemctl start docker` (Linux) or open Docker Desktop: " +
				"docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?: exit status 1",
		},
		{
			name:      "docker daemon down, DOCKER_HOST unset",
			binaries:  []string{"docker"},
			out:       daemonDown,
			err:       errExit,
			wantProbe: "docker",
			wantParts: []string{"docker is installed but its daemon is not answering (DOCKER_HOST not set: the default socket or the current `docker context`): start it"},
		},
		{
			name:      "docker daemon hangs",
			binaries:  []string{"docker"},
			env:       map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2376"},
			hang:      true,
			wantProbe: "docker",
			wantParts: []string{"docker is installed but its daemon is not answering (DOCKER_HOST=tcp://10.0.0.1:2376)", "no answer within 50ms"},
		},
		{
			name:      "docker socket not ours",
			binaries:  []string{"docker"},
			out:       "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info\": dial unix /var/run/docker.sock: connect: permission denied\n",
			err:       errExit,
			wantProbe: "docker",
			wantParts: []string{"docker is running but you may not use it", "sudo usermod -aG docker $USER"},
		},
		{
			name:      "only podman, service down",
			binaries:  []string{"podman"},
			out:       "Error: unable to connect to Podman socket: dial unix /run/user/1000/podman/podman.sock: connect: no such file or directory\n",
			err:       errExit,
			wantProbe: "podman",
			wantParts: []string{"podman is installed but its daemon is not answering (CONTAINER_HOST not set: the default socket): start it, e.g. `podman machine start`"},
		},
		{
			name:      "nerdctl preferred over podman, like kind",
			binaries:  []string{"podman", "nerdctl"},
			out:       "Server:\n",
			wantProbe: "nerdctl",
		},
		{
			name:     "provider forced but missing",
			binaries: []string{"docker"},
			env:      map[string]string{kindProviderEnv: "podman"},
			forced:   true,
			wantErr:  "KIND_EXPERIMENTAL_PROVIDER=podman but no podman binary found on PATH: install it, or unset KIND_EXPERIMENTAL_PROVIDER to use Docker",
		},
		{
			name:      "provider forced and present",
			binaries:  []string{"docker", "podman"},
			env:       map[string]string{kindProviderEnv: "podman"},
			forced:    true,
			out:       "host:\n",
			wantProbe: "podman",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var probed []string
			opts := []LabOption{
				withLookPath(func(file string) (string, error) {
					for _, b := range tt.binaries {
						if b == file {
							return "/usr/bin/" + file, nil
						}
					}
					return "", errors.New("executable file not found in $PATH")
				}),
				withRun(func(ctx context.Context, name string, args ...string) ([]byte, error) {
					probed = append(probed, name+" "+strings.Join(args, " "))
					if tt.hang {
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return []byte(tt.out), tt.err
				}),
				withGetenv(func(k string) string { return tt.env[k] }),
				withProbeTimeout(50 * time.Millisecond),
			}
			if !tt.forced {
				// Keep NewLab from probing the real host.
				opts = append(opts, WithProvider(kindcluster.NewProvider(kindcluster.ProviderWithDocker())))
			}
			err := NewLab(opts...).Preflight(1)

			switch {
			case tt.wantErr != "":
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
			case len(tt.wantParts) > 0:
				require.Error(t, err)
				for _, p := range tt.wantParts {
					assert.Contains(t, err.Error(), p)
				}
			default:
				require.NoError(t, err)
			}
			if tt.wantProbe != "" {
				assert.Equal(t, []string{tt.wantProbe + " " + strings.Join(infoArgs(tt.wantProbe), " ")}, probed)
			} else {
				assert.Empty(t, probed)
			}
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
}

func TestKubeletPatch(t *testing.T) {
	cap10s := "kind: KubeletConfiguration\ncrashLoopBackOff:\n  maxContainerRestartPeriod: 10s\n"
	gate := "featureGates:\n  KubeletCrashLoopBackOffMax: true\n"
	tests := []struct {
		name    string
		version string // "" = unknown
		want    string
	}{
		{name: "1.31 has no such setting", version: "v1.31.9", want: ""},
		{name: "1.32 alpha", version: "v1.32.0", want: cap10s + gate},
		{name: "1.33 alpha", version: "v1.33.1", want: cap10s + gate},
		{name: "1.34 alpha", version: "v1.34.4", want: cap10s + gate},
		{name: "1.35 beta, on by default", version: "v1.35.0", want: cap10s},
		{name: "1.35 pre-release", version: "v1.35.0-rc.1", want: cap10s},
		{name: "1.37", version: "v1.37.0", want: cap10s},
		{name: "unknown behaves like 1.34", want: cap10s + gate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *version.Version
			if tt.version != "" {
				v = version.MustParseGeneric(tt.version)
			}
			got := kubeletPatch(v, false)
			assert.Equal(t, tt.want, got)

			cfg := clusterConfig(v, false, 1)
			require.Len(t, cfg.Nodes, 1)
			assert.Equal(t, v1alpha4.ControlPlaneRole, cfg.Nodes[0].Role)
			if tt.want == "" {
				assert.Empty(t, cfg.KubeadmConfigPatches)
				return
			}
			require.Equal(t, []string{tt.want}, cfg.KubeadmConfigPatches)
			// kind merges the patch as YAML: it must parse to the kubelet's field names.
			var parsed map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(got), &parsed))
			assert.Equal(t, "KubeletConfiguration", parsed["kind"])
			assert.Equal(t, map[string]any{"maxContainerRestartPeriod": "10s"}, parsed["crashLoopBackOff"])
		})
	}
}

func TestNodeVersionFromImage(t *testing.T) {
	tests := []struct {
		image string
		want  string // "" = unknown
	}{
		{image: "kind-offline/node:v1.34.4", want: "1.34.4"},
		{image: "kind-offline/node:v1.34.4-debian", want: "1.34.4"},
		{image: "kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f", want: "1.33.1"},
		{image: "localhost:5000/kindest/node:v1.31.0", want: "1.31.0"},
		{image: "registry.example.com:443/node:v1.35.0-rc.1", want: "1.35.0"},
		{image: defaults.Image, want: "1.37.0"},
		{image: "localhost:5000/kindest/node"},
		{image: "kindest/node:latest"},
		{image: "kindest/node@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f"},
		{image: "kindest/node:1.34.4"},
		{image: "kindest/node:v1.34"},
		{image: ""},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			v := nodeVersionFromImage(tt.image)
			if tt.want == "" {
				assert.Nil(t, v)
				return
			}
			require.NotNil(t, v)
			assert.Equal(t, tt.want, fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Patch()))
		})
	}
}

func TestKubeconfigPath(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	require.NoError(t, os.WriteFile(existing, []byte("apiVersion: v1\n"), 0o600))
	absent := filepath.Join(dir, "absent")
	absent2 := filepath.Join(dir, "absent2")
	list := func(p ...string) string { return strings.Join(p, string(filepath.ListSeparator)) }

	tests := []struct {
		name       string
		explicit   string
		kubeconfig string
		want       string
	}{
		{name: "explicit wins", explicit: "/tmp/x", kubeconfig: existing, want: "/tmp/x"},
		{name: "single KUBECONFIG", kubeconfig: absent, want: absent},
		{name: "first existing of several", kubeconfig: list(absent, existing), want: existing},
		{name: "last when none exists", kubeconfig: list(absent, "", absent2, absent), want: absent2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kubeconfigPath(tt.explicit, func(k string) string {
				if k == "KUBECONFIG" {
					return tt.kubeconfig
				}
				return ""
			})
			assert.Equal(t, tt.want, got)
		})
	}
	assert.True(t, strings.HasSuffix(kubeconfigPath("", func(string) string { return "" }), filepath.Join(".kube", "config")))
}

func TestUpOptions(t *testing.T) {
	var o upOptions
	for _, opt := range []UpOption{WithNodeImage("kind-offline/node:v1.34.4"), WithWaitForReady(time.Minute), WithKubeconfigPath("/tmp/kc")} {
		opt.apply(&o)
	}
	assert.Equal(t, upOptions{nodeImage: "kind-offline/node:v1.34.4", waitForReady: time.Minute, kubeconfigPath: "/tmp/kc"}, o)
}

// blockingProvider is a kind provider whose Create never finishes on its own,
// as a slow node image pull or kubeadm init would.
type blockingProvider struct {
	release chan struct{}
	created chan struct{}
}

func (p *blockingProvider) Create(string, ...kindcluster.CreateOption) error {
	close(p.created)
	<-p.release
	return nil
}
func (p *blockingProvider) Delete(string, string) error                 { return nil }
func (p *blockingProvider) List() ([]string, error)                     { return nil, nil }
func (p *blockingProvider) ExportKubeConfig(string, string, bool) error { return nil }
func (p *blockingProvider) ListInternalNodes(string) ([]nodes.Node, error) {
	return nil, nil
}

// Ctrl-C during `up` ends it within a second, reported as the interrupt,
// even though kind's Create takes no context.
func TestUpInterruptedDuringCreateEndsAtOnce(t *testing.T) {
	p := &blockingProvider{release: make(chan struct{}), created: make(chan struct{})}
	defer close(p.release)
	l := NewLab(withKindProvider(p))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Up(ctx, WithKubeconfigPath(filepath.Join(t.TempDir(), "kubeconfig")))
		done <- err
	}()
	<-p.created
	cancel()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(time.Second):
		t.Fatal("up did not end within a second of the interrupt")
	}
}

func TestKubeletPatchOnACgroupV1Host(t *testing.T) {
	got := kubeletPatch(version.MustParseGeneric("v1.37.2"), true)
	var parsed map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(got), &parsed))
	assert.Equal(t, false, parsed["failCgroupV1"], "a 1.35+ kubelet must be told to accept cgroup v1")
	assert.Equal(t, map[string]any{"maxContainerRestartPeriod": "10s"}, parsed["crashLoopBackOff"])
	assert.Equal(t, "kind: KubeletConfiguration\nfailCgroupV1: false\n", kubeletPatch(version.MustParseGeneric("v1.31.0"), true))
}

func TestCgroupVersionFromRuntimeInfo(t *testing.T) {
	tests := []struct {
		name, info string
		want       int
	}{
		{"docker v1", "Server:\n Cgroup Driver: cgroupfs\n Cgroup Version: 1\n Plugins:\n", 1},
		{"docker v2", " Cgroup Driver: systemd\n Cgroup Version: 2\n", 2},
		{"podman", "host:\n  cgroupManager: systemd\n  cgroupVersion: v2\n", 2},
		{"not said", "Server Version: 20.10\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cgroupVersionOf([]byte(tt.info)))
		})
	}
}

func TestClusterConfigNodesAndRegistryDirectory(t *testing.T) {
	for _, n := range []int{1, 3} {
		cfg := clusterConfig(nil, false, n)
		require.Len(t, cfg.Nodes, n)
		assert.Equal(t, "control-plane", string(cfg.Nodes[0].Role))
		for _, node := range cfg.Nodes[1:] {
			assert.Equal(t, "worker", string(node.Role))
		}
		require.Len(t, cfg.ContainerdConfigPatches, 1)
		assert.Contains(t, cfg.ContainerdConfigPatches[0], `config_path = "/etc/containerd/certs.d"`)
	}
}

// A caller without a logger (a library user, the e2e suite) passes nil:
// the lab keeps its silent one rather than panicking on the first message.
func TestWithNilLoggerStaysSilent(t *testing.T) {
	l := NewLab(WithLogger(nil))
	require.NotNil(t, l.logger)
	assert.NotPanics(t, func() { l.logger.V(0).Infof("loading %s", "x") })
}
