//go:build e2e

package e2e

import (
	"bytes"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
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
	up := upArgs()
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

	// A whole incident from the menu: the diagnosis answered in the pane (fact
	// answers read from the pods by the test, the intended choice found on
	// the screen wherever the shuffle put it), the fix applied as a learner
	// would from another terminal, the check passed from the menu, and the
	// score recorded.
	t.Run("complete-an-incident", func(t *testing.T) {
		sc, err := catalog.Get("orders-api-down-after-config")
		require.NoError(t, err)
		root, err := fixes.RepoRoot()
		require.NoError(t, err)
		folder, err := fixes.LoadScenario(root, sc)
		require.NoError(t, err)
		fix := folder.Passing()[0]
		c := newClient(t, kubeconfig, cluster.ContextName)
		cns := namespaceOf(t, learner, sc.ID)
		s := tm.start(t, cmd+" "+sc.ID)
		s.waitFor(t, "what next?", 3*time.Minute)
		// Let the failure show before answering, as a learner would.
		_, err = podstate.NewObserver(c).WaitForSignature(context.Background(), sc.Target(cns), sc.Signature, 3*time.Minute, nil)
		require.NoError(t, err)
		s.keys(t, "Down", "Enter") // Answer the diagnosis
		for _, q := range sc.Questions {
			s.waitFor(t, q.Prompt, time.Minute)
			if q.Fact != "" {
				terms := lastTerminated(podsOf(t, c, cns), sc.Workload.Container)
				require.NotEmpty(t, terms)
				answer := terms[0].Reason
				if q.Fact == grader.FactLastExitCode {
					answer = fmt.Sprint(terms[0].ExitCode)
				}
				s.typeText(t, answer)
				s.submit(t, q.Prompt)
				continue
			}
			s.keys(t, downTo(s.screen(t), q, folder.Diagnosis.Correct[q.ID])...)
			s.keys(t, "Enter")
		}
		s.waitFor(t, "Diagnosis correct", time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		vals, err := fixes.LiveValues(context.Background(), c)
		require.NoError(t, err)
		require.NoError(t, fixes.Apply(context.Background(), c, cns, vals, fix))
		s.keys(t, "Down", "Enter") // Check my fix
		s.waitFor(t, "Fixed (approach: "+fix.Approach+")", 4*time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Down", "Down", "Down", "Down", "Down", "Down", "Enter") // Quit
		assert.Equal(t, 0, s.exitStatus(t, 30*time.Second))
		assert.NotContains(t, s.raw(t), "\a", "the terminal never rang")
		e := progressOf(t, state, learner, sc.ID)
		assert.False(t, e.Fixed.IsZero(), "the passing check is recorded")
		assert.Positive(t, e.BestScore, "a score is recorded")
		assert.Equal(t, fix.Approach, e.Approach)
		if out := os.Getenv("CRASHLAB_E2E_TRANSCRIPT"); out != "" {
			require.NoError(t, os.WriteFile(out, []byte(s.screen(t)), 0o644))
		}
	})

	t.Run("ctrl-c-keeps-progress", func(t *testing.T) {
		s := tm.start(t, cmd+" "+id)
		s.waitFor(t, "already running in "+ns, time.Minute)
		s.waitFor(t, "what next?", 30*time.Second)
		s.keys(t, "Enter") // a second hint
		s.waitFor(t, "Hint 2/", 30*time.Second)
		s.waitFor(t, "what next?", 30*time.Second)
		time.Sleep(500 * time.Millisecond) // a person reads the menu before pressing a key
		s.keys(t, "C-c")
		assert.Equal(t, 130, s.exitStatus(t, 30*time.Second))
		// The bytes, not the screen: a menu redraw can hide the last line.
		assert.Contains(t, s.raw(t), "Left play (Ctrl-C)")
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
	tm                  *tmux
	target, log, status string
}

// start runs shellCmd in a new session; the pane stays after the command
// ends, so that its exit status can be read, and every byte the command
// writes is copied to a log (capture-pane shows the screen, not the bytes:
// a bell never appears there).
func (tm *tmux) start(t *testing.T, shellCmd string) *pane {
	t.Helper()
	tm.n++
	dir := t.TempDir()
	p := &pane{tm: tm, target: fmt.Sprintf("play%d", tm.n), log: filepath.Join(dir, "pane.raw"), status: filepath.Join(dir, "exit")}
	// The shell records the command's exit code itself: tmux 3.3 does not
	// always report a dead pane's status. Its INT trap keeps it alive through
	// a Ctrl-C meant for the command (a trap, unlike an ignore, is not
	// inherited by the command).
	wrapped := fmt.Sprintf("trap true INT; sleep 1; %s; echo $? > %s", shellCmd, p.status)
	tm.run(t, "new-session", "-d", "-s", p.target, "-x", "200", "-y", "50", wrapped)
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
		if b, err := os.ReadFile(p.status); err == nil && strings.TrimSpace(string(b)) != "" {
			code, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err, "exit status %q", b)
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("crashlab play still running after %s", within)
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

// typeText types literal text into the pane.
func (p *pane) typeText(t *testing.T, text string) {
	t.Helper()
	p.tm.run(t, "send-keys", "-t", p.target, "-l", text)
	time.Sleep(150 * time.Millisecond)
}

// downTo returns the arrow presses that move a fresh Select from its first
// item to the choice with id want, reading the order off the screen (the
// choices are shuffled per attempt).
func downTo(screen string, q grader.Question, want string) []string {
	last := strings.LastIndex(screen, q.Prompt)
	if last >= 0 {
		screen = screen[last:]
	}
	type seen struct{ at, id int }
	var order []seen
	for i, c := range q.Choices {
		key := c.Text
		if len(key) > 40 {
			key = key[:40]
		}
		if at := strings.Index(screen, key); at >= 0 {
			order = append(order, seen{at, i})
		}
	}
	sort.Slice(order, func(a, b int) bool { return order[a].at < order[b].at })
	var keys []string
	for _, o := range order {
		if q.Choices[o.id].ID == want {
			return keys
		}
		keys = append(keys, "Down")
	}
	return keys
}

// submit presses Enter on a text prompt and, should the prompt still be
// waiting with the cursor after the answer a few seconds later, once more, as
// a person would. Under the full suite's load on two cores, an Enter typed
// right after the text was once not taken (promptui's readline over the
// shared key reader); a text prompt ignores nothing else, so a second Enter
// cannot answer anything twice.
func (p *pane) submit(t *testing.T, prompt string) {
	t.Helper()
	p.keys(t, "Enter")
	// A key can be lost under load, so a prompt still waiting gets Enter
	// again; but a key can also arrive late, and a second Enter then lands
	// on the next prompt (a select takes it as a choice). So wait long
	// before pressing again: a late key has come by then (seen in CI: a
	// 3 s wait, and once a 12 s wait, pressed twice and answered the next
	// question).
	//
	// Seen twice in CI since: the Enter was held until the next key came,
	// and that key answered the next question with its first choice. So the
	// first nudge is a key a text prompt ignores at the end of its answer
	// (Right): a held Enter goes through with it, and a select only moves
	// its cursor, which the caller reads from the screen before choosing.
	moved := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			if !p.waitingAt(t, prompt) {
				return true
			}
			time.Sleep(200 * time.Millisecond)
		}
		return false
	}
	if moved(25 * time.Second) {
		return
	}
	t.Logf("the prompt %q still waits after Enter; pressing Right", prompt)
	p.keys(t, "Right")
	for i := 0; i < 2; i++ {
		if moved(15 * time.Second) {
			return
		}
		t.Logf("the prompt %q still waits after Enter; pressing it again", prompt)
		p.keys(t, "Enter")
	}
}

// waitingAt tells whether the last line on screen is the prompt, still being
// edited (promptui draws its cursor as a block at the end).
func (p *pane) waitingAt(t *testing.T, prompt string) bool {
	lines := strings.Split(strings.TrimRight(p.screen(t), "\n "), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	return strings.Contains(last, prompt) && strings.HasSuffix(last, "█")
}
