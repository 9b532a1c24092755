package interview

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios"
)

const token = "0a1b2c3d4e"

// deployed is a fake cluster with the interview's incident deployed, its
// record still in the incident namespace, as lab.Service.Start leaves it.
func deployed(t *testing.T) *fake.Clientset {
	t.Helper()
	ns := Namespace(token)
	data := map[string]string{"scenario": "orders-api-down-after-config"}
	return fake.NewSimpleClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: Labels(token),
			Annotations: map[string]string{scenarios.AnnotationAttemptDigest: scenarios.Digest(data)}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: scenarios.AttemptRecordName, Namespace: ns}, Data: data},
	)
}

func TestLockDownMovesTheRecordOutOfReach(t *testing.T) {
	ctx := context.Background()
	c := deployed(t)
	require.NoError(t, EnsureSystemNamespace(ctx, c))
	require.NoError(t, LockDown(ctx, c, token))

	_, err := c.CoreV1().ConfigMaps(Namespace(token)).Get(ctx, scenarios.AttemptRecordName, metav1.GetOptions{})
	assert.Error(t, err, "the record left the candidate's namespace")
	_, err = c.CoreV1().ConfigMaps(SystemNamespace).Get(ctx, attemptRecordName(token), metav1.GetOptions{})
	require.NoError(t, err)
	ns, err := c.CoreV1().Namespaces().Get(ctx, Namespace(token), metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, SystemNamespace+"/"+attemptRecordName(token), ns.Annotations[scenarios.AnnotationRecordAt])
	for k, v := range ns.Labels {
		assert.NotContains(t, v, "orders", "label %s tells the incident", k)
	}
	sys, err := c.CoreV1().Namespaces().Get(ctx, SystemNamespace, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NoError(t, cluster.CheckOwned(sys), "reset and down know the system namespace as the lab's")
}

// can answers an RBAC question from the objects on the fake cluster, as the
// API server's RBAC authorizer would for the candidate's ServiceAccount:
// RoleBindings in the namespace and ClusterRoleBindings, each to a
// ClusterRole or Role.
func can(t *testing.T, c kubernetes.Interface, verb, group, resource, ns, name string) bool {
	t.Helper()
	ctx := context.Background()
	subject := func(ss []rbacv1.Subject) bool {
		return slices.ContainsFunc(ss, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Name == CandidateAccount && s.Namespace == Namespace(token)
		})
	}
	rulesOf := func(ref rbacv1.RoleRef, in string) []rbacv1.PolicyRule {
		if ref.Kind == "Role" {
			r, err := c.RbacV1().Roles(in).Get(ctx, ref.Name, metav1.GetOptions{})
			require.NoError(t, err)
			return r.Rules
		}
		r, err := c.RbacV1().ClusterRoles().Get(ctx, ref.Name, metav1.GetOptions{})
		require.NoError(t, err)
		return r.Rules
	}
	var rules []rbacv1.PolicyRule
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, b := range crbs.Items {
		if subject(b.Subjects) {
			rules = append(rules, rulesOf(b.RoleRef, "")...)
		}
	}
	if ns != "" {
		rbs, err := c.RbacV1().RoleBindings(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, b := range rbs.Items {
			if subject(b.Subjects) {
				rules = append(rules, rulesOf(b.RoleRef, ns)...)
			}
		}
	}
	in := func(list []string, v string) bool { return slices.Contains(list, v) || slices.Contains(list, "*") }
	for _, r := range rules {
		if in(r.Verbs, verb) && in(r.APIGroups, group) && in(r.Resources, resource) && (len(r.ResourceNames) == 0 || in(r.ResourceNames, name)) {
			return true
		}
	}
	return false
}

func TestCandidateRights(t *testing.T) {
	ctx := context.Background()
	c := deployed(t)
	require.NoError(t, EnsureSystemNamespace(ctx, c))
	require.NoError(t, LockDown(ctx, c, token))
	own := Namespace(token)
	for _, tc := range []struct {
		verb, group, resource, ns, name string
		want                            bool
	}{
		{"get", "", "configmaps", SystemNamespace, attemptRecordName(token), false},
		{"update", "", "configmaps", SystemNamespace, attemptRecordName(token), false},
		{"list", "", "configmaps", SystemNamespace, "", false},
		{"get", "", "configmaps", SystemNamespace, recordName(token), false},
		{"patch", "", "namespaces", "", own, false},
		{"update", "", "namespaces", "", own, false},
		{"get", "", "namespaces", "", own, false},
		{"delete", "", "namespaces", "", own, false},
		{"create", "rbac.authorization.k8s.io", "rolebindings", own, "", false},
		{"create", "", "serviceaccounts", own, "", false},
		{"get", "", "pods", "crashlab-other", "", false},
		{"get", "", "pods", own, "", true},
		{"get", "", "pods/log", own, "", true},
		{"create", "", "pods/exec", own, "", true},
		{"patch", "apps", "deployments", own, "orders-api", true},
		{"create", "", "configmaps", own, "", true},
		{"update", "", "secrets", own, "", true},
		{"list", "", "nodes", "", "", true},
		{"update", "", "nodes", "", "", false},
	} {
		assert.Equal(t, tc.want, can(t, c, tc.verb, tc.group, tc.resource, tc.ns, tc.name), "%s %s %s/%s %s", tc.verb, tc.resource, tc.ns, tc.name, tc.group)
	}
}

func TestTokenAndNames(t *testing.T) {
	tok, err := NewToken()
	require.NoError(t, err)
	got, ok := TokenOf(Context(tok))
	assert.True(t, ok)
	assert.Equal(t, tok, got)
	_, ok = TokenOf("kind-crashlab")
	assert.False(t, ok)
	_, ok = TokenOf("crashlab-workshop-room.learner-01")
	assert.False(t, ok)
	assert.Len(t, Namespace(tok), len(NamespacePrefix)+10)
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"ada", true}, {"", false}, {"Ada", false}, {"a b", false}, {"-x", false}} {
		assert.Equal(t, tc.ok, ValidateCandidate(tc.name) == nil, tc.name)
	}
}

func TestRecorderKeepsEveryEvent(t *testing.T) {
	ctx := context.Background()
	c := fake.NewSimpleClientset()
	start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	var heard []Event
	r, err := NewRecorder(ctx, c, Record{Token: token, Candidate: "ada", Incident: "x", Started: start}, func(e Event) { heard = append(heard, e) }, func(err error) { t.Error(err) })
	require.NoError(t, err)
	r.now = func() time.Time { return start.Add(90 * time.Second) }
	yes := true
	r.Add(ctx, "check", "fixed", &yes)
	select {
	case <-r.Changed():
	default:
		t.Fatal("no change signalled")
	}
	score := 85
	_, err = r.Finish(ctx, "solved", &score)
	require.NoError(t, err)
	rec, err := LoadRecord(ctx, c, token)
	require.NoError(t, err)
	require.Len(t, rec.Events, 1)
	assert.Equal(t, "1m30s", rec.Events[0].After)
	assert.Equal(t, "solved", rec.Outcome)
	assert.Equal(t, 85, *rec.Score)
	assert.Len(t, heard, 1)
}
