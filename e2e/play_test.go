//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios/catalog"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

// TestPlay drives `crashlab play` in a real terminal (a tmux pane) on the
// lab cluster, as a learner would: pick the second incident with the arrow
// keys, ask for a hint, look at what the lab sees, quit; then again, leaving
// with Ctrl-C at the menu. It checks that the terminal never got a bell
// (BEL, \a: promptui rings it on arrow keys unless filtered), that the
// process ended with the right code, and that the start and the hint are in
// the learner's progress.
//
// It needs tmux and bin/crashlab (`make build`); it creates the lab cluster
// with `crashlab up` unless it is up already, and deletes only its own
// learner's namespaces. Run: go test -tags e2e -count=1 -v -run TestPlay ./e2e/
func TestPlay(t *testing.T) {
	tmuxPath, bin := playTools(t)

	// The cluster: `up` reuses a running lab cluster and writes its kubeconfig.
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	up := []string{"up"}
	if img := os.Getenv("CRASHLAB_NODE_IMAGE"); img != "" {
		up = append(up, "--image", img)
	}
	require.Equal(t, 0, crashlab(t, kubeconfig, up...).code, "crashlab up")
	playInTerminal(t, tmuxPath, bin, kubeconfig)
}

// playInTerminal is TestPlay on a cluster that is up; TestLab runs it next to
// the scenarios. The played process gets its own state directory.
func playInTerminal(t *testing.T, tmuxPath, bin, kubeconfig string) {
	state := t.TempDir()
	const learner = "play-e2e"
	t.Cleanup(func() { crashlab(t, kubeconfig, "--learner", learner, "down") })

	all := catalog.All()
	require.GreaterOrEqual(t, len(all), 2)
	id := all[1].ID // catalog order is the picker's order
	ns := namespaceOf(t, learner, id)

	tm := newTmux(t, tmuxPath)
	cmd := fmt.Sprintf("env CRASHLAB_STATE_DIR=%s %s --kubeconfig %s --learner %s play", state, bin, kubeconfig, learner)

	t.Run("hint-status-quit", func(t *testing.T) {
		s := tm.start(t, cmd)
		s.waitFor(t, "Which incident?", time.Minute)
		s.keys(t, "Down", "Enter")
		s.waitFor(t, "Namespace: "+ns, 3*time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Enter") // Hint, where the menu starts
		s.waitFor(t, "Hint 1/", 30*time.Second)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Down", "Down", "Down", "Enter") // what the lab sees now
		s.waitFor(t, "LAST EXIT", time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Down", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "Up", "Down", "Enter") // Quit
		s.waitFor(t, "Left play. Your progress is kept", 30*time.Second)
		assert.Equal(t, 0, s.exitStatus(t, 30*time.Second))
		raw := s.raw(t)
		assert.NotContains(t, raw, "\a", "the terminal never rang")
		assert.Contains(t, raw, "\x1b[", "a real terminal: promptui drew its menus")

		e := progressOf(t, state, learner, id)
		assert.False(t, e.Started.IsZero(), "the start is recorded")
		assert.Equal(t, 1, e.Hints, "the hint is recorded")
		_, err := newClient(t, kubeconfig, cluster.ContextName).CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		require.NoError(t, err, "the incident runs on the cluster")
	})

	t.Run("ctrl-c-keeps-progress", func(t *testing.T) {
		s := tm.start(t, cmd+" "+id)
		s.waitFor(t, "already running in "+ns, time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Enter") // a second hint
		s.waitFor(t, "Hint 2/", 30*time.Second)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "C-c")
		s.waitFor(t, "Left play (Ctrl-C)", 30*time.Second)
		assert.Equal(t, 130, s.exitStatus(t, 30*time.Second))
		assert.NotContains(t, s.raw(t), "\a")
		assert.Equal(t, 2, progressOf(t, state, learner, id).Hints, "progress kept across Ctrl-C")
	})
}

// playTools finds tmux and the built crashlab for the terminal test; under
// CI a missing one is a failure, elsewhere a skip.
func playTools(t *testing.T) (tmuxPath, bin string) {
	t.Helper()
	tmuxPath, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is needed for the terminal test of play")
		}
		t.Skip("tmux is not installed")
	}
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	bin = filepath.Join(root, "bin", "crashlab")
	_, err = os.Stat(bin)
	require.NoError(t, err, "build crashlab first: make build")
	return tmuxPath, bin
}

func progressOf(t *testing.T, dir, learner, id string) progress.Entry {
	t.Helper()
	st, err := progress.Open(dir, cluster.ContextName, learner)
	require.NoError(t, err)
	return st.Entries[id]
}

// tmux runs commands in panes of a private tmux server (its own socket), so
// that the test never touches the user's sessions.
type tmux struct {
	path, socket string
	n            int
}

func newTmux(t *testing.T, path string) *tmux {
	tm := &tmux{path: path, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	t.Cleanup(func() { _ = exec.Command(path, "-S", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	c := exec.Command(tm.path, append([]string{"-S", tm.socket}, args...)...)
	c.Stdout, c.Stderr = &out, &errb
	require.NoError(t, c.Run(), "tmux %s: %s", strings.Join(args, " "), errb.String())
	return out.String()
}

// pane is one command running in a 200x50 terminal.
type pane struct {
	tm          *tmux
	target, log string
}

// start runs shellCmd in a new session; the pane stays after the command
// ends, so that its exit status can be read, and every byte the command
// writes is copied to a log (capture-pane shows the screen, not the bytes:
// a bell never appears there).
func (tm *tmux) start(t *testing.T, shellCmd string) *pane {
	t.Helper()
	tm.n++
	p := &pane{tm: tm, target: fmt.Sprintf("play%d", tm.n), log: filepath.Join(t.TempDir(), "pane.raw")}
	tm.run(t, "new-session", "-d", "-s", p.target, "-x", "200", "-y", "50", "sleep 1; exec "+shellCmd)
	tm.run(t, "set-option", "-t", p.target, "remain-on-exit", "on")
	tm.run(t, "pipe-pane", "-t", p.target, "-o", "cat >> "+p.log)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screen of %s:\n%s", p.target, p.screen(t))
		}
		_ = exec.Command(tm.path, "-S", tm.socket, "kill-session", "-t", p.target).Run()
	})
	return p
}

func (p *pane) keys(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		p.tm.run(t, "send-keys", "-t", p.target, k)
		time.Sleep(150 * time.Millisecond) // one key per read, as a person types
	}
}

func (p *pane) screen(t *testing.T) string {
	return p.tm.run(t, "capture-pane", "-p", "-J", "-S", "-2000", "-t", p.target)
}

func (p *pane) waitFor(t *testing.T, text string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if strings.Contains(p.screen(t), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not show within %s; screen:\n%s", text, within, p.screen(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *pane) exitStatus(t *testing.T, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out := strings.TrimSpace(p.tm.run(t, "display-message", "-p", "-t", p.target, "#{pane_dead} #{pane_dead_status}"))
		var dead, status int
		if _, err := fmt.Sscanf(out, "%d %d", &dead, &status); err == nil && dead == 1 {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("crashlab play still running after %s (%q)", within, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *pane) raw(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	require.NoError(t, err)
	return string(b)
}
