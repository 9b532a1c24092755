//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// TestBench prints, per scenario, the lab's timings against a baseline measured
// in the same run: `start --wait` against plain `kubectl apply` + `kubectl wait`
// of the same objects, and a passing `check` after a correct fix against the
// floor the grader cannot go below (its two stability windows, derived from the
// workload's own timing, plus the kubelet's back-off cap). Run by `make bench`.
func TestBench(t *testing.T) {
	if os.Getenv("CRASHLAB_BENCH") == "" {
		t.Skip("set CRASHLAB_BENCH=1 (make bench)")
	}
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "make bench puts kubectl on PATH")
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("CRASHLAB_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	up := upArgs()
	t0 := time.Now()
	require.Equal(t, 0, crashlab(t, kubeconfig, up...).code)
	upTime := time.Since(t0)
	c := newClient(t, kubeconfig, cluster.ContextName)
	ctx := context.Background()

	vals, err := fixes.LiveValues(ctx, c)
	require.NoError(t, err)

	var rows []string
	for _, spec := range specs(t) {
		s := spec.s
		// The folder's first accepted fix, in file name order.
		var fix *fixes.Fix
		if passing := spec.folder.Passing(); len(passing) > 0 {
			fix = &passing[0]
		}
		var labStart, kubectlStart, check, floor, stable, stableFloor []time.Duration
		var startReqs, checkReqs, statusReqs, stableReqs []int64
		for i := 0; i < runs; i++ {
			learner := fmt.Sprintf("bench%d", i)
			ns := namespaceOf(t, learner, s.ID)
			t1, q := time.Now(), cluster.Requests()
			require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "start", s.ID, "--wait").code)
			labStart = append(labStart, time.Since(t1))
			startReqs = append(startReqs, cluster.Requests()-q)

			// Baseline: the same objects through kubectl, in a lab-labelled namespace.
			base := namespaceOf(t, learner+"-kubectl", s.ID)
			yaml := crashlab(t, kubeconfig, "--learner", learner+"-kubectl", "manifests", s.ID).out
			t2 := time.Now()
			kc := func(stdin string, args ...string) {
				cmd := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig, "--context", cluster.ContextName}, args...)...)
				cmd.Stdin = strings.NewReader(stdin)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "kubectl %v: %s", args, out)
			}
			kc("", "create", "namespace", base)
			kc("", "label", "namespace", base, cluster.LabelManagedBy+"="+cluster.ManagedBy)
			kc(yaml, "apply", "-n", base, "-f", "-")
			kc("", append([]string{"wait", "-n", base, "pods", "--all", "--timeout=5m"}, kubectlWaitFor(t, s.Signature[0], strings.Contains(yaml, "initContainers:"))...)...)
			kubectlStart = append(kubectlStart, time.Since(t2))
			_ = cluster.DeleteNamespace(ctx, c, base, 0)

			if fix != nil {
				require.NoError(t, fixes.Apply(ctx, c, ns, vals, *fix), "apply %s", fix.File)
				t3, q0 := time.Now(), cluster.Requests()
				r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "check", s.ID)
				check = append(check, time.Since(t3))
				checkReqs = append(checkReqs, cluster.Requests()-q0)
				require.True(t, verdictOf(t, r).Passed, "bench fix %s must pass", fix.Name)
				q0 = cluster.Requests()
				require.Equal(t, 0, crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "status", s.ID).code)
				statusReqs = append(statusReqs, cluster.Requests()-q0)
				d, err := c.AppsV1().Deployments(ns).Get(ctx, s.Workload.Name, metav1.GetOptions{})
				if err != nil {
					d = nil
				}
				window := grader.StabilityWindow(d, s.FailsWithin.Duration, 10*time.Second)
				if d == nil {
					window = 0 // a Job has no stability window
				}
				floor = append(floor, 2*window+cluster.BackoffCap)
				if d != nil {
					// A check of a workload that has been stable for longer
					// than the window: its floor is one window plus the start
					// of one fresh pod, measured here with the plain API.
					podStart := replacePodAndWait(ctx, t, c, s.Target(ns))
					time.Sleep(window + 3*time.Second)
					t4, q1 := time.Now(), cluster.Requests()
					r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "check", s.ID)
					stable = append(stable, time.Since(t4))
					stableReqs = append(stableReqs, cluster.Requests()-q1)
					require.True(t, verdictOf(t, r).Passed, "a stable workload passes again")
					stableFloor = append(stableFloor, window+podStart)
				}
			}
			_ = cluster.DeleteNamespace(ctx, c, ns, 0)
		}
		row := fmt.Sprintf("%-20s start→failure %6.2fs  kubectl apply+wait %6.2fs  ratio %5.2fx  API requests: start --wait %d",
			s.ID, median(labStart).Seconds(), median(kubectlStart).Seconds(), ratio(median(labStart), median(kubectlStart)), medianInt(startReqs))
		if len(check) > 0 {
			row += fmt.Sprintf("  | fix→passing check %6.2fs  floor %6.2fs  ratio %5.2fx  API requests: check %d, status %d",
				median(check).Seconds(), median(floor).Seconds(), ratio(median(check), median(floor)), medianInt(checkReqs), medianInt(statusReqs))
		}
		if len(stable) > 0 {
			row += fmt.Sprintf("  | stable check %6.2fs  floor (window + pod start) %6.2fs  ratio %5.2fx  requests %d",
				median(stable).Seconds(), median(stableFloor).Seconds(), ratio(median(stable), median(stableFloor)), medianInt(stableReqs))
		}
		rows = append(rows, row)
	}
	fmt.Printf("\nBENCH crashlab up (cluster %s): %.1fs\n", cluster.Name, upTime.Seconds())
	fmt.Printf("BENCH medians of %d runs; floor = 2 x stability window + kubelet back-off cap (%s); stable floor = 1 window + a fresh pod's start, measured in the same run\n", runs, cluster.BackoffCap)
	for _, r := range rows {
		fmt.Println("BENCH " + r)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// replacePodAndWait deletes one current pod of the target and returns how long
// the workload takes to have all its pods Ready again: the kubelet's and the
// controller's own time for a fresh pod, which no grader can beat.
func replacePodAndWait(ctx context.Context, t *testing.T, c kubernetes.Interface, tg podstate.Target) time.Duration {
	t.Helper()
	pods, err := podstate.CurrentPods(ctx, c, tg)
	require.NoError(t, err)
	require.NotEmpty(t, pods)
	want := len(pods)
	t0 := time.Now()
	require.NoError(t, c.CoreV1().Pods(tg.Namespace).Delete(ctx, pods[0].Name, metav1.DeleteOptions{}))
	require.Eventually(t, func() bool {
		now, err := podstate.CurrentPods(ctx, c, tg)
		if err != nil || len(now) != want {
			return false
		}
		for _, p := range now {
			if p.Name == pods[0].Name || !podReady(p) {
				return false
			}
		}
		return true
	}, 3*time.Minute, 200*time.Millisecond)
	return time.Since(t0)
}

// kubectlWaitFor is the `kubectl wait` condition a person would type for an
// incident's first signature predicate: the status the failure shows, each
// incident its own (a look-alike never reaches CrashLoopBackOff, so waiting
// for it would time out). The lab waits for every predicate; the first is
// the one the pod's status shows.
func kubectlWaitFor(t *testing.T, predicate string, initContainer bool) []string {
	statuses := "containerStatuses"
	if initContainer {
		statuses = "initContainerStatuses"
	}
	key, value, ok := strings.Cut(predicate, "=")
	require.True(t, ok, "a status predicate: %s", predicate)
	switch key {
	case "waitingReason":
		return []string{"--for=jsonpath={.status." + statuses + "[0].state.waiting.reason}=" + value}
	case "lastReason":
		return []string{"--for=jsonpath={.status." + statuses + "[0].lastState.terminated.reason}=" + value}
	case "lastExitCode":
		return []string{"--for=jsonpath={.status." + statuses + "[0].lastState.terminated.exitCode}=" + value}
	case "family":
		switch value {
		case podstate.FamilyPending:
			return []string{"--for=condition=PodScheduled=false"}
		case podstate.FamilyHealthy:
			return []string{"--for=condition=Ready"}
		}
		// The waiting reasons that name themselves (ImagePullBackOff,
		// CreateContainerConfigError, RunContainerError, ...).
		return []string{"--for=jsonpath={.status." + statuses + "[0].state.waiting.reason}=" + value}
	}
	t.Fatalf("no kubectl condition for signature predicate %q", predicate)
	return nil
}
