//go:build e2e

// Package e2e runs crashlab against a real cluster: it creates the lab cluster
// with `crashlab up` (kind through its library), then drives every scenario
// through the CLI and fixes workloads the way a learner would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/grader"
)

// env is what every test shares: the lab cluster's kubeconfig and a client.
type env struct {
	kubeconfig string
	client     kubernetes.Interface
}

var (
	sharedOnce sync.Once
	shared     *env
	sharedErr  error
)

// result is one CLI run.
type result struct {
	out, err string
	code     int
}

// crashlab runs the CLI in-process exactly as the binary would.
func crashlab(t *testing.T, kubeconfig string, args ...string) result {
	t.Helper()
	return crashlabCtx(t, context.Background(), kubeconfig, args...)
}

// crashlabCtx is crashlab whose context the test may cancel, as Ctrl-C
// does to the command.
func crashlabCtx(t *testing.T, ctx context.Context, kubeconfig string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--kubeconfig", kubeconfig}, args...)
	ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	err := app.Run(ctx, app.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, full)
	code := 0
	if err != nil {
		code = 1
		var ee app.ExitError
		if errorsAs(err, &ee) {
			code = ee.Code
		} else {
			errb.WriteString("crashlab: " + err.Error() + "\n")
		}
	}
	t.Logf("crashlab %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{out: out.String(), err: errb.String(), code: code}
}

func errorsAs(err error, target *app.ExitError) bool {
	for e := err; e != nil; {
		if ee, ok := e.(app.ExitError); ok {
			*target = ee
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func verdictOf(t *testing.T, r result) grader.Verdict {
	t.Helper()
	var v grader.Verdict
	require.NoError(t, json.Unmarshal([]byte(r.out), &v), "verdict JSON: %s / %s", r.out, r.err)
	return v
}

func failedChecks(v grader.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return out
}

func newClient(t *testing.T, kubeconfig, context string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	require.NoError(t, err)
	cfg.QPS, cfg.Burst = 50, 100
	c, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return c
}

// namespaceOf is the lab namespace of a learner's scenario.
func namespaceOf(t *testing.T, learner, id string) string {
	ns, err := cluster.NamespaceFor(learner, id)
	require.NoError(t, err)
	return ns
}

// podsOf returns the pods of the namespace as the test sees them itself.
func podsOf(t *testing.T, c kubernetes.Interface, ns string) []corev1.Pod {
	t.Helper()
	list, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	return list.Items
}

// lastTerminated reads the last termination of the named container straight
// from the pod status, independently of the grader's fact reader. A
// container that has just died and is not yet restarted shows it as its
// current state (its first crash has no last state at all): that is its
// last termination too.
func lastTerminated(pods []corev1.Pod, container string) []*corev1.ContainerStateTerminated {
	var out []*corev1.ContainerStateTerminated
	for _, p := range pods {
		for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			switch {
			case st.Name != container:
			case st.State.Terminated != nil:
				out = append(out, st.State.Terminated)
			case st.LastTerminationState.Terminated != nil:
				out = append(out, st.LastTerminationState.Terminated)
			}
		}
	}
	return out
}

// upArgs is `crashlab up` on the node image the run was given
// (CRASHLAB_NODE_IMAGE), else kind's default.
func upArgs() []string {
	up := []string{"up"}
	if img := os.Getenv("CRASHLAB_NODE_IMAGE"); img != "" {
		up = append(up, "--image", img)
	}
	return up
}

func stateDir(t *testing.T) string {
	d := filepath.Join(os.TempDir(), fmt.Sprintf("crashlab-e2e-state-%d", os.Getpid()))
	require.NoError(t, os.MkdirAll(d, 0o755))
	return d
}
