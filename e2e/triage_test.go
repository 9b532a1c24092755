//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// triageRound plays a whole round on the real cluster: the labels the
// test reads from the live pods pass, wrong ones are refused one by one,
// the priority's accepted fix (from its fixes/ folder, applied in the
// round's namespace) passes `triage check` while the other workloads stay
// broken, and `triage end` removes the namespace.
func triageRound(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, all []scenarioSpec) {
	ctx := context.Background()
	learner := "triage"
	ns, err := cluster.NamespaceFor(learner, scenarios.TriageLabel)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cluster.DeleteNamespace(context.Background(), c, ns, 0) })

	r := crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "triage", "--count", "3", "--seed", "7")
	require.Equal(t, 0, r.code, r.err)
	var round struct {
		Namespace string   `json:"namespace"`
		Workloads []string `json:"workloads"`
		Priority  string   `json:"priority"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &round))
	require.Len(t, round.Workloads, 3)
	assert.Equal(t, ns, round.Namespace)
	assert.NotContains(t, r.out, "-down-", "the round never names its incidents")

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "triage")
	assert.Equal(t, 1, r.code, "a second round while one runs is refused")

	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "triage", "answer", "--list")
	require.Equal(t, 0, r.code, r.err)
	var choices struct {
		Families []string `json:"families"`
		Causes   []struct{ Key, Text string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &choices))

	// Which scenario broke each workload: the lab's label on the object.
	specOf := map[string]scenarioSpec{}
	for _, w := range round.Workloads {
		name := strings.TrimPrefix(w, "Deployment/")
		d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err, "the round's %s", w)
		for _, s := range all {
			if s.id == d.Labels[cluster.LabelScenario] {
				specOf[w] = s
			}
		}
		require.Contains(t, specOf, w)
	}
	causeKey := func(s scenarioSpec, choice string) string {
		for _, q := range s.s.Questions {
			for _, ch := range q.Choices {
				if ch.ID != choice {
					continue
				}
				for _, c := range choices.Causes {
					if c.Text == ch.Text {
						return c.Key
					}
				}
			}
		}
		t.Fatalf("%s: choice %s is not among the round's causes", s.id, choice)
		return ""
	}

	// Every workload fails visibly before it is labelled.
	right := map[string][2]string{}
	require.Eventually(t, func() bool {
		for _, w := range round.Workloads {
			s := specOf[w]
			f, err := podstate.NewObserver(c).Observe(ctx, s.s.Target(ns))
			if err != nil {
				return false
			}
			if ok, _ := podstate.SignatureHolds(f, s.s.Workload.Container, s.s.Signature); !ok {
				return false
			}
			right[w] = [2]string{f.Family(), causeKey(s, s.folder.Diagnosis.Correct[lab.CauseQuestion(s.s)])}
		}
		return true
	}, 3*time.Minute, 3*time.Second, "every workload of the round shows its failure")

	labels := func(wrongFamily, wrongCause string) []string {
		args := []string{"--learner", learner, "-o", "json", "triage", "answer"}
		for _, w := range round.Workloads {
			fam, cause := right[w][0], right[w][1]
			if w == wrongFamily {
				fam = podstate.FamilyPending
				if right[w][0] == podstate.FamilyPending {
					fam = podstate.FamilyImagePull
				}
			}
			if w == wrongCause {
				cause = causeKey(specOf[w], specOf[w].folder.Diagnosis.Wrong[lab.CauseQuestion(specOf[w].s)])
			}
			args = append(args, "--label", w+"="+fam+","+cause)
		}
		return args
	}
	var v grader.Verdict
	for attempt := 0; attempt < 3; attempt++ {
		r = crashlab(t, kubeconfig, labels("", "")...)
		if v = verdictOf(t, r); v.Passed {
			break
		}
		time.Sleep(5 * time.Second)
	}
	assert.True(t, v.Passed, "labels read from the live pods pass: %+v", v.Checks)
	// A pod that has just restarted has no previous log for a moment, so a
	// right cause that quotes the log may miss once; a learner would answer
	// again, and so does the test. The wrong label must fail every time.
	refusedAlone := func(args []string, want string) {
		var failed []string
		for attempt := 0; attempt < 3; attempt++ {
			failed = failedChecks(verdictOf(t, crashlab(t, kubeconfig, args...)))
			require.Contains(t, failed, want)
			if len(failed) == 1 {
				return
			}
			time.Sleep(5 * time.Second)
		}
		assert.Equal(t, []string{want}, failed, "only the wrong label is refused")
	}
	for _, w := range round.Workloads {
		refusedAlone(labels(w, ""), w+" family")
		refusedAlone(labels("", w), w+" cause")
	}

	// The priority's fix, in the shared namespace.
	prio := specOf[round.Priority]
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "triage", "check", "--timeout", "30s")
	assert.Equal(t, 1, r.code, "check before the fix fails")
	passing := prio.folder.Passing()
	require.NotEmpty(t, passing)
	require.NoError(t, fixes.Apply(ctx, c, ns, vals, passing[0]))
	r = crashlab(t, kubeconfig, "--learner", learner, "-o", "json", "triage", "check", "--timeout", "3m")
	v = verdictOf(t, r)
	assert.True(t, v.Passed, "the priority's accepted fix %s passes in the round's namespace: %+v", passing[0].Name, v.Checks)
	for _, w := range round.Workloads {
		if w == round.Priority {
			continue
		}
		// A workload that was not touched still shows the family it showed
		// (a start that keeps failing shows two in turn: any it can show).
		f, err := podstate.NewObserver(c).Observe(ctx, specOf[w].s.Target(ns))
		require.NoError(t, err)
		assert.Contains(t, f.Families(), right[w][0], "%s was not touched and stays as it was", w)
	}

	r = crashlab(t, kubeconfig, "--learner", learner, "triage", "end")
	require.Equal(t, 0, r.code, r.err)
	_, err = c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	assert.Error(t, err, "end removes the round's namespace")
}
