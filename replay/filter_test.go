package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestFilterKeep(t *testing.T) {
	f := Filter{Namespaces: []string{testNS}, From: page, To: page.Add(time.Hour)}
	tests := []struct {
		name string
		f    Filter
		e    Event
		keep bool
	}{
		{"learner's look", f, ev(1, "list", core("pods")), true},
		{"before the page", f, ev(-1, "list", core("pods")), false},
		{"at the end", f, ev(3600, "list", core("pods")), false},
		{"just before the end", f, ev(3599.999, "list", core("pods")), true},
		{"open bounds", Filter{Namespaces: []string{testNS}}, ev(-100000, "list", core("pods")), true},
		{"another namespace", f, ev(1, "list", "/api/v1/namespaces/crashlab-other/pods"), false},
		{"no namespace set keeps all", Filter{}, ev(1, "list", "/api/v1/namespaces/crashlab-other/pods"), true},
		{"the lab's own request", f, ev(1, "list", core("pods"), "ua=crashlab/v0.0.0 (linux/amd64) kubernetes/$Format"), false},
		{"the lab's controller", f, ev(1, "list", core("pods"), "ua=crashlab-controller"), false},
		{"a kubelet", f, ev(1, "get", core("pods/x"), "user=system:node:crashlab-control-plane", "ua=kubelet/v1.34.0"), false},
		{"the scheduler", f, ev(1, "create", core("pods/x/binding"), "user=system:kube-scheduler"), false},
		{"the controller manager", f, ev(1, "create", core("pods"), "user=system:kube-controller-manager"), false},
		{"the apiserver", f, ev(1, "get", core("pods/x"), "user=system:apiserver"), false},
		{"a kube-system service account", f, ev(1, "list", core("pods"), "user=system:serviceaccount:kube-system:replicaset-controller"), false},
		{"the controller's service account", f, ev(1, "list", core("pods"), "user=system:serviceaccount:crashlab-system:crashlab-controller"), false},
		{"a learner's service account", f, ev(1, "list", core("pods"), "user=system:serviceaccount:workshop:alice"), true},
		{"nodes", f, ev(1, "list", "/api/v1/nodes?limit=500"), true},
		{"a node", f, ev(1, "get", "/api/v1/nodes/crashlab-control-plane"), true},
		{"a node, by a kubelet", f, ev(1, "get", "/api/v1/nodes/crashlab-control-plane", "user=system:node:crashlab-control-plane"), false},
		{"pods in all namespaces", f, ev(1, "list", "/api/v1/pods?limit=500"), true},
		{"cluster roles", f, ev(1, "list", "/apis/rbac.authorization.k8s.io/v1/clusterroles"), false},
		{"the incident's namespace", f, ev(1, "get", "/api/v1/namespaces/"+testNS), true},
		{"another namespace object", f, ev(1, "get", "/api/v1/namespaces/default"), false},
		{"discovery", f, ev(1, "get", "/apis"), false},
		{"workshop: the learner", Filter{Namespaces: []string{testNS}, Username: "alice"}, ev(1, "list", core("pods"), "user=alice"), true},
		{"workshop: another learner", Filter{Namespaces: []string{testNS}, Username: "alice"}, ev(1, "list", core("pods"), "user=bob"), false},
		{"workshop: the learner, impersonated", Filter{Namespaces: []string{testNS}, Username: "alice"}, ev(1, "list", core("pods"), "user=kubernetes-admin", "as=alice"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.keep, tt.f.Keep(tt.e))
		})
	}
}

func TestFilterApplyFixture(t *testing.T) {
	l, err := ReadDir(fixture)
	assert.NoError(t, err)
	kept := Filter{Namespaces: []string{testNS}, From: page}.Apply(l.Events)
	for _, e := range kept {
		assert.Equal(t, admin, e.Username())
		assert.True(t, IsKubectl(e.UserAgent), e.UserAgent)
		assert.Equal(t, testNS, e.ObjectRef.Namespace)
	}
	assert.Len(t, kept, 20)
}
