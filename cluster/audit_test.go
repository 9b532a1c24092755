package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/version"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

func decodePolicy(t *testing.T) auditv1.Policy {
	t.Helper()
	var p auditv1.Policy
	require.NoError(t, yaml.UnmarshalStrict(AuditPolicy, &p))
	return p
}

// request is what an audit policy rule matches on.
type request struct {
	user   string
	groups []string
	verb   string
	group  string // API group
	res    string // resource or resource/subresource
	ns     string
	path   string // a non-resource URL when res is ""
}

// level evaluates the policy as kube-apiserver does
// (k8s.io/apiserver/pkg/audit/policy/checker.go): the first rule that
// matches decides; none matching means None.
func level(p auditv1.Policy, r request) auditv1.Level {
	for _, rule := range p.Rules {
		if ruleMatches(rule, r) {
			return rule.Level
		}
	}
	return auditv1.LevelNone
}

func ruleMatches(rule auditv1.PolicyRule, r request) bool {
	if len(rule.Users) > 0 && !slices.Contains(rule.Users, r.user) {
		return false
	}
	if len(rule.UserGroups) > 0 && !slices.ContainsFunc(r.groups, func(g string) bool { return slices.Contains(rule.UserGroups, g) }) {
		return false
	}
	if len(rule.Verbs) > 0 && !slices.Contains(rule.Verbs, r.verb) {
		return false
	}
	if len(rule.Namespaces) > 0 || len(rule.Resources) > 0 {
		if r.res == "" {
			return false
		}
		if len(rule.Namespaces) > 0 && !slices.Contains(rule.Namespaces, r.ns) {
			return false
		}
		if len(rule.Resources) == 0 {
			return true
		}
		resource, sub, _ := strings.Cut(r.res, "/")
		for _, gr := range rule.Resources {
			if gr.Group != r.group {
				continue
			}
			if len(gr.Resources) == 0 {
				return true
			}
			for _, x := range gr.Resources {
				if x == r.res || x == "*" || sub != "" && x == "*/"+sub || strings.HasSuffix(x, "/*") && resource == strings.TrimSuffix(x, "/*") {
					return true
				}
			}
		}
		return false
	}
	if len(rule.NonResourceURLs) > 0 {
		if r.res != "" {
			return false
		}
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == r.path || strings.HasSuffix(u, "*") && strings.HasPrefix(r.path, strings.TrimSuffix(u, "*")) {
				return true
			}
		}
		return false
	}
	return true
}

func TestAuditPolicyDecodes(t *testing.T) {
	p := decodePolicy(t)
	assert.Equal(t, "audit.k8s.io/v1", p.APIVersion)
	assert.Equal(t, "Policy", p.Kind)
	assert.Equal(t, []auditv1.Stage{auditv1.StageRequestReceived}, p.OmitStages)
	require.NotEmpty(t, p.Rules)
	for i, r := range p.Rules {
		assert.Contains(t, []auditv1.Level{auditv1.LevelNone, auditv1.LevelMetadata, auditv1.LevelRequest}, r.Level, "rule %d: never RequestResponse, which would log Secrets' content", i)
	}
	last := p.Rules[len(p.Rules)-1]
	assert.Equal(t, auditv1.PolicyRule{Level: auditv1.LevelNone}, last, "anything else is not logged")
}

func TestAuditPolicyLevels(t *testing.T) {
	p := decodePolicy(t)
	admin := []string{"kubeadm:cluster-admins", "system:authenticated"}
	const ns = "crashlab-orders-api-down-after-config"
	tests := []struct {
		name string
		r    request
		want auditv1.Level
	}{
		{"learner lists pods", request{user: "kubernetes-admin", groups: admin, verb: "list", res: "pods", ns: ns}, auditv1.LevelMetadata},
		{"learner gets a pod", request{user: "kubernetes-admin", groups: admin, verb: "get", res: "pods", ns: ns}, auditv1.LevelMetadata},
		{"learner watches pods", request{user: "kubernetes-admin", groups: admin, verb: "watch", res: "pods", ns: ns}, auditv1.LevelMetadata},
		{"learner reads logs", request{user: "kubernetes-admin", groups: admin, verb: "get", res: "pods/log", ns: ns}, auditv1.LevelMetadata},
		{"learner execs (websocket)", request{user: "kubernetes-admin", groups: admin, verb: "get", res: "pods/exec", ns: ns}, auditv1.LevelMetadata},
		{"learner execs (SPDY)", request{user: "kubernetes-admin", groups: admin, verb: "create", res: "pods/exec", ns: ns}, auditv1.LevelMetadata},
		{"learner port-forwards", request{user: "kubernetes-admin", groups: admin, verb: "create", res: "pods/portforward", ns: ns}, auditv1.LevelMetadata},
		{"learner lists events", request{user: "kubernetes-admin", groups: admin, verb: "list", res: "events", ns: ns}, auditv1.LevelMetadata},
		{"learner lists nodes", request{user: "kubernetes-admin", groups: admin, verb: "list", res: "nodes"}, auditv1.LevelMetadata},
		{"learner reads a deployment", request{user: "kubernetes-admin", groups: admin, verb: "get", group: "apps", res: "deployments", ns: ns}, auditv1.LevelMetadata},
		{"learner patches a deployment", request{user: "kubernetes-admin", groups: admin, verb: "patch", group: "apps", res: "deployments", ns: ns}, auditv1.LevelRequest},
		{"learner scales", request{user: "kubernetes-admin", groups: admin, verb: "patch", group: "apps", res: "deployments/scale", ns: ns}, auditv1.LevelRequest},
		{"learner deletes a pod", request{user: "kubernetes-admin", groups: admin, verb: "delete", res: "pods", ns: ns}, auditv1.LevelRequest},
		{"learner creates a job", request{user: "kubernetes-admin", groups: admin, verb: "create", group: "batch", res: "jobs", ns: ns}, auditv1.LevelRequest},
		{"learner reads a Secret", request{user: "kubernetes-admin", groups: admin, verb: "get", res: "secrets", ns: ns}, auditv1.LevelMetadata},
		{"learner patches a Secret: never its content", request{user: "kubernetes-admin", groups: admin, verb: "patch", res: "secrets", ns: ns}, auditv1.LevelMetadata},
		{"learner creates a Secret", request{user: "kubernetes-admin", groups: admin, verb: "create", res: "secrets", ns: ns}, auditv1.LevelMetadata},
		{"learner edits a ConfigMap", request{user: "kubernetes-admin", groups: admin, verb: "update", res: "configmaps", ns: ns}, auditv1.LevelMetadata},
		{"workshop learner (service account)", request{user: "system:serviceaccount:crashlab-ws:alice", groups: []string{"system:serviceaccounts", "system:serviceaccounts:crashlab-ws", "system:authenticated"}, verb: "list", res: "pods", ns: ns}, auditv1.LevelMetadata},
		{"the lab's own client", request{user: "kubernetes-admin", groups: admin, verb: "create", group: "apps", res: "deployments", ns: ns}, auditv1.LevelRequest},
		{"kubelet", request{user: "system:node:crashlab-control-plane", groups: []string{"system:nodes", "system:authenticated"}, verb: "patch", res: "pods/status", ns: ns}, auditv1.LevelNone},
		{"kubelet reads a Secret", request{user: "system:node:crashlab-control-plane", groups: []string{"system:nodes", "system:authenticated"}, verb: "get", res: "secrets", ns: ns}, auditv1.LevelNone},
		{"scheduler binds", request{user: "system:kube-scheduler", groups: []string{"system:authenticated"}, verb: "create", res: "pods/binding", ns: ns}, auditv1.LevelNone},
		{"controller manager", request{user: "system:kube-controller-manager", groups: []string{"system:authenticated"}, verb: "update", group: "apps", res: "deployments/status", ns: ns}, auditv1.LevelNone},
		{"replicaset controller's account", request{user: "system:serviceaccount:kube-system:replicaset-controller", groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}, verb: "create", res: "pods", ns: ns}, auditv1.LevelNone},
		{"apiserver loopback", request{user: "system:apiserver", groups: []string{"system:authenticated", "system:masters"}, verb: "list", res: "pods"}, auditv1.LevelNone},
		{"kube-proxy", request{user: "system:kube-proxy", verb: "watch", res: "services"}, auditv1.LevelNone},
		{"the lab's controller", request{user: "system:serviceaccount:crashlab-system:crashlab-controller", groups: []string{"system:serviceaccounts", "system:serviceaccounts:crashlab-system", "system:authenticated"}, verb: "list", res: "pods", ns: ns}, auditv1.LevelNone},
		{"local-path provisioner", request{user: "system:serviceaccount:local-path-storage:local-path-provisioner-service-account", groups: []string{"system:serviceaccounts", "system:serviceaccounts:local-path-storage"}, verb: "create", res: "persistentvolumes"}, auditv1.LevelNone},
		{"admin in kube-system", request{user: "kubernetes-admin", groups: admin, verb: "list", res: "pods", ns: "kube-system"}, auditv1.LevelNone},
		{"admin in kube-node-lease", request{user: "kubernetes-admin", groups: admin, verb: "list", group: "coordination.k8s.io", res: "leases", ns: "kube-node-lease"}, auditv1.LevelNone},
		{"admin in local-path-storage", request{user: "kubernetes-admin", groups: admin, verb: "get", res: "configmaps", ns: "local-path-storage"}, auditv1.LevelNone},
		{"leases anywhere", request{user: "kubernetes-admin", groups: admin, verb: "update", group: "coordination.k8s.io", res: "leases", ns: ns}, auditv1.LevelNone},
		{"events written", request{user: "kubernetes-admin", groups: admin, verb: "create", res: "events", ns: ns}, auditv1.LevelNone},
		{"events.k8s.io written", request{user: "kubernetes-admin", groups: admin, verb: "patch", group: "events.k8s.io", res: "events", ns: ns}, auditv1.LevelNone},
		{"token review", request{user: "kubernetes-admin", groups: admin, verb: "create", group: "authentication.k8s.io", res: "tokenreviews"}, auditv1.LevelNone},
		{"access review", request{user: "kubernetes-admin", groups: admin, verb: "create", group: "authorization.k8s.io", res: "selfsubjectaccessreviews"}, auditv1.LevelNone},
		{"discovery", request{user: "kubernetes-admin", groups: admin, verb: "get", path: "/apis"}, auditv1.LevelNone},
		{"health", request{user: "system:anonymous", verb: "get", path: "/livez"}, auditv1.LevelNone},
		{"a verb no rule names", request{user: "kubernetes-admin", groups: admin, verb: "impersonate", res: "users"}, auditv1.LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, level(p, tt.r))
		})
	}
}

func TestAuditPatch(t *testing.T) {
	wantArgs := map[string]string{
		"audit-policy-file":   "/etc/kubernetes/policies/audit-policy.yaml",
		"audit-log-path":      "/var/log/kubernetes/audit/audit.log",
		"audit-log-format":    "json",
		"audit-log-maxsize":   "20",
		"audit-log-maxbackup": "5",
		"audit-log-maxage":    "7",
	}
	wantVolumes := []any{
		map[string]any{"name": "audit-policy", "hostPath": "/etc/kubernetes/policies", "mountPath": "/etc/kubernetes/policies", "readOnly": true, "pathType": "DirectoryOrCreate"},
		map[string]any{"name": "audit-log", "hostPath": "/var/log/kubernetes/audit", "mountPath": "/var/log/kubernetes/audit", "readOnly": false, "pathType": "DirectoryOrCreate"},
	}
	tests := []struct {
		name string
		v    *version.Version
		list bool // v1beta4's extraArgs
	}{
		{"unknown version: the map kind converts for v1beta4", nil, false},
		{"1.30 (kubeadm v1beta3)", version.MustParseGeneric("v1.30.13"), false},
		{"1.34 (kind v0.33 still writes v1beta3)", version.MustParseGeneric("v1.34.4"), false},
		{"1.35", version.MustParseGeneric("v1.35.1"), false},
		{"1.36 (kubeadm v1beta4)", version.MustParseGeneric("v1.36.0"), true},
		{"1.37", version.MustParseGeneric("v1.37.2"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patch := auditPatch(tt.v)
			var doc map[string]any
			require.NoError(t, yaml.UnmarshalStrict([]byte(patch), &doc), patch)
			assert.Equal(t, "ClusterConfiguration", doc["kind"])
			assert.NotContains(t, doc, "apiVersion", "kind applies a patch without apiVersion to either kubeadm API")
			api := doc["apiServer"].(map[string]any)
			assert.Equal(t, wantVolumes, api["extraVolumes"])
			args := map[string]string{}
			if tt.list {
				list, ok := api["extraArgs"].([]any)
				require.True(t, ok, "v1beta4 extraArgs are a list: %s", patch)
				for _, a := range list {
					m := a.(map[string]any)
					require.Len(t, m, 2)
					args[m["name"].(string)] = m["value"].(string)
				}
			} else {
				m, ok := api["extraArgs"].(map[string]any)
				require.True(t, ok, "v1beta3 extraArgs are a map: %s", patch)
				for k, v := range m {
					s, ok := v.(string)
					require.True(t, ok, "%s must be a string, kubeadm's map is map[string]string", k)
					args[k] = s
				}
			}
			assert.Equal(t, wantArgs, args)
		})
	}
}

func TestPrepareAudit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	cfg, err := PrepareAudit(dir, version.MustParseGeneric("v1.34.4"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "policy", "audit-policy.yaml"), cfg.PolicyPath)
	written, err := os.ReadFile(cfg.PolicyPath)
	require.NoError(t, err)
	assert.Equal(t, AuditPolicy, written)
	for path, mode := range map[string]os.FileMode{cfg.PolicyPath: 0o644, filepath.Dir(cfg.PolicyPath): os.ModeDir | 0o755} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode(), path)
	}
	assert.Equal(t, []v1alpha4.Mount{
		{HostPath: filepath.Join(dir, "policy"), ContainerPath: "/etc/kubernetes/policies", Readonly: true},
	}, cfg.Mounts)
	assert.Equal(t, auditPatch(version.MustParseGeneric("v1.34.4")), cfg.Patch)

	// Again on the same directory: the policy is rewritten, even read-only.
	require.NoError(t, os.WriteFile(cfg.PolicyPath, []byte("old"), 0o400))
	_, err = PrepareAudit(dir, nil)
	require.NoError(t, err)
	written, _ = os.ReadFile(cfg.PolicyPath)
	assert.Equal(t, AuditPolicy, written)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = PrepareAudit(file, nil)
	assert.ErrorIs(t, err, ErrAuditDirNotDir)
}

func TestAuditApplyTo(t *testing.T) {
	cfg := clusterConfig(version.MustParseGeneric("v1.34.4"), false, 2)
	before := len(cfg.KubeadmConfigPatches)
	a := AuditConfig{Patch: auditPatch(nil), Mounts: auditMounts("/h/policy")}
	a.ApplyTo(cfg)
	assert.Len(t, cfg.KubeadmConfigPatches, before+1)
	assert.Equal(t, a.Patch, cfg.KubeadmConfigPatches[before])
	assert.Equal(t, a.Mounts, cfg.Nodes[0].ExtraMounts, "the control plane runs the API server")
	assert.Empty(t, cfg.Nodes[1].ExtraMounts, "a worker needs none")
}
