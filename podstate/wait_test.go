package podstate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestWaitForSignature(t *testing.T) {
	tests := []struct {
		name     string
		pods     []*corev1.Pod
		kubelet  func(s *sim) func(watchSignal) bool
		timeout  time.Duration
		wantErr  []string // substrings; nil means success
		maxTime  time.Duration
		wantPods int
	}{
		{
			name:    "signature already showing returns at once",
			pods:    []*corev1.Pod{curPod("web-cur-a", crashLooping(t0))},
			timeout: 5 * time.Second, maxTime: 2 * time.Second, wantPods: 1,
		},
		{
			name: "signature showing later is seen on the pod event",
			pods: []*corev1.Pod{curPod("web-cur-a", waiting("ContainerCreating", ""))},
			kubelet: func(s *sim) func(watchSignal) bool {
				return onWatch(1, func() { s.UpdatePod("web-cur-a", crashLooping(t0)) })
			},
			timeout: 5 * time.Second, maxTime: 3 * time.Second, wantPods: 1,
		},
		{
			name:    "signature never showing times out naming what was seen, never the signature",
			pods:    []*corev1.Pod{curPod("web-cur-a", ready())},
			timeout: 300 * time.Millisecond,
			wantErr: []string{"did not show", "web-cur-a", "300ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := liveCluster(t, tt.pods...)
			if tt.kubelet != nil {
				s.Kubelet(tt.kubelet(s))
			}
			var progress []string
			start := time.Now()
			f, err := (&Observer{Client: s.CS}).WaitForSignature(context.Background(), target, []string{"waitingReason=CrashLoopBackOff"}, tt.timeout, func(m string) { progress = append(progress, m) })
			if tt.maxTime > 0 {
				assert.Less(t, time.Since(start), tt.maxTime)
			}
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				require.ErrorIs(t, err, ErrFailureNotShown)
				// The learner reads both: what the incident's failure is stays
				// theirs to find.
				assert.NotContains(t, err.Error(), "CrashLoopBackOff")
				assert.NotEmpty(t, progress)
				for _, m := range progress {
					assert.NotContains(t, m, "CrashLoopBackOff")
				}
				return
			}
			require.NoError(t, err)
			assert.Len(t, f.Pods, tt.wantPods, "only current pods, not the old ReplicaSet's")
			ok, err := SignatureHolds(f, target.Container, []string{"waitingReason=CrashLoopBackOff"})
			require.NoError(t, err)
			assert.True(t, ok, "returned facts show the signature")
		})
	}
}

func TestWaitForSignatureUnknownEvidenceIsAnError(t *testing.T) {
	s, _ := liveCluster(t, curPod("web-cur-a", crashLooping(t0)))
	_, err := (&Observer{Client: s.CS}).WaitForSignature(context.Background(), target, []string{"bogus"}, time.Second, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bogus")
}

func TestSignatureHolds(t *testing.T) {
	tests := []struct {
		name    string
		facts   Facts
		sig     []string
		want    bool
		wantErr bool
	}{
		{name: "every piece holds", facts: missingKeyFacts(), sig: []string{"waitingReason=CrashLoopBackOff", "missingSecretKey"}, want: true},
		{name: "one piece missing", facts: missingKeyFacts(), sig: []string{"waitingReason=CrashLoopBackOff", "lastReason=OOMKilled"}, want: false},
		{name: "no pods never holds", facts: Facts{Found: true}, sig: []string{"!lastReason=Error"}, want: false},
		{name: "workload not found never holds", facts: Facts{Pods: missingKeyFacts().Pods}, sig: []string{"missingSecretKey"}, want: false},
		{name: "unknown evidence is an error", facts: missingKeyFacts(), sig: []string{"bogus"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SignatureHolds(tt.facts, "app", tt.sig)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
