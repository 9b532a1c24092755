//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// startAfterDown: `down` deletes the learner's namespaces without waiting, so
// a start right after it finds the old namespace still terminating, with its
// record. The start must wait for it to go and deploy afresh; before, it said
// the failure was showing and deployed nothing, and seconds later the
// incident was "not started".
func startAfterDown(t *testing.T, kubeconfig string, c kubernetes.Interface) {
	ctx := context.Background()
	learner, id := "afterdown", "orders-api-down-after-config"
	ns := namespaceOf(t, learner, id)
	require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "start", id).code)
	old, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	require.NoError(t, err)

	require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "down").code)
	dying, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err == nil {
		assert.NotNil(t, dying.DeletionTimestamp, "down leaves the namespace terminating, which is the case under test")
	}
	r := crashlab(t, kubeconfig, "--learner", learner, "start", id, "--wait")
	require.Equal(t, 0, r.code)
	fresh, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	require.NoError(t, err, "the incident is deployed")
	assert.NotEqual(t, old.UID, fresh.UID, "into a new namespace, not the dying one")
	assert.Nil(t, fresh.DeletionTimestamp)
	assert.NotEmpty(t, podsOf(t, c, ns), "its pods exist")
	st := crashlab(t, kubeconfig, "--learner", learner, "status", id)
	assert.Equal(t, 0, st.code)
	assert.NotContains(t, st.out+st.err, "not started")
	require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "down").code)
}
