package cluster

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// containerdRegistryPatch points containerd's CRI plugin at a directory of
// per-registry host files (kind's local-registry pattern).
const containerdRegistryPatch = `[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"`

// certsDir is that directory on a node.
const certsDir = "/etc/containerd/certs.d"

// TrustRegistry tells every node's containerd to pull from registry
// (HOST[:PORT]) over plain HTTP: it writes certs.d/<registry>/hosts.toml,
// which containerd reads at each pull, so no restart is needed. A cluster
// created before the lab set config_path is refused with what to do.
func (l *Lab) TrustRegistry(ctx context.Context, registry string) error {
	nodeList, err := l.nodes()
	if err != nil {
		return err
	}
	hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+registry, "http://"+registry)
	for _, n := range nodeList {
		var cfg bytes.Buffer
		if err := n.CommandContext(ctx, "cat", "/etc/containerd/config.toml").SetStdout(&cfg).Run(); err != nil {
			return fmt.Errorf("read containerd's config on node %s: %w", n, err)
		}
		if !strings.Contains(cfg.String(), certsDir) {
			return &OldContainerdError{Node: n.String(), Dir: certsDir, Registry: registry}
		}
		dir := certsDir + "/" + registry
		cmd := n.CommandContext(ctx, "sh", "-c", `mkdir -p "$1" && cat > "$1/hosts.toml"`, "sh", dir)
		if err := cmd.SetStdin(strings.NewReader(hosts)).Run(); err != nil {
			return fmt.Errorf("write %s/hosts.toml on node %s: %w", dir, n, err)
		}
		l.logger.V(0).Infof("Node %s pulls from %s over HTTP", n, registry)
	}
	return nil
}
