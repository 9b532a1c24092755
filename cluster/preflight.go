package cluster

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problems Preflight finds in a runtime that answers; the error wraps one of
// them, so callers can tell which without reading the text.
var (
	// ErrNotEnoughMemory: the runtime has less memory than the nodes need.
	ErrNotEnoughMemory = errors.New("not enough memory for the lab's nodes")
	// ErrNoMemoryLimits: the runtime cannot enforce a container's memory limit.
	ErrNoMemoryLimits = errors.New("the container runtime cannot enforce memory limits")
	// ErrRootlessCgroup: a rootless runtime lacks what kind needs from cgroups.
	ErrRootlessCgroup = errors.New("the rootless container runtime lacks cgroup support kind needs")
)

const mib = 1 << 20

// Memory a cluster needs from the runtime. The runtime's total is the whole
// machine (or, with Docker Desktop, podman machine, Lima, the whole VM), so
// the figure covers the runtime's own share too:
//   - hostMemory, 1 GiB: the VM's kernel and OS, dockerd/containerd/podman.
//   - controlPlaneMemory, 1 GiB: an idle kind control plane (etcd,
//     kube-apiserver, controller-manager, scheduler, kubelet, containerd,
//     CoreDNS x2, kindnet, kube-proxy, local-path-provisioner) sits at about
//     650-800 MiB in `docker stats`; the rest is for the lab's incidents,
//     whose containers are limited to 16-128 MiB each (see the scenarios'
//     manifests), a few at a time.
//   - workerMemory, 512 MiB: a worker runs only kubelet, containerd,
//     kindnet and kube-proxy (about 200 MiB) plus the incidents scheduled
//     onto it.
//
// With less, kind's node does not become Ready in time or the kernel's OOM
// killer hits the API server, which looks like a broken lab, not like a
// small machine.
const (
	hostMemory         = 1024 * mib
	controlPlaneMemory = 1024 * mib
	workerMemory       = 512 * mib
)

// MemoryNeeded is the memory the runtime must have for a cluster of nodes nodes.
func MemoryNeeded(nodes int) int64 {
	if nodes < 1 {
		nodes = 1
	}
	return hostMemory + controlPlaneMemory + int64(nodes-1)*workerMemory
}

// runtimeInfo is what Preflight reads from the runtime's info: the fields
// kind's own providers read (to refuse a rootless setup it cannot run on),
// plus the total memory.
type runtimeInfo struct {
	memTotal      int64 // bytes; 0 when not reported
	cgroupVersion int   // 1 or 2; 0 when not reported
	rootless      bool
	// Whether a container's memory, pids and CPU shares can be limited; kind
	// checks exactly these three for a rootless runtime.
	memoryLimit, pidsLimit, cpuShares bool
}

// dockerInfo is `docker info --format '{{json .}}'`, which nerdctl mimics
// with the same field names (kind reads both with one struct).
type dockerInfo struct {
	MemTotal        int64    `json:"MemTotal"`
	CgroupDriver    string   `json:"CgroupDriver"`  // "systemd", "cgroupfs", "none"
	CgroupVersion   string   `json:"CgroupVersion"` // "1" or "2"
	MemoryLimit     bool     `json:"MemoryLimit"`
	PidsLimit       bool     `json:"PidsLimit"`
	CPUShares       bool     `json:"CPUShares"`
	SecurityOptions []string `json:"SecurityOptions"`
}

// podmanInfo is `podman info --format json`.
type podmanInfo struct {
	Host struct {
		MemTotal          int64    `json:"memTotal"`
		CgroupVersion     string   `json:"cgroupVersion"` // "v1" or "v2"
		CgroupControllers []string `json:"cgroupControllers"`
		Security          struct {
			Rootless bool `json:"rootless"`
		} `json:"security"`
	} `json:"host"`
}

// parseRuntimeInfo reads the JSON info of runtime from out, which may carry
// stderr lines around it; ok is false when there is no JSON to read.
func parseRuntimeInfo(runtime string, out []byte) (info runtimeInfo, ok bool) {
	start := bytes.IndexByte(out, '{')
	if start < 0 {
		return info, false
	}
	dec := json.NewDecoder(bytes.NewReader(out[start:]))
	if runtime == "podman" {
		var p podmanInfo
		if err := dec.Decode(&p); err != nil {
			return info, false
		}
		info.memTotal = p.Host.MemTotal
		info.cgroupVersion = cgroupVersionNumber(p.Host.CgroupVersion)
		info.rootless = p.Host.Security.Rootless
		// Podman before 4.0 lists no controllers; kind then assumes all of
		// them, and so does the lab.
		c := p.Host.CgroupControllers
		info.memoryLimit = len(c) == 0 || slices.Contains(c, "memory")
		info.pidsLimit = len(c) == 0 || slices.Contains(c, "pids")
		info.cpuShares = len(c) == 0 || slices.Contains(c, "cpu")
		return info, true
	}
	var d dockerInfo
	if err := dec.Decode(&d); err != nil {
		return info, false
	}
	info.memTotal = d.MemTotal
	info.cgroupVersion = cgroupVersionNumber(d.CgroupVersion)
	// With no cgroup driver the limit flags mean nothing (moby#42151); kind
	// counts them as false.
	if d.CgroupDriver != "none" {
		info.memoryLimit, info.pidsLimit, info.cpuShares = d.MemoryLimit, d.PidsLimit, d.CPUShares
	}
	for _, o := range d.SecurityOptions {
		// Like "name=seccomp,profile=default" or "name=rootless".
		fields, err := csv.NewReader(strings.NewReader(o)).Read()
		if err == nil && slices.Contains(fields, "name=rootless") {
			info.rootless = true
		}
	}
	return info, true
}

func cgroupVersionNumber(s string) int {
	switch strings.TrimPrefix(s, "v") {
	case "1":
		return 1
	case "2":
		return 2
	}
	return 0
}

// check says in one line the first thing that keeps runtime from holding a
// lab of nodes nodes, or nil.
func (i runtimeInfo) check(runtime string, nodes int) error {
	if i.rootless {
		// kind refuses both (create.go validateProvider); saying so here
		// names what to change instead of kind's link alone.
		if i.cgroupVersion != 2 {
			return fmt.Errorf("%w: %s runs rootless on cgroup v%d, and rootless kind needs cgroup v2: boot with systemd.unified_cgroup_hierarchy=1, or run %s as root (https://kind.sigs.k8s.io/docs/user/rootless/)",
				ErrRootlessCgroup, runtime, i.cgroupVersion, runtime)
		}
		var missing []string
		for _, c := range []struct {
			name string
			ok   bool
		}{{"cpu", i.cpuShares}, {"memory", i.memoryLimit}, {"pids", i.pidsLimit}} {
			if !c.ok {
				missing = append(missing, c.name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: %s runs rootless and systemd does not delegate the %s cgroup controller(s) to your user: add a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, run `sudo systemctl daemon-reload`, then log in again (https://kind.sigs.k8s.io/docs/user/rootless/)",
				ErrRootlessCgroup, runtime, strings.Join(missing, ", "))
		}
	}
	if !i.memoryLimit {
		return fmt.Errorf("%w: %s reports no memory limit support, so the lab's out-of-memory incidents would never be killed: enable the memory cgroup (on cgroup v1 boot with cgroup_enable=memory; on cgroup v2 it must be in /sys/fs/cgroup/cgroup.subtree_control)",
			ErrNoMemoryLimits, runtime)
	}
	if need := MemoryNeeded(nodes); i.memTotal > 0 && i.memTotal < need {
		return fmt.Errorf("%w: %s has %s of memory and %d node(s) need %s: %s",
			ErrNotEnoughMemory, runtime, gib(i.memTotal), max(nodes, 1), gib(need), moreMemory(runtime, need))
	}
	return nil
}

// moreMemory says where each runtime's memory is set; on Linux without a VM
// it is the machine's own.
func moreMemory(runtime string, need int64) string {
	switch runtime {
	case "podman":
		return fmt.Sprintf("give its machine more (`podman machine stop`, `podman machine set --memory %d`, `podman machine start`) or close other programs", need/mib)
	case "docker":
		return "give it more (Docker Desktop: Settings > Resources > Memory) or close other programs"
	}
	return "give the VM it runs in more (Lima/finch: memory in its config) or close other programs"
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }
