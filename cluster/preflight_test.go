package cluster

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
)

// Info outputs as the runtimes print them with the format Preflight asks
// for, cut to the fields that matter (the real ones are long).
const (
	// Docker Desktop with its old 2 GiB default.
	dockerDesktopSmall = `{"MemoryLimit":true,"PidsLimit":true,"CPUShares":true,"CgroupDriver":"cgroupfs","CgroupVersion":"2","MemTotal":2084909056,"SecurityOptions":["name=seccomp,profile=unconfined","name=cgroupns"]}`
	// A Raspberry Pi kernel booted without cgroup_enable=memory: dockerd
	// also prints "WARNING: No memory limit support" in plain `docker info`.
	dockerNoMemcg = `{"MemoryLimit":false,"PidsLimit":true,"CPUShares":true,"CgroupDriver":"cgroupfs","CgroupVersion":"1","MemTotal":8200000000,"SecurityOptions":["name=seccomp,profile=default"]}`
	// cgroup driver "none": the limit flags are meaningless (moby#42151).
	dockerNoCgroupDriver = `{"MemoryLimit":true,"PidsLimit":true,"CPUShares":true,"CgroupDriver":"none","CgroupVersion":"2","MemTotal":8200000000}`
	// Rootless dockerd on cgroup v2 without systemd delegation: only cpu.
	dockerRootlessUndelegated = `{"MemoryLimit":false,"PidsLimit":false,"CPUShares":true,"CgroupDriver":"systemd","CgroupVersion":"2","MemTotal":16400000000,"SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}`
	dockerRootlessV1          = `{"MemoryLimit":false,"PidsLimit":false,"CPUShares":false,"CgroupDriver":"none","CgroupVersion":"1","MemTotal":16400000000,"SecurityOptions":["name=seccomp,profile=builtin","name=rootless"]}`
	dockerRootlessDelegated   = `{"MemoryLimit":true,"PidsLimit":true,"CPUShares":true,"CgroupDriver":"systemd","CgroupVersion":"2","MemTotal":16400000000,"SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}`

	// nerdctl prints docker's field names (its dockercompat.Info).
	nerdctlHealthy             = `{"ID":"","Driver":"overlayfs","MemoryLimit":true,"SwapLimit":true,"CPUShares":true,"PidsLimit":true,"CgroupDriver":"systemd","CgroupVersion":"2","MemTotal":16400000000,"SecurityOptions":["name=seccomp,profile=default","name=cgroupns"]}`
	nerdctlNoMemcg             = `{"MemoryLimit":false,"CPUShares":true,"PidsLimit":true,"CgroupDriver":"cgroupfs","CgroupVersion":"1","MemTotal":4100000000}`
	nerdctlRootlessUndelegated = `{"MemoryLimit":true,"CPUShares":false,"PidsLimit":true,"CgroupDriver":"systemd","CgroupVersion":"2","MemTotal":16400000000,"SecurityOptions":["name=seccomp,profile=default","name=cgroupns","name=rootless"]}`
	nerdctlLima4G              = `{"MemoryLimit":true,"CPUShares":true,"PidsLimit":true,"CgroupDriver":"systemd","CgroupVersion":"2","MemTotal":4100000000}`
)

// podmanInfo prints `podman info --format json` the way podman 4/5 indents
// it, with the host fields Preflight reads.
func podmanInfoJSON(memTotal, cgroupVersion, controllers string, rootless bool) string {
	r := "false"
	if rootless {
		r = "true"
	}
	return "{\n  \"host\": {\n    \"arch\": \"amd64\",\n    \"cgroupManager\": \"systemd\",\n    \"cgroupVersion\": \"" + cgroupVersion + "\",\n" +
		"    \"cgroupControllers\": " + controllers + ",\n    \"memTotal\": " + memTotal + ",\n" +
		"    \"security\": {\n      \"rootless\": " + r + ",\n      \"seccompEnabled\": true\n    }\n  },\n  \"version\": {\n    \"Version\": \"5.2.2\"\n  }\n}\n"
}

func TestPreflightRuntimeInfo(t *testing.T) {
	// The machine the lab is developed on: dockerd started by a script,
	// DOCKER_HOST set, cgroup v1, about 24 GiB.
	kindOffline, err := os.ReadFile("testdata/docker-info-kind-offline.json")
	require.NoError(t, err)

	tests := []struct {
		name       string
		runtime    string
		info       string
		nodes      int
		wantCgroup int
		wantIs     error    // nil: Preflight passes
		wantErr    string   // exact, when set
		wantParts  []string // substrings
	}{
		{name: "docker, this machine", runtime: "docker", info: string(kindOffline), nodes: 1, wantCgroup: 1},
		{name: "docker, this machine, ten nodes", runtime: "docker", info: string(kindOffline), nodes: 10, wantCgroup: 1},
		{
			name: "docker desktop with 2 GiB", runtime: "docker", info: dockerDesktopSmall, nodes: 1, wantCgroup: 2,
			wantIs:  ErrNotEnoughMemory,
			wantErr: "not enough memory for the lab's nodes: docker has 1.9 GiB of memory and 1 node(s) need 2.0 GiB: give it more (Docker Desktop: Settings > Resources > Memory) or close other programs",
		},
		{
			name: "docker, no memory cgroup", runtime: "docker", info: dockerNoMemcg, nodes: 1, wantCgroup: 1,
			wantIs:    ErrNoMemoryLimits,
			wantParts: []string{"docker reports no memory limit support", "out-of-memory incidents would never be killed", "cgroup_enable=memory"},
		},
		{
			name: "docker, no cgroup driver", runtime: "docker", info: dockerNoCgroupDriver, nodes: 1, wantCgroup: 2,
			wantIs: ErrNoMemoryLimits,
		},
		{
			name: "docker rootless, controllers not delegated", runtime: "docker", info: dockerRootlessUndelegated, nodes: 1, wantCgroup: 2,
			wantIs:    ErrRootlessCgroup,
			wantParts: []string{"docker runs rootless and systemd does not delegate the memory, pids cgroup controller(s)", "Delegate=cpu cpuset io memory pids", "systemctl daemon-reload"},
		},
		{
			name: "docker rootless on cgroup v1", runtime: "docker", info: dockerRootlessV1, nodes: 1, wantCgroup: 1,
			wantIs:    ErrRootlessCgroup,
			wantParts: []string{"docker runs rootless on cgroup v1, and rootless kind needs cgroup v2"},
		},
		{name: "docker rootless, delegated", runtime: "docker", info: dockerRootlessDelegated, nodes: 3, wantCgroup: 2},
		{name: "docker JSON after a stderr warning", runtime: "docker", info: "WARNING: bridge-nf-call-iptables is disabled\n" + dockerRootlessDelegated, nodes: 1, wantCgroup: 2},

		{name: "nerdctl healthy", runtime: "nerdctl", info: nerdctlHealthy, nodes: 3, wantCgroup: 2},
		{
			name: "nerdctl, no memory cgroup", runtime: "nerdctl", info: nerdctlNoMemcg, nodes: 1, wantCgroup: 1,
			wantIs: ErrNoMemoryLimits, wantParts: []string{"nerdctl reports no memory limit support"},
		},
		{
			name: "nerdctl rootless, cpu not delegated", runtime: "nerdctl", info: nerdctlRootlessUndelegated, nodes: 1, wantCgroup: 2,
			wantIs: ErrRootlessCgroup, wantParts: []string{"delegate the cpu cgroup controller(s)"},
		},
		{name: "nerdctl in a 4 GiB VM, four nodes", runtime: "nerdctl", info: nerdctlLima4G, nodes: 4, wantCgroup: 2},
		{
			name: "nerdctl in a 4 GiB VM, five nodes", runtime: "nerdctl", info: nerdctlLima4G, nodes: 5, wantCgroup: 2,
			wantIs: ErrNotEnoughMemory, wantParts: []string{"nerdctl has 3.8 GiB of memory and 5 node(s) need 4.0 GiB"},
		},

		{name: "podman rootless, healthy", runtime: "podman", info: podmanInfoJSON("16400000000", "v2", `["cpu", "io", "memory", "pids"]`, true), nodes: 2, wantCgroup: 2},
		{
			name: "podman machine with 2 GiB", runtime: "podman", info: podmanInfoJSON("2066968576", "v2", `["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]`, false), nodes: 2, wantCgroup: 2,
			wantIs: ErrNotEnoughMemory, wantParts: []string{"podman has 1.9 GiB of memory and 2 node(s) need 2.5 GiB", "`podman machine set --memory 2560`"},
		},
		{
			name: "podman rootless, only memory and pids delegated", runtime: "podman", info: podmanInfoJSON("16400000000", "v2", `["memory", "pids"]`, true), nodes: 1, wantCgroup: 2,
			wantIs: ErrRootlessCgroup, wantParts: []string{"podman runs rootless and systemd does not delegate the cpu cgroup controller(s)"},
		},
		{
			name: "podman rootful without the memory controller", runtime: "podman", info: podmanInfoJSON("16400000000", "v2", `["cpu", "pids"]`, false), nodes: 1, wantCgroup: 2,
			wantIs: ErrNoMemoryLimits,
		},
		{
			name: "podman rootless on cgroup v1", runtime: "podman", info: podmanInfoJSON("16400000000", "v1", `[]`, true), nodes: 1, wantCgroup: 1,
			wantIs: ErrRootlessCgroup, wantParts: []string{"rootless on cgroup v1"},
		},
		{name: "podman 3 lists no controllers: assumed, as kind does", runtime: "podman", info: podmanInfoJSON("16400000000", "v2", `null`, true), nodes: 1, wantCgroup: 2},

		{name: "unreadable info: checks skipped", runtime: "docker", info: "Server Version: 20.10\n Cgroup Version: 1\n", nodes: 10, wantCgroup: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var probed []string
			l := NewLab(
				WithProvider(kindcluster.NewProvider(kindcluster.ProviderWithDocker())),
				withLookPath(func(file string) (string, error) {
					if file == tt.runtime {
						return "/usr/bin/" + file, nil
					}
					return "", errors.New("executable file not found in $PATH")
				}),
				withRun(func(_ context.Context, name string, args ...string) ([]byte, error) {
					probed = append(probed, name+" "+strings.Join(args, " "))
					return []byte(tt.info), nil
				}),
				withGetenv(func(string) string { return "" }),
				withProbeTimeout(time.Second),
			)
			err := l.Preflight(tt.nodes)

			if tt.wantIs == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantIs)
				assert.NotContains(t, err.Error(), "\n", "one line")
			}
			if tt.wantErr != "" {
				assert.Equal(t, tt.wantErr, err.Error())
			}
			for _, p := range tt.wantParts {
				assert.Contains(t, err.Error(), p)
			}
			want := map[string]string{"docker": "docker info --format {{json .}}", "nerdctl": "nerdctl info --format {{json .}}", "podman": "podman info --format json"}
			assert.Equal(t, []string{want[tt.runtime]}, probed)
			assert.Equal(t, tt.wantCgroup, l.cgroupVersion)
		})
	}
}

// With the daemon down, `docker info --format '{{json .}}'` still prints its
// JSON (the error inside it) before the CLI's own error line; the message
// quotes the line, not the JSON.
func TestPreflightDaemonDownWithJSONInfo(t *testing.T) {
	out := `{"ID":"","Containers":0,"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"],"ClientInfo":{"Debug":false}}` + "\n" +
		"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
	l := NewLab(
		WithProvider(kindcluster.NewProvider(kindcluster.ProviderWithDocker())),
		withLookPath(func(file string) (string, error) { return "/usr/bin/" + file, nil }),
		withRun(func(context.Context, string, ...string) ([]byte, error) {
			return []byte(out), errors.New("exit status 1")
		}),
		withGetenv(func(string) string { return "" }),
	)
	err := l.Preflight(1)
	require.Error(t, err)
	assert.True(t, strings.HasSuffix(err.Error(), "docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?: exit status 1"), err.Error())
}

func TestMemoryNeeded(t *testing.T) {
	const gib = 1 << 30
	assert.Equal(t, int64(2*gib), MemoryNeeded(1))
	assert.Equal(t, int64(2*gib), MemoryNeeded(0), "no --nodes is one node")
	assert.Equal(t, int64(3*gib), MemoryNeeded(3))
	assert.Equal(t, int64(6.5*gib), MemoryNeeded(10))
}
