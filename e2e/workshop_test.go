//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
	"github.com/crashlab/crashlab/controller"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
	"github.com/crashlab/crashlab/workshop"
)

// boardLatency is the promise: the page shows a learner's change
// within 2 s of the cluster change.
const boardLatency = 2 * time.Second

// workshopRoom plays a small workshop on the real cluster: the trainer
// creates it, writes the kubeconfigs; with learner-01's kubeconfig
// `kubectl auth can-i` (and the same question through the API) and real
// requests show what the learner can and cannot reach; learner-01 starts,
// diagnoses and fixes their incident with their own identity while the
// board, open in headless Chromium, follows each step within 2 s; the
// terminal board shows the same in tmux; `workshop delete` removes it all
// (the outside-lab snapshot of TestLab then proves nothing else changed).
func workshopRoom(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, spec scenarioSpec) {
	ctx := context.Background()
	const name = "e2e"
	id := spec.s.ID
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	// The controller's image is built from the static crashlab `make build`
	// wrote (this test runs crashlab in-process, in a test binary).
	bin := "linux/" + runtime.GOARCH + "=" + filepath.Join(root, "bin", "crashlab")
	r := crashlab(t, kubeconfig, "workshop", "create", "--name", name, "--learners", "3", "--incidents", id, "--crashlab-binary", bin)
	require.Equal(t, 0, r.code, r.err)
	t.Cleanup(func() { crashlab(t, kubeconfig, "workshop", "delete", "--name", name) })
	dir := t.TempDir()
	issuedAt := time.Now()
	r = crashlab(t, kubeconfig, "-o", "json", "workshop", "kubeconfigs", dir, "--name", name, "--expiry", "1h")
	require.Equal(t, 0, r.code, r.err)
	var issued []workshop.Issued
	require.NoError(t, json.Unmarshal([]byte(r.out), &issued))
	require.Len(t, issued, 3)
	kc1, kc2, kc3 := filepath.Join(dir, "learner-01.kubeconfig"), filepath.Join(dir, "learner-02.kubeconfig"), filepath.Join(dir, "learner-03.kubeconfig")
	st, err := os.Stat(kc1)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a kubeconfig holds a token: private")
	raw, err := clientcmd.LoadFromFile(kc1)
	require.NoError(t, err)
	l1 := newClient(t, kc1, raw.CurrentContext)
	ns1, ns2, ns3 := namespaceOf(t, "learner-01", id), namespaceOf(t, "learner-02", id), namespaceOf(t, "learner-03", id)
	ws := workshop.Namespace(name)
	admin := attemptsClient(t, kubeconfig, "")
	att1, att2, att3 := attempts.Name("learner-01", id), attempts.Name("learner-02", id), attempts.Name("learner-03", id)

	t.Run("identity-and-expiry", func(t *testing.T) {
		// Who the API server says the token is, and when it stops working.
		who, err := workshop.WhoAmI(ctx, l1)
		require.NoError(t, err)
		assert.Equal(t, workshop.Identity{Workshop: name, Learner: "learner-01"}, who)
		for _, i := range issued {
			left := i.Expires.Sub(issuedAt)
			assert.True(t, left > 55*time.Minute && left < 65*time.Minute, "%s's token expires in %s, asked 1h", i.Learner, left)
		}
	})

	t.Run("isolation", func(t *testing.T) {
		record1 := "attempt-learner-01-" + id
		record2 := "attempt-learner-02-" + id
		cases := []accessCase{
			{"get", "pods", "", ns1, "", true, ""},
			{"update", "deployments", "apps", ns1, "", true, ""},
			{"update", "configmaps", "", ns1, "", true, ""},
			{"get", "pods", "", ns2, "", false, ""},
			{"get", "secrets", "", ns2, "", false, ""},
			{"get", "configmaps", "", ws, record1, true, ""},
			{"update", "configmaps", "", ws, record1, false, ""},
			{"delete", "configmaps", "", ws, record1, false, ""},
			{"get", "configmaps", "", ws, record2, false, ""},
			{"list", "configmaps", "", ws, "", false, ""},
			// The record is the Attempt's status, which only the lab's
			// controller writes: there is no progress ConfigMap to write.
			{"update", "configmaps", "", ws, "progress-learner-01", false, ""},
			{"get", "attempts", "crashlab.dev", ws, att1, true, ""},
			{"watch", "attempts", "crashlab.dev", ws, att1, true, ""},
			{"patch", "attempts", "crashlab.dev", ws, att1, true, ""},
			{"patch", "attempts", "crashlab.dev", ws, att1, false, "status"},
			{"update", "attempts", "crashlab.dev", ws, att1, false, "status"},
			{"delete", "attempts", "crashlab.dev", ws, att1, false, ""},
			{"create", "attempts", "crashlab.dev", ws, "", false, ""},
			{"list", "attempts", "crashlab.dev", ws, "", false, ""},
			{"get", "attempts", "crashlab.dev", ws, att2, false, ""},
			{"patch", "attempts", "crashlab.dev", ws, att2, false, ""},
			{"update", "workshops", "crashlab.dev", ws, name, false, "status"},
			{"update", "namespaces", "", "", ns1, false, ""},
			{"delete", "namespaces", "", "", ns1, false, ""},
			{"list", "namespaces", "", "", "", false, ""},
			{"create", "rolebindings", "rbac.authorization.k8s.io", ns1, "", false, ""},
			{"create", "clusterrolebindings", "rbac.authorization.k8s.io", "", "", false, ""},
			{"get", "pods", "", "kube-system", "", false, ""},
			{"list", "nodes", "", "", "", true, ""},
			{"get", "nodes", "", "", "", false, "proxy"},
		}
		assertAccess(t, ctx, "learner-01", l1, kc1, cases)

		// Real requests, not only reviews.
		_, err := l1.CoreV1().Pods(ns2).List(ctx, metav1.ListOptions{})
		assert.True(t, apierrors.IsForbidden(err), "another learner's pods: %v", err)
		cm, err := l1.CoreV1().ConfigMaps(ws).Get(ctx, record1, metav1.GetOptions{})
		require.NoError(t, err, "the learner reads their own record")
		cm.Data["manifests.yaml"] += "\n# changed"
		_, err = l1.CoreV1().ConfigMaps(ws).Update(ctx, cm, metav1.UpdateOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the learner cannot change their record: %v", err)
		_, err = l1.CoreV1().ConfigMaps(ws).Get(ctx, record2, metav1.GetOptions{})
		assert.True(t, apierrors.IsForbidden(err), "another learner's record: %v", err)
		_, err = l1.RbacV1().RoleBindings(ns1).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "widen"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "learner-01", Namespace: ws}},
		}, metav1.CreateOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the learner cannot widen their rights: %v", err)
		nsObj, err := l1.CoreV1().Namespaces().Get(ctx, ns1, metav1.GetOptions{})
		require.NoError(t, err, "the learner reads their namespace")
		nsObj.Annotations[scenarios.AnnotationAttemptDigest] = "forged"
		_, err = l1.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{})
		assert.True(t, apierrors.IsForbidden(err), "the learner cannot change the digest on the namespace: %v", err)
		// The record: a learner's real requests to write a score.
		l1a := attemptsClient(t, kc1, raw.CurrentContext)
		raise := client.RawPatch(types.MergePatchType, []byte(`{"status":{"progress":{"bestScore":100,"fixed":"2026-01-01T00:00:00.000000Z"}}}`))
		err = l1a.Status().Patch(ctx, attemptRef(ws, att1), raise)
		assert.True(t, apierrors.IsForbidden(err), "the learner cannot write their attempt's status: %v", err)
		require.NoError(t, l1a.Patch(ctx, attemptRef(ws, att1), raise), "status in a patch of the main resource is dropped, not an error")
		assert.Empty(t, attemptOf(t, admin, ws, att1).Status.Progress.BestScore, "a status sent through the main resource is dropped")
		err = l1a.Patch(ctx, attemptRef(ws, att2), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"giveUp":true}}`)))
		assert.True(t, apierrors.IsForbidden(err), "another learner's attempt: %v", err)
		err = l1a.Patch(ctx, attemptRef(ws, att1), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"learner":"learner-02"}}`)))
		assert.True(t, apierrors.IsInvalid(err), "an attempt's learner never changes: %v", err)
		// The lab, run with the learner's kubeconfig, is refused what the
		// trainer does, with one line that says whom to ask.
		r := crashlab(t, kc1, "reset", id)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "crashlab workshop reset")
	})

	// The board, served by the trainer, open in headless Chromium.
	addr := freeAddr(t)
	bctx, stopBoard := context.WithCancel(ctx)
	boardDone := make(chan error, 1)
	go func() {
		boardDone <- app.Run(bctx, app.Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &strings.Builder{}},
			[]string{"--kubeconfig", kubeconfig, "workshop", "board", "--name", name, "--addr", addr})
	}()
	defer func() {
		stopBoard()
		select {
		case <-boardDone:
		case <-time.After(time.Second):
			t.Error("the board did not stop within a second of its context ending")
		}
	}()
	// The board listens once its cache holds the room: wait for that, as a
	// trainer waits for the address it prints (seen in CI: a page opened
	// before it was refused).
	waitListening(t, addr, boardDone)
	page := newBrowser(t)
	cell := func(learner string) string { return "#cell-" + learner + "--" + id }
	require.NoError(t, chromedp.Do(page, chromedp.Navigate("http://"+addr+"/")))
	within := func(what, learner, state string, d time.Duration) {
		t.Helper()
		wctx, cancel := context.WithTimeout(page, d)
		defer cancel()
		t0 := time.Now()
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(cell(learner)+`[data-state="`+state+`"]`)))
		if assert.NoError(t, err, "%s: the board shows %s's %s as %q within %s", what, learner, id, state, d) {
			t.Logf("board: %s -> %q after %s", what, state, time.Since(t0).Round(time.Millisecond))
		}
	}
	// The first board comes with the page (the server may still be starting).
	within("page open", "learner-01", workshop.StateNotStarted, 30*time.Second)
	within("page open", "learner-02", workshop.StateNotStarted, boardLatency)
	within("page open", "learner-03", workshop.StateNotStarted, boardLatency)

	r = crashlab(t, kc1, "-o", "json", "start", id, "--wait")
	require.Equal(t, 0, r.code, r.err)
	within("learner-01 started", "learner-01", workshop.StateCrashing, boardLatency)

	right, _ := answersFromPods(t, c, ns1, spec.s.Workload.Container, spec.s.Questions, spec)
	for attempt := 0; attempt < 3; attempt++ {
		if r = crashlab(t, kc1, diagnoseArgs("learner-01", id, right)...); r.code == 0 {
			break
		}
		time.Sleep(5 * time.Second)
	}
	require.Equal(t, 0, r.code, "learner-01's diagnosis, read from the pods: %s", r.out)
	within("learner-01 diagnosed", "learner-01", workshop.StateDiagnosed, boardLatency)

	passing := spec.folder.Passing()
	require.NotEmpty(t, passing)
	require.NoError(t, fixes.Apply(ctx, l1, ns1, vals, passing[0]), "the learner's rights are enough for the fix")
	r = crashlab(t, kc1, "-o", "json", "check", id, "--timeout", "3m")
	v := verdictOf(t, r)
	require.True(t, v.Passed, "learner-01's fix %s with their own identity: %+v", passing[0].Name, v.Checks)
	within("learner-01 fixed", "learner-01", workshop.StateFixed, boardLatency)
	within("learner-02 untouched", "learner-02", workshop.StateNotStarted, boardLatency)
	a1 := attemptOf(t, admin, ws, att1)
	assert.Equal(t, v1alpha1.PhaseFixed, a1.Status.Phase)
	assert.Equal(t, v1alpha1.CheckPassed, a1.Status.Check.Result)
	assert.NotEmpty(t, a1.Status.Explanation, "the cause is told once fixed")

	l2raw, err := clientcmd.LoadFromFile(kc2)
	require.NoError(t, err)
	l2 := newClient(t, kc2, l2raw.CurrentContext)
	l3raw, err := clientcmd.LoadFromFile(kc3)
	require.NoError(t, err)
	l3 := newClient(t, kc3, l3raw.CurrentContext)

	t.Run("shortcut-refused", func(t *testing.T) {
		refused := spec.folder.Refused()
		require.NotEmpty(t, refused)
		r := crashlab(t, kc2, "start", id)
		require.Equal(t, 0, r.code, r.err)
		require.NoError(t, fixes.Apply(ctx, l2, ns2, vals, refused[0]))
		r = crashlab(t, kc2, "-o", "json", "check", id, "--timeout", "3m")
		if r.code == 0 {
			v := verdictOf(t, r)
			assert.False(t, v.Passed, "the shortcut %s must not pass through the controller", refused[0].Name)
		}
		a := attemptOf(t, admin, ws, att2)
		assert.NotEqual(t, v1alpha1.CheckPassed, a.Status.Check.Result)
		assert.Empty(t, a.Status.Progress.Fixed, "no fix recorded")
		assert.Empty(t, a.Status.Explanation, "the cause is not told before a fix or a give-up")
	})

	// learner-03 fixes their incident the right way; their checks are
	// stopped twice before one may end.
	r = crashlab(t, kc3, "start", id)
	require.Equal(t, 0, r.code, r.err)
	require.NoError(t, fixes.Apply(ctx, l3, ns3, vals, passing[0]))

	t.Run("withdrawn-check", func(t *testing.T) {
		// Ctrl-C on a learner's check of a fix that would pass: the command
		// ends within a second, as interrupted, and the controller records
		// it as interrupted, not as the pass it was heading for.
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan result, 1)
		go func() { done <- crashlabCtx(t, cctx, kc3, "check", id, "--timeout", "3m") }()
		waitAttempt(t, admin, ws, att3, 60*time.Second, "the check runs", func(a *v1alpha1.Attempt) bool {
			return a.Status.Check != nil && a.Status.Check.Result == v1alpha1.CheckRunning
		})
		cancel()
		t0 := time.Now()
		select {
		case r := <-done:
			assert.NotEqual(t, 0, r.code)
			assert.Contains(t, r.err, "interrupted", "reported as interrupted")
			assert.Less(t, time.Since(t0), time.Second+200*time.Millisecond, "Ctrl-C ends the check within a second")
		case <-time.After(5 * time.Second):
			t.Fatal("the check did not end after Ctrl-C")
		}
		a := waitAttempt(t, admin, ws, att3, 30*time.Second, "the controller stops the check", func(a *v1alpha1.Attempt) bool {
			return a.Status.Check != nil && a.Status.Check.Result != v1alpha1.CheckRunning
		})
		assert.Equal(t, v1alpha1.CheckInterrupted, a.Status.Check.Result, "a withdrawn check is interrupted, never passed: %s", a.Status.Check.Reason)
		assert.Empty(t, a.Status.Progress.Fixed, "a withdrawn check records no fix")
	})

	t.Run("controller-killed-during-check", func(t *testing.T) {
		done := make(chan result, 1)
		go func() { done <- crashlab(t, kc3, "-o", "json", "check", id, "--timeout", "3m") }()
		running := waitAttempt(t, admin, ws, att3, 60*time.Second, "the check runs", func(a *v1alpha1.Attempt) bool {
			return a.Status.Check != nil && a.Status.Check.Result == v1alpha1.CheckRunning
		})
		holder := running.Status.Check.Holder
		require.NoError(t, c.CoreV1().Pods(controller.SystemNamespace).Delete(ctx, holder, metav1.DeleteOptions{}), "kill the controller's pod %s", holder)
		r = <-done
		assert.NotEqual(t, 0, r.code, "a check whose controller died is not a verdict: %s", r.out)
		assert.Contains(t, r.err, "interrupted")
		a := attemptOf(t, admin, ws, att3)
		assert.Equal(t, v1alpha1.CheckInterrupted, a.Status.Check.Result)
		assert.Empty(t, a.Status.Progress.Fixed, "nothing half-watched is a pass")
		// The new controller picks the room up from the resources alone.
		r = crashlab(t, kc3, "-o", "json", "check", id, "--timeout", "3m")
		v := verdictOf(t, r)
		assert.True(t, v.Passed, "the same fix passes once the controller is back: %+v", v.Checks)
		assert.NotEqual(t, holder, attemptOf(t, admin, ws, att3).Status.Check.Holder)
		within("learner-03 fixed", "learner-03", workshop.StateFixed, boardLatency)
	})

	t.Run("status-tampered", func(t *testing.T) {
		// A cluster admin writes a score into a status: the seal does not
		// match, the controller marks it, the board shows it, the room's
		// summary leaves it out.
		err := admin.Status().Patch(ctx, attemptRef(ws, att2), client.RawPatch(types.MergePatchType, []byte(`{"status":{"progress":{"bestScore":100}}}`)))
		require.NoError(t, err)
		within("learner-02 tampered", "learner-02", workshop.StateTampered, boardLatency)
		a := attemptOf(t, admin, ws, att2)
		assert.True(t, meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionTampered))
		require.Eventually(t, func() bool {
			var w v1alpha1.Workshop
			return admin.Get(ctx, client.ObjectKey{Namespace: ws, Name: name}, &w) == nil && w.Status.Tampered == 1 && w.Status.Fixed == 2
		}, 10*time.Second, 200*time.Millisecond, "the Workshop's status counts the tampered attempt and the two fixes")
	})

	t.Run("investigations", func(t *testing.T) {
		// Learners look with kubectl under their own identities; the
		// controller reads the audit log (through the relay in its pod),
		// and each learner's replay, read with their own kubeconfig, is
		// theirs alone: learner-02's attempt is open, learner-03's ended
		// with their fix, so a look they take now is not part of it; the
		// board shows each one's last looks.
		kubectlPath, err := exec.LookPath("kubectl")
		require.NoError(t, err, "kubectl is on PATH in CI")
		look := func(kc string, args ...string) {
			// Apart by more than replay's window, so that each reads as
			// its own command.
			time.Sleep(replay.Window + time.Second)
			out, err := exec.Command(kubectlPath, append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
			require.NoError(t, err, "kubectl %v: %s", args, out)
		}
		// learner-02's refused shortcut may have replaced the workload: they
		// list; learner-03 describes the workload they fixed, by its name as
		// deployed (the room may play a variant).
		kind := strings.ToLower(spec.s.Workload.Kind)
		deps, err := c.AppsV1().Deployments(ns3).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		require.Len(t, deps.Items, 1)
		look(kc2, "get", "pods")
		look(kc2, "get", kind+"s")
		look(kc3, "describe", kind, deps.Items[0].Name)
		wants := []struct {
			learner, kc, ns string
			looks           []replay.Look
			writes          bool
		}{
			{"learner-02", kc2, ns2, []replay.Look{{Action: replay.ActionGet, Kind: "pod"}, {Action: replay.ActionGet, Kind: kind}}, true},
			{"learner-03", kc3, ns3, nil, true},
		}
		for _, want := range wants {
			user := "system:serviceaccount:" + ws + ":" + want.learner
			var got lab.Replay
			var looks []replay.Look
			wrote := false
			require.Eventually(t, func() bool {
				r := crashlab(t, want.kc, "-o", "json", "replay", id)
				if r.code != 0 || json.Unmarshal([]byte(r.out), &got) != nil {
					return false
				}
				looks, wrote = nil, false
				for _, e := range got.Timeline.Entries {
					if e.Source == replay.SourceKubectl {
						looks = append(looks, replay.Look{Action: e.Look.Action, Kind: e.Look.Kind, Name: e.Look.Name})
					}
					wrote = wrote || e.Write
				}
				return len(looks) >= len(want.looks) && wrote == want.writes
			}, time.Minute, 2*time.Second, "%s's replay, through the controller, shows their looks and writes", want.learner)
			assert.Equal(t, want.looks, looks, "%s sees their own kubectl looks of the attempt, in order, and no one else's", want.learner)
			var labCmds []string
			for _, e := range got.Timeline.Entries {
				if e.Source == replay.SourceLab {
					labCmds = append(labCmds, e.Command)
					continue
				}
				assert.Equal(t, user, e.User, "%s's replay holds their requests only: %+v", want.learner, e)
				for _, ref := range e.Touched {
					assert.Contains(t, []string{"", want.ns}, ref.Namespace, "%s's replay touches their namespace only", want.learner)
				}
			}
			assert.Contains(t, labCmds, "crashlab start", "the lab's commands, from the controller's record")
			assert.Contains(t, labCmds, "crashlab check")
		}
		// The board shows each learner's last looks.
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + addr + "/board.json")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var b workshop.Board
			if json.NewDecoder(resp.Body).Decode(&b) != nil {
				return false
			}
			c2, ok2 := b.Cell("learner-02", id)
			c3, ok3 := b.Cell("learner-03", id)
			return ok2 && ok3 && len(c2.Looks) > 0 && len(c3.Looks) > 0 &&
				strings.Contains(c2.Looks[len(c2.Looks)-1], "kubectl get "+kind)
		}, 30*time.Second, time.Second, "the board shows each learner's last look")
	})

	t.Run("kubectl-get-attempts", func(t *testing.T) {
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Skip("kubectl not installed")
		}
		out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "get", "attempts", "-A").CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, want := range []string{"LEARNER", "PHASE", "SCORE", att1, v1alpha1.PhaseFixed, v1alpha1.CheckPassed} {
			assert.Contains(t, string(out), want)
		}
		out, err = exec.Command(kubectl, "--kubeconfig", kubeconfig, "describe", "attempt", "-n", ws, att1).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "Healthy")
	})

	shot, err := chromedp.Run(page, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	out := filepath.Join(os.TempDir(), "crashlab-e2e-workshop-board.png")
	require.NoError(t, os.WriteFile(out, shot, 0o644))
	t.Logf("board screenshot: %s (%d bytes)", out, len(shot))

	t.Run("terminal-board", func(t *testing.T) {
		tmuxPath, bin := playTools(t)
		session := fmt.Sprintf("crashlab-board-%d", os.Getpid())
		cmd := fmt.Sprintf("%s --kubeconfig %s workshop board --name %s --tui", bin, kubeconfig, name)
		require.NoError(t, exec.Command(tmuxPath, "new-session", "-d", "-s", session, "-x", "160", "-y", "30", cmd).Run())
		defer exec.Command(tmuxPath, "kill-session", "-t", session).Run()
		var screen string
		require.Eventually(t, func() bool {
			b, _ := exec.Command(tmuxPath, "capture-pane", "-p", "-t", session).Output()
			screen = string(b)
			return strings.Contains(screen, "learner-02") && strings.Contains(screen, workshop.StateFixed)
		}, 30*time.Second, 200*time.Millisecond, "the terminal board shows the room")
		assert.Contains(t, screen, "learner-01")
		assert.Contains(t, screen, workshop.StateTampered, "learner-02's status was written by hand")
		// Ctrl-C ends it within a second.
		require.NoError(t, exec.Command(tmuxPath, "send-keys", "-t", session, "C-c").Run())
		assert.Eventually(t, func() bool {
			return exec.Command(tmuxPath, "has-session", "-t", session).Run() != nil
		}, 2*time.Second, 100*time.Millisecond, "Ctrl-C ends the terminal board")
	})

	t.Run("trainer-reset", func(t *testing.T) {
		r := crashlab(t, kubeconfig, "workshop", "reset", "--name", name, "learner-02", id)
		require.Equal(t, 0, r.code, r.err)
		_, err = l2.CoreV1().Pods(ns2).List(ctx, metav1.ListOptions{})
		assert.NoError(t, err, "the learner's rights come back with their namespace")
		r = crashlab(t, kc2, "-o", "json", "status", id)
		assert.Equal(t, 0, r.code, r.err)
	})

	r = crashlab(t, kubeconfig, "workshop", "delete", "--name", name)
	require.Equal(t, 0, r.code, r.err)
	sel := metav1.ListOptions{LabelSelector: cluster.LabelWorkshop + "=" + name}
	nss, err := c.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	for _, ns := range nss.Items {
		assert.NotNil(t, ns.DeletionTimestamp, "namespace %s is being deleted", ns.Name)
	}
	crs, err := c.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crs.Items)
	crbs, err := c.RbacV1().ClusterRoleBindings().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crbs.Items)
	_, err = l1.CoreV1().Pods(ns1).List(ctx, metav1.ListOptions{})
	assert.Error(t, err, "a deleted workshop's learner reaches nothing")
}

// freeAddr picks a free loopback port for a server the test starts.
// waitListening waits until something accepts connections on addr, at most
// a minute; a board that ended first fails the test with its error.
func waitListening(t *testing.T, addr string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the board ended before it listened on %s: %v", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listened on %s within a minute", addr)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// newBrowser starts Debian's headless Chromium through chromedp, with the
// flags that keep it off this machine's closed network.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CRASHLAB_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is needed for the board test (%s): apt-get install chromium", path)
		}
		t.Skipf("Chromium not installed at %s", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1200, 500),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	require.NoError(t, chromedp.Do(bctx), "start Chromium")
	return bctx
}

// attemptsClient is a controller-runtime client of the lab's API as the
// identity of kubeconfig (its context, or the current one).
func attemptsClient(t *testing.T, kubeconfig, context string) client.Client {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	require.NoError(t, err)
	c, err := client.New(cfg, client.Options{Scheme: controller.Scheme()})
	require.NoError(t, err)
	return c
}

func attemptRef(ns, name string) *v1alpha1.Attempt {
	a := &v1alpha1.Attempt{}
	a.Namespace, a.Name = ns, name
	return a
}

func attemptOf(t *testing.T, c client.Client, ns, name string) *v1alpha1.Attempt {
	t.Helper()
	a := attemptRef(ns, name)
	require.NoError(t, c.Get(context.Background(), client.ObjectKeyFromObject(a), a))
	return a
}

// waitAttempt polls the Attempt until ok holds.
func waitAttempt(t *testing.T, c client.Client, ns, name string, d time.Duration, what string, ok func(*v1alpha1.Attempt) bool) *v1alpha1.Attempt {
	t.Helper()
	var last *v1alpha1.Attempt
	require.Eventually(t, func() bool {
		a := attemptRef(ns, name)
		if c.Get(context.Background(), client.ObjectKeyFromObject(a), a) != nil {
			return false
		}
		last = a
		return ok(a)
	}, d, 100*time.Millisecond, "%s: %s", name, what)
	return last
}
