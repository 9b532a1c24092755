//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// TestRuntimeFacts runs every incident's failure once on the cluster of
// CRASHLAB_FACTS_CONTEXT (in CRASHLAB_FACTS_KUBECONFIG) and writes what it
// observed to CRASHLAB_FACTS_OUT as a Markdown table: the family, the last
// termination, the waiting reason, and which of the facts the incident's
// text teaches held there. `make facts-k8s-local` runs it on the second
// runtime (containerd 1.6, runc 1.1), `make facts` on the lab's kind node;
// the README's fact table is built from these files, never by hand.
func TestRuntimeFacts(t *testing.T) {
	ctxName, out := os.Getenv("CRASHLAB_FACTS_CONTEXT"), os.Getenv("CRASHLAB_FACTS_OUT")
	if out == "" {
		t.Skip("CRASHLAB_FACTS_OUT names the file to write (make facts, make facts-k8s-local)")
	}
	kubeconfig := os.Getenv("CRASHLAB_FACTS_KUBECONFIG")
	if kubeconfig == "" {
		kubeconfig = filepath.Join(os.Getenv("HOME"), ".kube", "config")
	}
	t.Setenv("CRASHLAB_STATE_DIR", stateDir(t))
	global := []string{"--learner", "facts"}
	if ctxName != "" {
		global = append(global, "--context", ctxName)
	} else {
		ctxName = cluster.ContextName
	}
	c := newClient(t, kubeconfig, ctxName)
	version, err := c.Discovery().ServerVersion()
	require.NoError(t, err)
	nodes, err := c.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, nodes.Items)
	runtime := nodes.Items[0].Status.NodeInfo.ContainerRuntimeVersion

	type row struct{ id, family, last, waiting, held string }
	var mu sync.Mutex
	var rows []row
	sem := make(chan struct{}, 4)
	t.Run("incidents", func(t *testing.T) {
		for _, s := range catalog.All() {
			t.Run(s.ID, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				ns, err := cluster.NamespaceFor("facts", s.ID)
				require.NoError(t, err)
				defer func() { _ = cluster.DeleteNamespace(t.Context(), c, ns, 0) }()
				r := crashlab(t, kubeconfig, append(global, "-o", "json", "start", s.ID, "--wait")...)
				var f podstate.Facts
				_ = json.Unmarshal([]byte(r.out), &f)
				res := row{id: s.ID, family: "-", last: "-", waiting: "-"}
				require.NotContains(t, r.err, "is not on node", "the lab's images must be on the node before facts are read")
				if r.code != 0 {
					res.held = "failure signature not seen: " + strings.TrimSpace(lastLineOf(r.err))
				} else {
					// A second pod may still be starting and an event may lag
					// its status: give the text's facts a minute to show.
					if later, err := podstate.NewObserver(c).WaitForSignature(t.Context(), s.Target(ns), s.Teaches, time.Minute, nil); err == nil {
						f = later
					}
					res.family = familiesOf(f)
					for _, cf := range f.Containers(s.Workload.Container) {
						if t := cf.IncidentLast(); t != nil && res.last == "-" {
							res.last = fmt.Sprintf("%s %d", t.Reason, t.ExitCode)
						}
						if cf.WaitingReason != "" && res.waiting == "-" {
							res.waiting = cf.WaitingReason
						}
					}
					var missed []string
					for _, fact := range s.Teaches {
						if ok, err := podstate.Evidence(f, s.Workload.Container, fact); err != nil || !ok {
							missed = append(missed, "`"+fact+"`")
						}
					}
					res.held = fmt.Sprintf("%d of %d", len(s.Teaches)-len(missed), len(s.Teaches))
					if len(missed) > 0 {
						res.held += "; not seen: " + strings.Join(missed, ", ")
					}
				}
				mu.Lock()
				rows = append(rows, res)
				mu.Unlock()
			})
		}
	})
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	var b strings.Builder
	fmt.Fprintf(&b, "# Facts observed on %s\n\nKubernetes %s, %s, node %s, %s. Written by `TestRuntimeFacts` (e2e/facts_test.go) on %s; do not edit by hand.\n\n",
		ctxName, version.GitVersion, runtime, nodes.Items[0].Status.NodeInfo.KernelVersion, nodes.Items[0].Status.NodeInfo.OSImage, time.Now().UTC().Format("2006-01-02"))
	b.WriteString("| incident | family | last termination | waiting reason | facts of its text seen |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.id, r.family, r.last, r.waiting, r.held)
	}
	require.NoError(t, os.WriteFile(out, []byte(b.String()), 0o644))
	assert.Len(t, rows, len(catalog.All()))
	t.Logf("wrote %s", out)
}

// familiesOf lists the families the pods show, a pod still being created
// left out when another says more.
func familiesOf(f podstate.Facts) string {
	seen := map[string]bool{}
	var out []string
	for _, v := range f.Families() {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) > 1 {
		out = slices.DeleteFunc(out, func(v string) bool { return v == podstate.FamilyStarting })
	}
	return strings.Join(out, ", ")
}

func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
