package cluster

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// AuditPolicy is the audit policy of the lab's cluster (audit-policy.yaml):
// the learner's reads at level Metadata, their writes at level Request,
// Secrets and ConfigMaps at Metadata only, cluster components not at all.
//
//go:embed audit-policy.yaml
var AuditPolicy []byte

// Where the control-plane node keeps the audit policy and log, and how the
// API server bounds the log.
const (
	AuditPolicyNodeDir = "/etc/kubernetes/policies"
	AuditPolicyFile    = "audit-policy.yaml"
	AuditLogNodeDir    = "/var/log/kubernetes/audit"
	AuditLogFile       = "audit.log"
	// AuditLogMaxSizeMB is the size at which the API server rotates the log
	// (to audit-<timestamp>.log); it keeps AuditLogMaxBackups rotated files
	// no older than AuditLogMaxAgeDays.
	AuditLogMaxSizeMB  = 20
	AuditLogMaxBackups = 5
	AuditLogMaxAgeDays = 7
)

// auditPolicyHostDir is the host folder, under the directory PrepareAudit
// is given, that the control-plane node mounts for the policy.
const auditPolicyHostDir = "policy"

// ErrAuditDirNotDir: the path given for the audit files exists and is not
// a directory.
var ErrAuditDirNotDir = errors.New("audit path is not a directory")

// AuditConfig is what kind needs to create the lab's cluster with API
// auditing.
type AuditConfig struct {
	// Patch is the kubeadm ClusterConfiguration patch that turns auditing
	// on: an entry of the cluster's KubeadmConfigPatches.
	Patch string
	// Mounts are the control-plane node's extra mounts: the host's policy
	// folder, read-only. The log stays in the node (kind keeps a node's
	// /var on a volume of its own), so it goes when the cluster goes and
	// leaves nothing on the host; AuditLog reads it through the node.
	Mounts []v1alpha4.Mount
	// PolicyPath is the policy file on the host.
	PolicyPath string
}

// PrepareAudit writes AuditPolicy under dir (dir/policy/audit-policy.yaml)
// and returns the kind configuration for a cluster of Kubernetes version v
// (nil when unknown). dir must be absent or a directory.
//
// The API server creates the log file with mode 0600 as the node's root: a
// host folder for it could not be read by the host user on a rootful
// container runtime, which is one more reason it stays in the node.
func PrepareAudit(dir string, v *version.Version) (AuditConfig, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return AuditConfig{}, fmt.Errorf("audit directory %s: %w", dir, err)
	}
	switch fi, err := os.Stat(abs); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return AuditConfig{}, fmt.Errorf("audit directory: %w", err)
	case !fi.IsDir():
		return AuditConfig{}, fmt.Errorf("%s: %w", abs, ErrAuditDirNotDir)
	}
	policyDir := filepath.Join(abs, auditPolicyHostDir)
	if err := os.MkdirAll(policyDir, 0o755); err != nil {
		return AuditConfig{}, fmt.Errorf("audit directory: %w", err)
	}
	policy := filepath.Join(policyDir, AuditPolicyFile)
	// A policy left by an earlier lab is replaced whatever its mode.
	if err := os.Remove(policy); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return AuditConfig{}, fmt.Errorf("write audit policy: %w", err)
	}
	if err := os.WriteFile(policy, AuditPolicy, 0o644); err != nil {
		return AuditConfig{}, fmt.Errorf("write audit policy: %w", err)
	}
	// The umask applies to WriteFile's mode: the API server must read it.
	if err := os.Chmod(policy, 0o644); err != nil {
		return AuditConfig{}, fmt.Errorf("write audit policy: %w", err)
	}
	return AuditConfig{
		Patch:      auditPatch(v),
		Mounts:     auditMounts(policyDir),
		PolicyPath: policy,
	}, nil
}

// ApplyTo adds the patch to cfg's kubeadm patches and the mounts to its
// control-plane nodes.
func (a AuditConfig) ApplyTo(cfg *v1alpha4.Cluster) {
	cfg.KubeadmConfigPatches = append(cfg.KubeadmConfigPatches, a.Patch)
	for i := range cfg.Nodes {
		if cfg.Nodes[i].Role == v1alpha4.ControlPlaneRole {
			cfg.Nodes[i].ExtraMounts = append(cfg.Nodes[i].ExtraMounts, a.Mounts...)
		}
	}
}

func auditMounts(policyDir string) []v1alpha4.Mount {
	return []v1alpha4.Mount{{HostPath: policyDir, ContainerPath: AuditPolicyNodeDir, Readonly: true}}
}

// kubeadmV1beta4 is the first Kubernetes version kind v0.33 writes a
// kubeadm.k8s.io/v1beta4 configuration for (see its
// pkg/cluster/internal/kubeadm/config.go); before it, from 1.23, v1beta3.
var kubeadmV1beta4 = version.MustParseGeneric("v1.36.0")

// auditArgs are the API server's flags for auditing, in a stable order.
func auditArgs() [][2]string {
	return [][2]string{
		{"audit-policy-file", AuditPolicyNodeDir + "/" + AuditPolicyFile},
		{"audit-log-path", AuditLogNodeDir + "/" + AuditLogFile},
		{"audit-log-format", "json"},
		{"audit-log-maxsize", strconv.Itoa(AuditLogMaxSizeMB)},
		{"audit-log-maxbackup", strconv.Itoa(AuditLogMaxBackups)},
		{"audit-log-maxage", strconv.Itoa(AuditLogMaxAgeDays)},
	}
}

// auditPatch is the ClusterConfiguration patch for a node of version v.
//
// Like the lab's KubeletConfiguration patch it names no apiVersion: kind
// applies a patch to the document of the same kind, and to any apiVersion
// when the patch names none. Only extraArgs differ between the kubeadm
// APIs: a map in v1beta3, a list of {name, value} in v1beta4. kind v0.33
// merges a v1beta4 list by name, and turns the map of a patch without
// apiVersion into that list, so the map is also right when v is unknown.
// extraVolumes have the same shape in both.
func auditPatch(v *version.Version) string {
	var b strings.Builder
	b.WriteString("kind: ClusterConfiguration\n")
	b.WriteString("apiServer:\n")
	b.WriteString("  extraArgs:\n")
	list := v != nil && v.AtLeast(kubeadmV1beta4)
	for _, a := range auditArgs() {
		if list {
			fmt.Fprintf(&b, "    - name: %s\n      value: %q\n", a[0], a[1])
		} else {
			fmt.Fprintf(&b, "    %s: %q\n", a[0], a[1])
		}
	}
	b.WriteString("  extraVolumes:\n")
	for _, vol := range []struct {
		name, path string
		readOnly   bool
	}{
		{"audit-policy", AuditPolicyNodeDir, true},
		{"audit-log", AuditLogNodeDir, false},
	} {
		fmt.Fprintf(&b, "    - name: %s\n      hostPath: %s\n      mountPath: %s\n      readOnly: %t\n      pathType: DirectoryOrCreate\n", vol.name, vol.path, vol.path, vol.readOnly)
	}
	return b.String()
}
