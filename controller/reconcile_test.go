package controller

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crashlab/crashlab/api/v1alpha1"
)

func fakeReconciler(t *testing.T, a *v1alpha1.Attempt) (*AttemptReconciler, client.Client) {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(Scheme()).WithStatusSubresource(&v1alpha1.Attempt{}).WithObjects(a).Build()
	r := &AttemptReconciler{Client: c, Reader: c, Sealer: testSealer(t), Holder: "controller-b", Base: context.Background(), running: map[types.NamespacedName]*runningCheck{}}
	return r, c
}

func attemptWithCheck(want *v1alpha1.CheckRequest, have *v1alpha1.CheckStatus) *v1alpha1.Attempt {
	a := &v1alpha1.Attempt{
		ObjectMeta: metav1.ObjectMeta{Name: "ana.orders", Namespace: "crashlab-workshop-room"},
		Spec:       v1alpha1.AttemptSpec{Learner: "ana", Incident: "orders", Namespace: "crashlab-ana-orders", Check: want},
	}
	a.Status.Check = have
	return a
}

func TestAChecksEndWithoutAVerdictIsInterruptedNeverPassed(t *testing.T) {
	tests := []struct {
		name   string
		want   *v1alpha1.CheckRequest
		have   *v1alpha1.CheckStatus
		result string
	}{
		{"the controller that ran it is gone", &v1alpha1.CheckRequest{Request: 3}, &v1alpha1.CheckStatus{Request: 3, Result: v1alpha1.CheckRunning, Holder: "controller-a"}, v1alpha1.CheckInterrupted},
		{"this controller restarted", &v1alpha1.CheckRequest{Request: 3}, &v1alpha1.CheckStatus{Request: 3, Result: v1alpha1.CheckRunning, Holder: "controller-b"}, v1alpha1.CheckInterrupted},
		{"withdrawn before it started", &v1alpha1.CheckRequest{Request: 4, Withdrawn: true}, &v1alpha1.CheckStatus{Request: 3, Result: v1alpha1.CheckFailed}, v1alpha1.CheckInterrupted},
		{"an ended check stays as it ended", &v1alpha1.CheckRequest{Request: 3, Withdrawn: true}, &v1alpha1.CheckStatus{Request: 3, Result: v1alpha1.CheckFailed}, v1alpha1.CheckFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := attemptWithCheck(tc.want, tc.have)
			r, c := fakeReconciler(t, a)
			require.NoError(t, r.reconcileCheck(context.Background(), a))
			var got v1alpha1.Attempt
			require.NoError(t, c.Get(context.Background(), client.ObjectKeyFromObject(a), &got))
			assert.Equal(t, tc.result, got.Status.Check.Result)
			assert.Nil(t, got.Status.Check.Verdict)
			assert.Empty(t, got.Status.Progress.Fixed)
		})
	}
}

func TestAStatusSomeoneElseWroteIsMarkedTamperedAndStaysSo(t *testing.T) {
	a := attemptWithCheck(nil, nil)
	a.Status.Progress.BestScore = 100 // written without the controller's seal
	r, c := fakeReconciler(t, a)
	key := client.ObjectKeyFromObject(a)
	st, err := r.updateStatus(context.Background(), key, func(st *v1alpha1.AttemptStatus) { st.Pods = "1/1 ready" })
	require.NoError(t, err)
	assert.True(t, meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionTampered))
	assert.True(t, r.Sealer.Verify(st), "the controller's own write is sealed")
	// The next write starts from a sealed status, and keeps the mark.
	st, err = r.updateStatus(context.Background(), key, func(st *v1alpha1.AttemptStatus) { st.Pods = "0/1 ready" })
	require.NoError(t, err)
	assert.True(t, meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionTampered))
	var got v1alpha1.Attempt
	require.NoError(t, c.Get(context.Background(), key, &got))
	assert.Equal(t, "0/1 ready", got.Status.Pods)
}

func TestAControllersOwnStatusIsNotTampered(t *testing.T) {
	a := attemptWithCheck(nil, nil)
	r, _ := fakeReconciler(t, a)
	key := client.ObjectKeyFromObject(a)
	for _, pods := range []string{"0/1 ready, CrashLoopBackOff", "1/1 ready"} {
		st, err := r.updateStatus(context.Background(), key, func(st *v1alpha1.AttemptStatus) { st.Pods = pods })
		require.NoError(t, err)
		assert.Nil(t, meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionTampered))
	}
}
