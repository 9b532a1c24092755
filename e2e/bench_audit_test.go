//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// TestBenchAudit measures what recording API requests costs: the same
// incidents started (start --wait) and checked after their first accepted fix
// on a cluster created without auditing and on one created with it (the lab's
// default), one after the other in the same run, as ratios of medians; then
// how fast the audit log grows while a room of learners works (a graded
// workshop whose learners each run status or check every 3 s), per hour.
// Run by `make bench-audit`; it deletes and re-creates the lab cluster.
func TestBenchAudit(t *testing.T) {
	if os.Getenv("CRASHLAB_BENCH") == "" {
		t.Skip("set CRASHLAB_BENCH=1 (make bench-audit)")
	}
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("CRASHLAB_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	up := upArgs()
	// Every fourth incident of the catalogue (the catalogue's order), each
	// with an accepted fix.
	var sample []scenarioSpec
	for i, spec := range specs(t) {
		if i%4 == 0 && len(spec.folder.Passing()) > 0 {
			sample = append(sample, spec)
		}
	}
	type timings struct{ start, check []time.Duration }
	measured := map[bool]map[string]*timings{}
	var logBytes, logWindow float64
	for _, audit := range []bool{false, true} {
		require.Equal(t, 0, crashlab(t, kubeconfig, "down").code)
		require.Equal(t, 0, crashlab(t, kubeconfig, append(up, "--audit="+strconv.FormatBool(audit))...).code)
		c := newClient(t, kubeconfig, cluster.ContextName)
		ctx := context.Background()
		vals, err := fixes.LiveValues(ctx, c)
		require.NoError(t, err)
		measured[audit] = map[string]*timings{}
		for _, spec := range sample {
			s := spec.s
			m := &timings{}
			measured[audit][s.ID] = m
			for i := 0; i < runs; i++ {
				learner := fmt.Sprintf("audit%d", i)
				ns := namespaceOf(t, learner, s.ID)
				t0 := time.Now()
				require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "start", s.ID, "--wait").code)
				m.start = append(m.start, time.Since(t0))
				require.NoError(t, fixes.Apply(ctx, c, ns, vals, spec.folder.Passing()[0]))
				t1 := time.Now()
				r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "check", s.ID)
				m.check = append(m.check, time.Since(t1))
				require.True(t, verdictOf(t, r).Passed)
				_ = cluster.DeleteNamespace(ctx, c, ns, 0)
			}
		}
		if audit {
			logBytes, logWindow = roomLogGrowth(t, kubeconfig)
		}
	}
	fmt.Printf("\nBENCH audit: medians of %d runs, the same incidents on a cluster created without auditing, then with it (same node image, same run)\n", runs)
	var offAll, onAll time.Duration
	for _, spec := range sample {
		off, on := measured[false][spec.s.ID], measured[true][spec.s.ID]
		offAll += median(off.start) + median(off.check)
		onAll += median(on.start) + median(on.check)
		fmt.Printf("BENCH %-36s start --wait %6.2fs -> %6.2fs (%.2fx)  check %6.2fs -> %6.2fs (%.2fx)\n", spec.s.ID,
			median(off.start).Seconds(), median(on.start).Seconds(), ratio(median(on.start), median(off.start)),
			median(off.check).Seconds(), median(on.check).Seconds(), ratio(median(on.check), median(off.check)))
	}
	fmt.Printf("BENCH audit all sampled start+check: %.1fs -> %.1fs (%.3fx)\n", offAll.Seconds(), onAll.Seconds(), ratio(onAll, offAll))
	fmt.Printf("BENCH audit log of a room of 10 learners at work: %.0f KiB in %.0fs, %.1f MiB per hour (rotated at %d MB x %d files)\n",
		logBytes/1024, logWindow, logBytes/logWindow*3600/(1<<20), cluster.AuditLogMaxSizeMB, cluster.AuditLogMaxBackups+1)
}

// roomLogGrowth runs a graded room of 10 learners, each running status or
// check every 3 s for a minute, and returns how many bytes the audit log grew
// by, and over how many seconds.
func roomLogGrowth(t *testing.T, kubeconfig string) (float64, float64) {
	t.Helper()
	const incident = "indexer-stuck-pending"
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("a%03d", i+1)
	}
	namesFile := filepath.Join(t.TempDir(), "names")
	require.NoError(t, os.WriteFile(namesFile, []byte(strings.Join(names, "\n")+"\n"), 0o600))
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	bin := "linux/" + runtime.GOARCH + "=" + filepath.Join(root, "bin", "crashlab")
	require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "create", "--name", "auditroom", "--names", namesFile, "--incidents", incident, "--crashlab-binary", bin).code)
	defer crashlab(t, kubeconfig, "workshop", "delete", "--name", "auditroom")
	dir := t.TempDir()
	require.Equal(t, 0, crashlab(t, kubeconfig, "workshop", "kubeconfigs", dir, "--name", "auditroom", "--expiry", "1h").code)
	for _, l := range names {
		require.Equal(t, 0, crashlab(t, filepath.Join(dir, l+".kubeconfig"), "start", incident).code)
	}
	before := auditLogSize(t)
	t0 := time.Now()
	window := time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var wg sync.WaitGroup
	for i, l := range names {
		wg.Add(1)
		go func(i int, kc string) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 300 * time.Millisecond)
			for k := 0; ctx.Err() == nil; k++ {
				args := []string{"-o", "json", "status", incident}
				if k%2 == 1 {
					args = []string{"-o", "json", "check", incident, "--timeout", "5s"}
				}
				quietCrashlab(kc, args...)
				select {
				case <-ctx.Done():
				case <-time.After(3 * time.Second):
				}
			}
		}(i, filepath.Join(dir, l+".kubeconfig"))
	}
	wg.Wait()
	return float64(auditLogSize(t) - before), time.Since(t0).Seconds()
}

// auditLogSize is the size in bytes of every file of the audit log, read in
// the control-plane node.
func auditLogSize(t *testing.T) int64 {
	t.Helper()
	out, err := exec.Command("docker", "exec", cluster.Name+"-control-plane", "sh", "-c", "cat "+cluster.AuditLogNodeDir+"/*.log | wc -c").Output()
	require.NoError(t, err)
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	require.NoError(t, err)
	return n
}
