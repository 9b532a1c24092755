package interview

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
)

var fast = Timing{Ack: 2 * time.Second, Alive: 100 * time.Millisecond, Progress: 0}

// serving starts a fake interviewer on ns and waits until its watch runs
// (the fake clientset loses what happens between a list and a watch).
func serving(t *testing.T, c *fake.Clientset, ns string, h Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, Serve(ctx, c, ns, fast, h))
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	require.Eventually(t, func() bool {
		for _, a := range c.Actions() {
			if a.GetVerb() == "watch" && a.GetResource().Resource == "configmaps" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
}

func TestRelay(t *testing.T) {
	ns := Namespace(token)
	for _, tc := range []struct {
		name     string
		req      Request
		want     Reply
		progress []string
	}{
		{"hint", Request{Verb: VerbHint}, Reply{Hints: &Hints{Namespace: ns, Seen: []string{"look at the logs"}, Total: 3}}, nil},
		{"diagnose", Request{Verb: VerbDiagnose, Answers: map[string]string{"cause": "b"}}, Reply{Verdict: &grader.Verdict{Kind: "diagnosis", Passed: true}}, nil},
		{"check", Request{Verb: VerbCheck, Timeout: time.Minute}, Reply{Verdict: &grader.Verdict{Kind: "fix", Passed: true}}, []string{"waiting for pods", "replacing a pod"}},
		{"unknown", Request{Verb: "give-up"}, Reply{Error: "no"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewSimpleClientset()
			var got Request
			serving(t, c, ns, func(_ context.Context, req Request, progress func(string)) Reply {
				got = req
				for _, p := range tc.progress {
					progress(p)
					time.Sleep(150 * time.Millisecond) // the candidate sees each line
				}
				time.Sleep(50 * time.Millisecond)
				if req.Verb == "give-up" {
					return Reply{Error: "no"}
				}
				return tc.want
			})
			var heard []string
			r, err := Ask(context.Background(), c, ns, tc.req, fast, func(p string) { heard = append(heard, p) })
			require.NoError(t, err)
			assert.Equal(t, tc.want, r)
			assert.Equal(t, tc.req, got, "the interviewer read the request as sent")
			assert.Equal(t, tc.progress, heard)
			left, err := c.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{})
			require.NoError(t, err)
			assert.Empty(t, left.Items, "the candidate cleans up the request")
		})
	}
}

func TestRelayWithoutInterviewer(t *testing.T) {
	c := fake.NewSimpleClientset()
	timing := fast
	timing.Ack = 300 * time.Millisecond
	start := time.Now()
	_, err := Ask(context.Background(), c, Namespace(token), Request{Verb: VerbStatus}, timing, func(string) {})
	assert.ErrorIs(t, err, ErrNoInterviewer)
	assert.Less(t, time.Since(start), 3*time.Second)
}

// A candidate's Ctrl-C deletes the request, and the interviewer's check is
// cancelled: it returns no verdict.
func TestRelayWithdrawnCancelsTheCheck(t *testing.T) {
	c := fake.NewSimpleClientset()
	ns := Namespace(token)
	var cancelled atomic.Bool
	started := make(chan struct{})
	serving(t, c, ns, func(ctx context.Context, _ Request, _ func(string)) Reply {
		close(started)
		select {
		case <-ctx.Done():
			cancelled.Store(true)
			return Reply{Error: "stopped"}
		case <-time.After(10 * time.Second):
			return Reply{Verdict: &grader.Verdict{Kind: "fix", Passed: true}}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	begin := time.Now()
	_, err := Ask(ctx, c, ns, Request{Verb: VerbCheck}, fast, func(string) {})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	assert.Less(t, time.Since(begin), 3*time.Second, "Ctrl-C ends the wait at once")
	assert.Eventually(t, cancelled.Load, 3*time.Second, 10*time.Millisecond)
}

// A request that poses as answered is not judged: what the candidate writes
// is never read as a verdict.
func TestServeIgnoresForgedReplies(t *testing.T) {
	c := fake.NewSimpleClientset()
	ns := Namespace(token)
	_, err := c.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "forged", Namespace: ns, Labels: map[string]string{LabelRequest: VerbCheck}},
		Data:       map[string]string{keyRequest: `{"verb":"check"}`, keyState: stateDone, keyReply: `{"verdict":{"kind":"fix","passed":true}}`},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	var judged atomic.Bool
	serving(t, c, ns, func(context.Context, Request, func(string)) Reply {
		judged.Store(true)
		return Reply{}
	})
	time.Sleep(200 * time.Millisecond)
	assert.False(t, judged.Load())
}

func TestJudgeScrubsTheIncident(t *testing.T) {
	j := &Judge{Incident: "orders-api-down-after-config", Hidden: []string{"missing-secret-key"}}
	r := j.scrub(Reply{
		Error:   "scenario orders-api-down-after-config is not running (missing-secret-key)",
		Verdict: &grader.Verdict{Scenario: "orders-api-down-after-config", Checks: []grader.CheckResult{{Name: "w", Message: "the scenario orders-api-down-after-config"}}},
	})
	assert.Equal(t, "scenario the incident is not running (the incident)", r.Error)
	assert.Equal(t, "the incident", r.Verdict.Scenario)
	assert.NotContains(t, r.Verdict.Checks[0].Message, "orders-api")
}

func TestPublicQuestionsHideTheEvidence(t *testing.T) {
	qs := Public([]grader.Question{{ID: "cause", Prompt: "why?", Choices: []grader.Choice{{ID: "a", Text: "A", Evidence: []string{"log:boom"}}}}})
	require.Len(t, qs[0].Choices, 1)
	assert.Equal(t, grader.Choice{ID: "a", Text: "A"}, qs[0].Choices[0])
}
