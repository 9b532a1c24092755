//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/internal/syncbuf"
	"github.com/crashlab/crashlab/interview"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// interviewReport is the part of `interview start -o json` the test reads.
type interviewReport struct {
	Incident  string            `json:"incident"`
	Namespace string            `json:"namespace"`
	Candidate string            `json:"candidate"`
	Outcome   string            `json:"outcome"`
	Score     *int              `json:"score"`
	Events    []interview.Event `json:"events"`
	// Investigation is the candidate's, from the audit log.
	Investigation *struct {
		Timeline replay.Timeline `json:"timeline"`
		Revealed bool            `json:"revealed"`
		Summary  replay.Summary  `json:"summary"`
	} `json:"investigation"`
	InvestigationNote string `json:"investigationNote"`
}

// interviewRoom plays an interview on the real cluster: the interviewer's
// `interview start` runs in the background; with the candidate's
// kubeconfig, `kubectl auth can-i` and real requests show that the record,
// the interview record and the namespace's digest are out of reach; the
// candidate diagnoses through the relay, fixes with their own identity and
// checks; the interviewer's report says solved, with the events.
func interviewRoom(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec) {
	ctx := context.Background()
	id := spec.s.ID
	kc := filepath.Join(t.TempDir(), "ada.kubeconfig")
	var out, errb syncbuf.Buffer
	ictx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		// --seed 0 is the base incident, whose fixes/ the test applies.
		done <- app.Run(ictx, app.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, []string{
			"--kubeconfig", kubeconfig, "-o", "json", "interview", "start", "--candidate", "ada", "--incident", id,
			"--seed", "0", "--limit", "20m", "--expiry", "1h", "--kubeconfig-out", kc})
	}()
	finished := false
	t.Cleanup(func() {
		if !finished {
			stop()
			<-done
		}
		stop()
		t.Logf("interviewer's terminal:\n%s", errb.String())
		cleanupInterviews(t, c)
	})

	require.Eventually(t, func() bool {
		_, err := os.Stat(kc)
		return err == nil
	}, 5*time.Minute, time.Second, "the interviewer writes the candidate's kubeconfig: %s", errb.String())
	raw, err := clientcmd.LoadFromFile(kc)
	require.NoError(t, err)
	token, ok := interview.TokenOf(raw.CurrentContext)
	require.True(t, ok, "the context marks an interview: %s", raw.CurrentContext)
	ns := raw.Contexts[raw.CurrentContext].Namespace
	require.Equal(t, interview.Namespace(token), ns)
	cand := newClient(t, kc, raw.CurrentContext)
	record := "attempt-" + token

	t.Run("nothing-names-the-incident", func(t *testing.T) {
		nsObj, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		require.NoError(t, err)
		assert.NoError(t, cluster.CheckOwned(nsObj), "the lab's own: reset and down may delete it")
		assert.NotContains(t, ns, id)
		for k, v := range nsObj.Labels {
			assert.NotContains(t, v, id, "namespace label %s", k)
		}
		deps, err := cand.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, d := range deps.Items {
			for k, v := range d.Labels {
				assert.NotContains(t, v, id, "%s's label %s", d.Name, k)
			}
			for k, v := range d.Spec.Template.Labels {
				assert.NotContains(t, v, id, "%s's pod label %s", d.Name, k)
			}
		}
		cms, err := cand.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, cm := range cms.Items {
			assert.NotEqual(t, scenarios.AttemptRecordName, cm.Name, "the record left the candidate's namespace")
		}
	})

	t.Run("isolation", func(t *testing.T) {
		cases := []accessCase{
			{"get", "configmaps", "", interview.SystemNamespace, record, false, ""},
			{"update", "configmaps", "", interview.SystemNamespace, record, false, ""},
			{"get", "configmaps", "", interview.SystemNamespace, "interview-" + token, false, ""},
			{"list", "configmaps", "", interview.SystemNamespace, "", false, ""},
			{"patch", "namespaces", "", "", ns, false, ""},
			{"update", "namespaces", "", "", ns, false, ""},
			{"get", "pods", "", "kube-system", "", false, ""},
			{"get", "pods", "", "default", "", false, ""},
			{"create", "rolebindings", "rbac.authorization.k8s.io", ns, "", false, ""},
			{"get", "pods", "", ns, "", true, ""},
			{"update", "deployments", "apps", ns, "", true, ""},
			{"create", "configmaps", "", ns, "", true, ""},
			{"list", "nodes", "", "", "", true, ""},
		}
		assertAccess(t, ctx, "the candidate", cand, kc, cases)

		// Real requests, not only reviews.
		_, err := cand.CoreV1().ConfigMaps(interview.SystemNamespace).Get(ctx, record, metav1.GetOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the record: %v", err)
		_, err = cand.CoreV1().ConfigMaps(interview.SystemNamespace).Get(ctx, "interview-"+token, metav1.GetOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the interview record: %v", err)
		patch := []byte(`{"metadata":{"annotations":{"` + scenarios.AnnotationAttemptDigest + `":"forged"}}}`)
		_, err = cand.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, patch, metav1.PatchOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the digest on the namespace: %v", err)
		_, err = cand.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		assert.True(t, apierrors.IsForbidden(err), "another namespace: %v", err)
	})

	// The candidate diagnoses through the relay, without the id, once the
	// failure shows, as a candidate would: the interviewer's process hands
	// out the kubeconfig before the first container has exited.
	_, err = podstate.NewObserver(c).WaitForSignature(ctx, spec.s.Target(ns), spec.s.Signature, 3*time.Minute, nil)
	require.NoError(t, err, "the interview's pods show the failure")
	var r result
	for attempt := 0; attempt < 3; attempt++ {
		right, _ := answersFromPods(t, c, ns, spec.s.Workload.Container, spec.s.Questions, spec)
		args := []string{"-o", "json", "diagnose"}
		for k, v := range right {
			args = append(args, "--answer", k+"="+v)
		}
		if r = crashlab(t, kc, args...); r.code == 0 {
			break
		}
		time.Sleep(5 * time.Second)
	}
	require.Equal(t, 0, r.code, "the candidate's diagnosis, judged by the interviewer: %s %s", r.out, r.err)
	assert.NotContains(t, r.out, id, "the reply never names the incident")

	r = crashlab(t, kc, "hint")
	require.Equal(t, 0, r.code, r.err)
	assert.Contains(t, r.out, "Hint 1/")

	passing := spec.folder.Passing()
	require.NotEmpty(t, passing)
	require.NoError(t, fixes.Apply(ctx, cand, ns, vals, passing[0]), "the candidate's rights are enough for the fix")
	r = crashlab(t, kc, "-o", "json", "check", "--timeout", "3m")
	v := verdictOf(t, r)
	require.True(t, v.Passed, "the candidate's fix %s: %+v", passing[0].Name, v.Checks)

	// Solved: the interviewer's process ends by itself with the report.
	select {
	case err := <-done:
		finished = true
		require.NoError(t, err, errb.String())
	case <-time.After(time.Minute):
		t.Fatalf("the interviewer did not end after the solve:\n%s", errb.String())
	}
	var rep interviewReport
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep), out.String())
	assert.Equal(t, "solved", rep.Outcome)
	assert.Equal(t, id, rep.Incident)
	assert.Equal(t, "ada", rep.Candidate)
	assert.Equal(t, ns, rep.Namespace)
	require.NotNil(t, rep.Score)
	kinds := map[string]bool{}
	for _, e := range rep.Events {
		kinds[e.Kind] = true
		if e.Kind == "check" {
			require.NotNil(t, e.Passed)
			assert.True(t, *e.Passed)
		}
	}
	for _, k := range []string{"questions", "answer", "diagnosis", "hint", "check"} {
		assert.True(t, kinds[k], "the report has a %s event: %+v", k, rep.Events)
	}

	// The investigation: the candidate's requests and lab commands, never
	// the interviewer's (this test read the namespace's pods as the
	// interviewer, above), revealed to the interviewer.
	t.Run("investigation", func(t *testing.T) {
		require.NotNil(t, rep.Investigation, "the lab's cluster records requests: %s", rep.InvestigationNote)
		assert.True(t, rep.Investigation.Revealed, "the interviewer sees the evidence marks")
		user := interview.CandidateUser(token)
		var lab []string
		wrote := false
		for _, e := range rep.Investigation.Timeline.Entries {
			if e.Source == replay.SourceLab {
				lab = append(lab, e.Command)
				continue
			}
			assert.Equal(t, user, e.User, "only the candidate's requests: %+v", e)
			wrote = wrote || e.Write
		}
		assert.True(t, wrote, "the candidate's fix (%s) is in the timeline as a write: %+v", passing[0].Name, rep.Investigation.Timeline.Entries)
		for _, cmd := range []string{"crashlab diagnose", "crashlab hint", "crashlab check"} {
			assert.Contains(t, lab, cmd, "the candidate's lab commands, from the interviewer's record")
		}
	})

	// With the interviewer gone, the candidate's command says so in one line.
	begin := time.Now()
	r = crashlab(t, kc, "status")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "no interviewer is answering")
	assert.Less(t, time.Since(begin), 30*time.Second)
}

// cleanupInterviews deletes what interviews left: their namespaces (the
// lab's, by label), the system namespace and the cluster-wide RBAC.
func cleanupInterviews(t *testing.T, c kubernetes.Interface) {
	ctx := context.Background()
	nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: interview.LabelInterview})
	if err == nil {
		for _, n := range nss.Items {
			_ = cluster.DeleteNamespace(ctx, c, n.Name, 0)
		}
	}
	_ = cluster.DeleteNamespace(ctx, c, interview.SystemNamespace, 0)
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: interview.LabelInterview})
	if err == nil {
		for _, b := range crbs.Items {
			_ = c.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{})
		}
	}
	for _, name := range []string{"crashlab-interview-candidate", "crashlab-interview-nodes"} {
		_ = c.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	}
}
