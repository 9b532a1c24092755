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
	"runtime"
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

	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/controller"
	"github.com/crashlab/crashlab/scenarios/fixes"
	"github.com/crashlab/crashlab/workshop"
)

// TestBenchWorkshop measures a workshop room at several sizes (default 10,
// 30 and 100 learners; CRASHLAB_BENCH_LEARNERS="10,30,100"), graded two
// ways in the same run on the same cluster: by the lab's controller (the
// learners' crashlab writes requests into Attempts, the board is drawn from
// their statuses), and by each learner's own crashlab (the baseline: the
// previous design, the board watching every learner's pods). Per room: the
// time to create it; the API requests per second while idle and while every
// learner runs `status` or `check` every 3 s with their own kubeconfig, the
// controller's own requests included (read from its Prometheus metrics);
// the controller's CPU and memory; the board's update time p50/p99 from a
// learner's start to the page's event. Run by `make bench-workshop`.
func TestBenchWorkshop(t *testing.T) {
	if os.Getenv("CRASHLAB_BENCH") == "" {
		t.Skip("set CRASHLAB_BENCH=1 (make bench-workshop)")
	}
	sizes := []int{10, 30, 100}
	if v := os.Getenv("CRASHLAB_BENCH_LEARNERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(t, err, "CRASHLAB_BENCH_LEARNERS=%q", v)
			sizes = append(sizes, n)
		}
	}
	window := 30 * time.Second
	// A Pending incident: its pods are never scheduled, so a room of 100
	// fits one node (a kind node runs 110 pods; most incidents run 2 pods
	// per learner) and the load on a 2-core node is the lab's own requests.
	const incident = "indexer-stuck-pending"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	up := upArgs()
	require.Equal(t, 0, crashlab(t, kubeconfig, up...).code)
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	bin := "linux/" + runtime.GOARCH + "=" + filepath.Join(root, "bin", "crashlab")
	admin := newClient(t, kubeconfig, cluster.ContextName)

	var rows []string
	for _, n := range sizes {
		for _, graded := range []bool{true, false} {
			mode, prefix := "controller", "c"
			if !graded {
				mode, prefix = "own CLIs", "l"
			}
			name := fmt.Sprintf("bench%d%s", n, prefix)
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("%s%03d", prefix, i+1)
			}
			namesFile := filepath.Join(t.TempDir(), "names")
			require.NoError(t, os.WriteFile(namesFile, []byte(strings.Join(names, "\n")+"\n"), 0o600))
			args := []string{"workshop", "create", "--name", name, "--names", namesFile, "--incidents", incident}
			if graded {
				args = append(args, "--crashlab-binary", bin)
			} else {
				args = append(args, "--controller=false")
			}
			t0 := time.Now()
			r := crashlab(t, kubeconfig, args...)
			require.Equal(t, 0, r.code, r.err)
			createTime := time.Since(t0)
			dir := t.TempDir()
			require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "kubeconfigs", dir, "--name", name, "--expiry", "1h").code)

			// The board, served as `workshop board` serves it, with one page
			// reading its event stream.
			conn, err := cluster.Connect(cluster.ConnectOptions{Kubeconfig: kubeconfig})
			require.NoError(t, err)
			bctx, stop := context.WithCancel(ctx0)
			w := workshop.NewWatcher(conn.Client, name)
			if graded {
				w = workshop.NewAttemptWatcher(attempts.NewCache(conn.REST, workshop.Namespace(name)), name)
			}
			require.NoError(t, w.Run(bctx))
			srv := httptest.NewServer(workshop.Handler(w))
			seen := newBoardReader(t, bctx, srv.URL+"/events")

			// Idle room: what watching (and the controller) costs when
			// nothing happens, once the room's creation is answered.
			settled := settle(t, admin, graded)
			idleRate, idleOwn := idle(t, admin, graded)

			// Every learner begins their attempt; the board must show it.
			var lat []time.Duration
			for _, l := range names {
				kc := filepath.Join(dir, l+".kubeconfig")
				require.Equal(t, 0, crashlab(t, kc, "start", incident).code)
				lat = append(lat, seen.until(t, l, incident, 10*time.Second))
			}

			// The room at work: each learner runs status or check every 3 s
			// (staggered).
			var wg sync.WaitGroup
			wctx, wcancel := context.WithTimeout(ctx0, window)
			m2 := scrapeController(t, admin, graded)
			q1 := cluster.Requests()
			var commands atomic.Int64
			for i, l := range names {
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
			wg.Wait()
			wcancel()
			elapsed := window.Seconds()
			m3 := scrapeController(t, admin, graded)
			labReqs := float64(cluster.Requests()-q1) + m3.requests - m2.requests
			workRate := labReqs / elapsed
			perCommand := labReqs / float64(max(commands.Load(), 1))
			cpu := (m3.cpuSeconds - m2.cpuSeconds) / elapsed * 100
			// Idle again after the work: a room costs nothing more for
			// having been used, nor for the time gone by.
			settle(t, admin, graded)
			afterRate, _ := idle(t, admin, graded)

			stop()
			srv.Close()
			require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "delete", "--name", name).code)
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p99 := lat[min(len(lat)-1, len(lat)*99/100)]
			ctrl := "-"
			if graded {
				ctrl = fmt.Sprintf("CPU %.1f%% of a core, RSS %.0f MiB, its own requests idle %.2f/s at work %.1f/s, settled %s after create",
					cpu, m3.rss/(1<<20), idleOwn, (m3.requests-m2.requests)/elapsed, settled.Round(time.Second))
			}
			rows = append(rows, fmt.Sprintf("learners=%d  graded by %s  create %.1fs  idle %.2f req/s (after work %.2f)  at work %.1f req/s (%.1f per command, %d commands)  board shows a start p50 %s p99 %s after it was recorded  controller: %s",
				n, mode, createTime.Seconds(), idleRate, afterRate, workRate, perCommand, commands.Load(),
				lat[len(lat)/2].Round(time.Millisecond), p99.Round(time.Millisecond), ctrl))
		}
	}
	fmt.Printf("\nBENCH workshop room (incident %s, every learner runs status/check every 3 s for %s, own kubeconfig; requests include the board's and the controller's):\n", incident, window)
	for _, r := range rows {
		fmt.Println("BENCH " + r)
	}
}

// ctx0 is the bench's background context.
var ctx0 = context.Background()

// controllerMetrics are the controller's own figures, from its Prometheus
// endpoint (controller-runtime registers the process and client-go
// collectors), read through the API server's pod proxy.
type controllerMetrics struct{ cpuSeconds, rss, requests float64 }

func scrapeController(t *testing.T, c kubernetes.Interface, graded bool) controllerMetrics {
	t.Helper()
	if !graded {
		return controllerMetrics{}
	}
	ctx := context.Background()
	pods, err := c.CoreV1().Pods(controller.SystemNamespace).List(ctx, metav1.ListOptions{LabelSelector: "crashlab.dev/role=controller"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	raw, err := c.CoreV1().Pods(controller.SystemNamespace).ProxyGet("http", pods.Items[0].Name, "8080", "metrics", nil).DoRaw(ctx)
	require.NoError(t, err)
	var m controllerMetrics
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "process_cpu_seconds_total":
			m.cpuSeconds = v
		case name == "process_resident_memory_bytes":
			m.rss = v
		case strings.HasPrefix(name, "rest_client_requests_total"):
			m.requests += v
		}
	}
	return m
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
	// shown is, per learner/incident, how long after its recorded start
	// the first frame showing it arrived.
	shown  map[string]time.Duration
	change chan struct{}
}

func newBoardReader(t *testing.T, ctx context.Context, url string) *boardReader {
	t.Helper()
	b := &boardReader{change: make(chan struct{}, 1), shown: map[string]time.Duration{}}
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
			now := time.Now()
			b.mu.Lock()
			b.latest = board
			for _, c := range board.Cells {
				k := c.Learner + "/" + c.Incident
				if _, ok := b.shown[k]; !ok && c.State != workshop.StateNotStarted && !c.StartedAt.IsZero() {
					// The record's start time and this frame's arrival are
					// read on the same machine's clock.
					b.shown[k] = max(now.Sub(c.StartedAt), 0)
				}
			}
			b.mu.Unlock()
			select {
			case b.change <- struct{}{}:
			default:
			}
		}
	}()
	return b
}

// until waits for the board to show that the learner started the incident
// and returns how long after the start was recorded (the attempt's start
// time, written by the controller or by the learner's crashlab) the first
// frame showing it arrived; a board that does not show it within max fails
// the bench.
func (b *boardReader) until(t *testing.T, learner, incident string, max time.Duration) time.Duration {
	t.Helper()
	deadline := time.After(max)
	for {
		b.mu.Lock()
		d, ok := b.shown[learner+"/"+incident]
		b.mu.Unlock()
		if ok {
			return d
		}
		select {
		case <-b.change:
		case <-deadline:
			t.Fatalf("the board did not show %s's start of %s within %s", learner, incident, max)
		}
	}
}

// settle waits until the controller has answered the room's creation: its
// own request rate down to its lease renewals (at most 1/s over 4 s), at
// most 2 minutes; it returns how long that took.
func settle(t *testing.T, admin kubernetes.Interface, graded bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	if !graded {
		time.Sleep(3 * time.Second)
		return time.Since(t0)
	}
	for time.Since(t0) < 2*time.Minute {
		a := scrapeController(t, admin, graded)
		time.Sleep(4 * time.Second)
		b := scrapeController(t, admin, graded)
		if b.requests-a.requests <= 4 {
			break
		}
	}
	return time.Since(t0)
}

// idle measures 10 s of a room where nothing happens: the lab's requests
// per second (the board's, and the controller's own), and the controller's
// own alone.
func idle(t *testing.T, admin kubernetes.Interface, graded bool) (all, own float64) {
	t.Helper()
	m0 := scrapeController(t, admin, graded)
	q0 := cluster.Requests()
	time.Sleep(10 * time.Second)
	m1 := scrapeController(t, admin, graded)
	return (float64(cluster.Requests()-q0) + m1.requests - m0.requests) / 10, (m1.requests - m0.requests) / 10
}
