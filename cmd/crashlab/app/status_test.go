package app

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/internal/syncbuf"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/tui"
)

var watchNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local)

func sighting(restarts int32, message string, finished time.Time) lab.Sighting {
	return lab.Sighting{At: watchNow, BackoffCap: 10 * time.Second, Scenarios: []lab.WatchedScenario{{
		Scenario: "s1", Namespace: "crashlab-s1", Started: true,
		Facts: podstate.Facts{Found: true, Workload: "Deployment/api", Pods: []podstate.PodFacts{{
			Name: "api-1", Phase: "Running", Containers: []podstate.ContainerFacts{{
				Name: "app", RestartCount: restarts, WaitingReason: "CrashLoopBackOff", WaitingMessage: message,
				Last: &podstate.Termination{Reason: "Error", ExitCode: 1, FinishedAt: finished},
			}},
		}}},
	}}}
}

func watcherFor(out io.Writer, tty bool) *statusWatcher {
	g := &globals{output: "text", streams: Streams{Out: out, Err: out}}
	w := &statusWatcher{g: g, tty: tty, now: func() time.Time { return watchNow }}
	w.screen = tui.NewScreen(out, tty, func() (int, int) { return 200, 50 })
	return w
}

func TestStatusWatchAppendsOnlyChangesWithoutATerminal(t *testing.T) {
	var out bytes.Buffer
	w := watcherFor(&out, false)
	ch := make(chan lab.Sighting, 4)
	finished := watchNow.Add(-3 * time.Second)
	ch <- sighting(3, "back-off 40s restarting failed container=app pod=api-1", finished)
	ch <- sighting(3, "back-off 40s restarting failed container=app pod=api-1", finished) // nothing new
	ch <- sighting(4, "back-off 10s restarting failed container=app pod=api-1", finished.Add(20*time.Second))
	close(ch)
	require.NoError(t, w.follow(context.Background(), ch, nil))
	text := out.String()
	assert.Equal(t, 2, strings.Count(text, "SCENARIO"), "two blocks: the repeat is not printed\n%s", text)
	assert.NotContains(t, text, "\x1b")
	assert.Contains(t, text, "back-off cap 10s")
	assert.Contains(t, text, "10s (cap)", "the message's 40s is more than the kubelet's cap")
	next := finished.Add(20 * time.Second).Add(10 * time.Second)
	assert.Contains(t, text, "at "+next.Format("15:04:05"), "a clock time, which changes only with the cluster")
	for _, col := range []string{"PHASE", "WAITING", "RESTARTS", "LAST EXIT", "READY", "BACK-OFF", "NEXT TRY", "1 (Error)", "CrashLoopBackOff"} {
		assert.Contains(t, text, col)
	}
}

func TestStatusWatchCountsDownInPlaceOnATerminal(t *testing.T) {
	out := &syncbuf.Buffer{}
	w := watcherFor(out, true)
	var offset atomic.Int64
	w.now = func() time.Time { return watchNow.Add(time.Duration(offset.Load())) }
	ch := make(chan lab.Sighting, 1)
	tick := make(chan time.Time)
	ch <- sighting(3, "back-off 10s restarting failed container=app pod=api-1", watchNow.Add(-3*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.follow(ctx, ch, tick) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "in 7s") {
		require.True(t, time.Now().Before(deadline), "never drawn: %q", out.String())
		time.Sleep(5 * time.Millisecond)
	}
	// A second passes: the countdown is redrawn over the table, with no new read.
	offset.Store(int64(time.Second))
	tick <- time.Time{}
	for !strings.Contains(out.String(), "in 6s") {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled, "Ctrl-C ends it as an interrupt (exit 130)")
	assert.Equal(t, 130, exitCode(err, &bytes.Buffer{}))
	assert.Equal(t, 2, strings.Count(out.String(), "SCENARIO"))
	assert.Contains(t, out.String(), "\x1b[3A\r\x1b[J", "the second drawing replaces the first (header, columns, one row)")
}

func TestStatusWatchSaysWhenTheNamespaceIsGone(t *testing.T) {
	var out bytes.Buffer
	w := watcherFor(&out, false)
	ch := make(chan lab.Sighting, 1)
	ch <- lab.Sighting{At: watchNow, Scenarios: []lab.WatchedScenario{{Scenario: "s1", Namespace: "crashlab-s1"}}}
	close(ch)
	require.NoError(t, w.follow(context.Background(), ch, nil))
	assert.Contains(t, out.String(), "namespace crashlab-s1 is gone")
	assert.Contains(t, out.String(), "back-off cap unknown")
}

func TestWaitMessagesArePlainAndDedupedWithoutATerminal(t *testing.T) {
	var out bytes.Buffer
	g := &globals{output: "text", streams: Streams{Out: &out, Err: &out}}
	stop := g.startWait(context.Background(), "checking s1")
	for range 3 {
		g.progress("waiting for 2 Ready pod(s) of api")
	}
	g.warn("progress not saved")
	g.progress("watching api for 12s")
	stop()
	g.progress("after the wait")
	assert.Equal(t, "... checking s1\n... waiting for 2 Ready pod(s) of api\nWARNING: progress not saved\n... watching api for 12s\n... after the wait\n", out.String())
}
