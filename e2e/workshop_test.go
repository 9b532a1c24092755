//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/cmd/crashlab/app"
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
	r := crashlab(t, kubeconfig, "workshop", "create", "--name", name, "--learners", "2", "--incidents", id)
	require.Equal(t, 0, r.code, r.err)
	t.Cleanup(func() { crashlab(t, kubeconfig, "workshop", "delete", "--name", name) })
	dir := t.TempDir()
	issuedAt := time.Now()
	r = crashlab(t, kubeconfig, "-o", "json", "workshop", "kubeconfigs", dir, "--name", name, "--expiry", "1h")
	require.Equal(t, 0, r.code, r.err)
	var issued []workshop.Issued
	require.NoError(t, json.Unmarshal([]byte(r.out), &issued))
	require.Len(t, issued, 2)
	kc1, kc2 := filepath.Join(dir, "learner-01.kubeconfig"), filepath.Join(dir, "learner-02.kubeconfig")
	st, err := os.Stat(kc1)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a kubeconfig holds a token: private")
	raw, err := clientcmd.LoadFromFile(kc1)
	require.NoError(t, err)
	l1 := newClient(t, kc1, raw.CurrentContext)
	ns1, ns2 := namespaceOf(t, "learner-01", id), namespaceOf(t, "learner-02", id)
	ws := workshop.Namespace(name)

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
			{"update", "configmaps", "", ws, "progress-learner-01", true, ""},
			{"update", "configmaps", "", ws, "progress-learner-02", false, ""},
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
		assert.Contains(t, screen, workshop.StateNotStarted, "learner-02 has not started")
		// Ctrl-C ends it within a second.
		require.NoError(t, exec.Command(tmuxPath, "send-keys", "-t", session, "C-c").Run())
		assert.Eventually(t, func() bool {
			return exec.Command(tmuxPath, "has-session", "-t", session).Run() != nil
		}, 2*time.Second, 100*time.Millisecond, "Ctrl-C ends the terminal board")
	})

	t.Run("trainer-reset", func(t *testing.T) {
		r := crashlab(t, kubeconfig, "workshop", "reset", "--name", name, "learner-02", id)
		require.Equal(t, 0, r.code, r.err)
		l2raw, err := clientcmd.LoadFromFile(kc2)
		require.NoError(t, err)
		l2 := newClient(t, kc2, l2raw.CurrentContext)
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
