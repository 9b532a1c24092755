//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/workshop"
)

// TestBenchWorkshop measures a workshop room at several sizes (default 10
// and 30 learners; CRASHLAB_BENCH_LEARNERS="10,30"): the time to create it,
// the API requests per second the lab sends while every learner runs
// `status` or `check` every few seconds with their own kubeconfig and the
// board is open, and how fresh the board stays. The baseline, measured in
// the same run and the same window, is a board that polls instead of
// watching (list each learner's pods and progress every 2 s, what a
// hand-written dashboard does). Run by `make bench-workshop`.
func TestBenchWorkshop(t *testing.T) {
	if os.Getenv("CRASHLAB_BENCH") == "" {
		t.Skip("set CRASHLAB_BENCH=1 (make bench-workshop)")
	}
	sizes := []int{10, 30}
	if v := os.Getenv("CRASHLAB_BENCH_LEARNERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(t, err, "CRASHLAB_BENCH_LEARNERS=%q", v)
			sizes = append(sizes, n)
		}
	}
	window := 30 * time.Second
	// A Pending incident: its pods never start, so the room's load on a
	// 2-core node is the lab's own requests, not 60 crash-looping containers.
	const incident = "indexer-stuck-pending"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	up := []string{"up"}
	if img := os.Getenv("CRASHLAB_NODE_IMAGE"); img != "" {
		up = append(up, "--image", img)
	}
	require.Equal(t, 0, crashlab(t, kubeconfig, up...).code)
	ctx := context.Background()

	var rows []string
	for _, n := range sizes {
		name := fmt.Sprintf("bench%d", n)
		t0 := time.Now()
		r := crashlab(t, kubeconfig, "workshop", "create", "--name", name, "--learners", strconv.Itoa(n), "--incidents", incident)
		require.Equal(t, 0, r.code, r.err)
		createTime := time.Since(t0)
		dir := t.TempDir()
		require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "kubeconfigs", dir, "--name", name, "--expiry", "1h").code)

		// The board, served as `workshop board` serves it, with one page
		// reading its event stream.
		conn, err := cluster.Connect(cluster.ConnectOptions{Kubeconfig: kubeconfig})
		require.NoError(t, err)
		bctx, stop := context.WithCancel(ctx)
		w := workshop.NewWatcher(conn.Client, name)
		require.NoError(t, w.Run(bctx))
		srv := httptest.NewServer(workshop.Handler(w))
		seen := newBoardReader(t, bctx, srv.URL+"/events")

		// Idle board: what watching costs when nothing happens.
		q0 := cluster.Requests()
		time.Sleep(10 * time.Second)
		idleRate := float64(cluster.Requests()-q0) / 10

		// Every learner begins their attempt; the board must show it.
		learners := workshop.LearnerNames(n)
		var lat []time.Duration
		for _, l := range learners {
			kc := filepath.Join(dir, l+".kubeconfig")
			require.Equal(t, 0, crashlab(t, kc, "start", incident).code)
			lat = append(lat, seen.until(l, incident, workshop.StateNotStarted, 10*time.Second))
		}

		// The room at work: each learner runs status or check every 3 s
		// (staggered), while the polling baseline runs beside the board.
		pollReqs := atomic.Int64{}
		pollClient := countingClient(t, kubeconfig, &pollReqs)
		var wg sync.WaitGroup
		wctx, wcancel := context.WithTimeout(ctx, window)
		q1 := cluster.Requests()
		var commands atomic.Int64
		for i, l := range learners {
			wg.Add(1)
			go func(i int, kc string) {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 3 * time.Second / time.Duration(n))
				for k := 0; wctx.Err() == nil; k++ {
					args := []string{"-o", "json", "status", incident}
					if k%2 == 1 {
						args = []string{"-o", "json", "check", incident, "--timeout", "5s"}
					}
					quietCrashlab(kc, args...)
					commands.Add(1)
					select {
					case <-wctx.Done():
					case <-time.After(3 * time.Second):
					}
				}
			}(i, filepath.Join(dir, l+".kubeconfig"))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wctx.Err() == nil {
				for _, l := range learners {
					ns := namespaceOf(t, l, incident)
					_, _ = pollClient.CoreV1().Pods(ns).List(wctx, metav1.ListOptions{})
				}
				_, _ = pollClient.CoreV1().ConfigMaps(workshop.Namespace(name)).List(wctx, metav1.ListOptions{})
				select {
				case <-wctx.Done():
				case <-time.After(2 * time.Second):
				}
			}
		}()
		wg.Wait()
		wcancel()
		labRate := float64(cluster.Requests()-q1) / window.Seconds()
		pollRate := float64(pollReqs.Load()) / window.Seconds()
		perCommand := float64(cluster.Requests()-q1) / float64(max(commands.Load(), 1))

		// The page's stream ends with the watcher; then the server can close.
		stop()
		srv.Close()
		require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "delete", "--name", name).code)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		rows = append(rows, fmt.Sprintf("learners=%d  create %.1fs (%.2fs/learner)  board idle %.2f req/s  room at work %.1f req/s (%.1f per command, %d commands, board included)  polling board alone %.1f req/s  board update p50 %s max %s",
			n, createTime.Seconds(), createTime.Seconds()/float64(n), idleRate, labRate, perCommand, commands.Load(), pollRate,
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond)))
	}
	fmt.Printf("\nBENCH workshop room (incident %s, every learner runs status/check every 3 s for %s, own kubeconfig):\n", incident, window)
	for _, r := range rows {
		fmt.Println("BENCH " + r)
	}
}

// quietCrashlab runs the CLI in-process without logging its output (a room
// of learners would flood the test log).
func quietCrashlab(kubeconfig string, args ...string) {
	var out, errb strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = app.Run(ctx, app.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, append([]string{"--kubeconfig", kubeconfig}, args...))
}

// countingClient is a client whose requests are counted apart from the lab's.
func countingClient(t *testing.T, kubeconfig string, n *atomic.Int64) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: cluster.ContextName}).ClientConfig()
	require.NoError(t, err)
	cfg.QPS, cfg.Burst = 100, 200
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countRT{rt, n} })
	c, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return c
}

type countRT struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// boardReader follows the board's event stream as a page does.
type boardReader struct {
	mu     sync.Mutex
	latest workshop.Board
	change chan struct{}
}

func newBoardReader(t *testing.T, ctx context.Context, url string) *boardReader {
	t.Helper()
	b := &boardReader{change: make(chan struct{}, 1)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var board workshop.Board
			if json.Unmarshal([]byte(data), &board) != nil {
				continue
			}
			b.mu.Lock()
			b.latest = board
			b.mu.Unlock()
			select {
			case b.change <- struct{}{}:
			default:
			}
		}
	}()
	return b
}

// until waits for the learner's cell to leave state and returns how long it
// took; a board that does not change within max fails the bench.
func (b *boardReader) until(learner, incident, state string, max time.Duration) time.Duration {
	t0 := time.Now()
	deadline := time.After(max)
	for {
		b.mu.Lock()
		c, ok := b.latest.Cell(learner, incident)
		b.mu.Unlock()
		if ok && c.State != state {
			return time.Since(t0)
		}
		select {
		case <-b.change:
		case <-deadline:
			return max
		}
	}
}
