//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// accessCase is one question to the API's authorizer about an identity.
type accessCase struct {
	verb, resource, group, ns, name string
	allowed                         bool
	subresource                     string
}

// assertAccess asks each case twice, as the identity of kubeconfig (whose
// client is c): the API's own SelfSubjectAccessReview, and `kubectl auth
// can-i` as a person would. Under CI a missing kubectl is a failure.
func assertAccess(t *testing.T, ctx context.Context, who string, c kubernetes.Interface, kubeconfig string, cases []accessCase) {
	t.Helper()
	kubectl, kerr := exec.LookPath("kubectl")
	for _, tc := range cases {
		what := fmt.Sprintf("%s %s/%s %s in %q", tc.verb, tc.resource, tc.name, tc.subresource, tc.ns)
		rev, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: tc.verb, Resource: tc.resource, Subresource: tc.subresource, Group: tc.group, Namespace: tc.ns, Name: tc.name},
		}}, metav1.CreateOptions{})
		require.NoError(t, err)
		assert.Equal(t, tc.allowed, rev.Status.Allowed, "%s may %s: %v", who, what, tc.allowed)
		if kerr != nil {
			continue
		}
		res := tc.resource
		if tc.group != "" {
			res += "." + tc.group
		}
		if tc.name != "" {
			res += "/" + tc.name
		}
		args := []string{"--kubeconfig", kubeconfig, "auth", "can-i", tc.verb, res}
		if tc.ns != "" {
			args = append(args, "-n", tc.ns)
		}
		if tc.subresource != "" {
			args = append(args, "--subresource", tc.subresource)
		}
		out, _ := exec.Command(kubectl, args...).Output()
		want := map[bool]string{true: "yes", false: "no"}[tc.allowed]
		assert.Equal(t, want, strings.TrimSpace(string(out)), "kubectl auth can-i %s", strings.Join(args[2:], " "))
	}
	if kerr != nil && os.Getenv("CI") != "" {
		t.Error("kubectl is needed for the auth can-i half of the isolation test")
	}
}
