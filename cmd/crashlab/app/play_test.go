package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/syncbuf"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
)

type noImages struct{}

func (noImages) EnsureImages(context.Context, []images.Image) error { return nil }

// playFixture is the lab service on a fake cluster of one amd64 node, as
// lab's own tests build it, and a progress directory.
type playFixture struct {
	cs  *fake.Clientset
	svc *lab.Service
	dir string
}

func newPlayFixture(t *testing.T) *playFixture {
	t.Helper()
	cs := fake.NewClientset(&corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-amd64"},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64"}},
	})
	var n atomic.Int64
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if o, ok := a.(k8stesting.CreateAction).GetObject().(metav1.Object); ok && o.GetUID() == "" {
			o.SetUID(types.UID(fmt.Sprintf("uid-%d", n.Add(1))))
		}
		return false, nil, nil
	})
	dir := t.TempDir()
	svc, err := lab.New(cs,
		lab.WithContextName("workshop"),
		lab.WithImageEnsurer(noImages{}),
		lab.WithProgressDir(dir),
		lab.WithLogReader(func(context.Context, string, string, string) (string, error) { return "", nil }),
	)
	require.NoError(t, err)
	return &playFixture{cs: cs, svc: svc, dir: dir}
}

func (f *playFixture) entry(t *testing.T, id string) progress.Entry {
	t.Helper()
	st, err := progress.Open(f.dir, "workshop", "")
	require.NoError(t, err)
	return st.Entries[id]
}

// play runs a play session that reads keys and returns its output.
func (f *playFixture) play(t *testing.T, first string, keys ...string) (string, string, error) {
	t.Helper()
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	g := &globals{output: "text", streams: Streams{In: strings.NewReader(strings.Join(keys, "")), Out: out, Err: errb}}
	pl := &player{g: g, svc: f.svc, p: newPrompter(g.streams), out: out}
	err := pl.run(context.Background(), first)
	return out.String(), errb.String(), err
}

func menuIndex(t *testing.T, do string) int {
	t.Helper()
	for i, m := range playMenu {
		if m.do == do {
			return i
		}
	}
	t.Fatalf("no menu item %q", do)
	return -1
}

// moveTo presses the down arrow from the top of the menu to item do.
func moveTo(t *testing.T, from int, do string) string {
	return strings.Repeat(keyDown, menuIndex(t, do)-from)
}

func TestPlayPicksAnIncidentGivesAHintAndQuits(t *testing.T) {
	f := newPlayFixture(t)
	rows := f.svc.List()
	require.GreaterOrEqual(t, len(rows), 2)
	want := rows[1] // the second incident of the list
	sc, err := f.svc.Scenario(want.ID)
	require.NoError(t, err)

	out, stderr, err := f.play(t, "",
		keyDown, keyEnter, // the second incident
		keyEnter, // Hint (the menu starts on it)
		moveTo(t, menuIndex(t, "hint"), "status"), keyEnter, // what the lab sees now
		moveTo(t, menuIndex(t, "status"), "quit"), keyUp, keyDown, keyEnter, // Quit, after an arrow up and down
	)
	require.NoError(t, err, "stderr: %s", stderr)
	assert.Empty(t, stderr)
	assert.NotContains(t, out, "\a", "no bell, whatever the arrow keys did")

	assert.Contains(t, out, sc.Title, "the page shows")
	ns, err := f.svc.Namespace(want.ID)
	require.NoError(t, err)
	assert.Contains(t, out, "Namespace: "+ns)
	_, err = f.cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	require.NoError(t, err, "the incident was started on the cluster")
	assert.Contains(t, out, fmt.Sprintf("Hint 1/%d", len(sc.Hints)))
	assert.Contains(t, out, "crashlab hint "+want.ID, "every menu item names its command")
	assert.Contains(t, out, "Left play. Your progress is kept")

	e := f.entry(t, want.ID)
	assert.False(t, e.Started.IsZero(), "the start is in the progress")
	assert.Equal(t, 1, e.Hints, "the hint is counted")
}

func TestPlayCtrlCAtTheMenuLeavesAndKeepsProgress(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	out, _, err := f.play(t, id, keyEnter, keyCtrlC)
	var ee ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.Code)
	assert.Contains(t, out, "Left play (Ctrl-C). Your progress is kept")
	e := f.entry(t, id)
	assert.False(t, e.Started.IsZero())
	assert.Equal(t, 1, e.Hints)
}

// SIGINT (the terminal not in raw mode, between two menus) leaves play as
// the Ctrl-C key does: the same line, exit 130, progress kept.
func TestPlaySIGINTAtTheMenuLeavesLikeCtrlC(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	out, errb := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	// The keys: a hint, then nothing more; the input stays open, as a
	// terminal does, until the signal comes.
	r, w := io.Pipe()
	defer w.Close()
	go func() { _, _ = w.Write([]byte(keyEnter)) }()
	g := &globals{output: "text", streams: Streams{In: r, Out: out, Err: errb}}
	pl := &player{g: g, svc: f.svc, p: newPrompter(g.streams), out: out}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pl.run(ctx, id) }()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "what next?") >= 2 }, 10*time.Second, 20*time.Millisecond, "the menu after the hint")
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Second):
		t.Fatal("play did not end within a second of SIGINT")
	}
	var ee ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.Code)
	assert.Contains(t, out.String(), "Left play (Ctrl-C). Your progress is kept")
	assert.Equal(t, 1, f.entry(t, id).Hints)
}

func TestPlayCarriesOnWithAnIncidentAlreadyRunning(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	_, err := f.svc.Start(context.Background(), id)
	require.NoError(t, err)
	out, _, err := f.play(t, id, moveTo(t, 0, "quit"), keyEnter)
	require.NoError(t, err)
	assert.Contains(t, out, "already running")
}

func TestPlayMarksSolvedIncidents(t *testing.T) {
	f := newPlayFixture(t)
	rows := f.svc.List()
	st, err := progress.Open(f.dir, "workshop", "")
	require.NoError(t, err)
	require.NoError(t, st.Update(rows[0].ID, func(e *progress.Entry) { e.Started, e.Fixed = time.Now(), time.Now() }))
	// The cursor starts on the first incident not solved: Enter picks it.
	out, _, err := f.play(t, "", keyEnter, moveTo(t, 0, "quit"), keyEnter)
	require.NoError(t, err)
	assert.Contains(t, out, "solved")
	e := f.entry(t, rows[1].ID)
	assert.False(t, e.Started.IsZero(), "the first unsolved incident was started")
}

func TestPlayWithoutATerminalNamesTheCommands(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	code, _, stderr := run(t, "play")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "play needs a terminal")
	assert.Contains(t, stderr, "crashlab diagnose <id> --answer")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line")
}

func TestPlaySaysHowToGetACluster(t *testing.T) {
	g := &globals{output: "text", kubeconfig: emptyKubeconfig(t), streams: Streams{Out: &syncbuf.Buffer{}, Err: &syncbuf.Buffer{}}}
	_, err := playService(context.Background(), g, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "crashlab up")
}

func TestPlayHelpNamesACommandForEveryMenuItem(t *testing.T) {
	code, out, _ := run(t, "play", "--help")
	require.Equal(t, 0, code)
	for _, m := range playMenu {
		assert.Contains(t, out, m.label)
		if m.command != "" {
			assert.Contains(t, out, strings.ReplaceAll(m.command, "%s", "<id>"))
		}
	}
}

func TestPlayGivesUpOnlyAfterAConfirmation(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	explain := moveTo(t, 0, "explain")
	out, _, err := f.play(t, id,
		explain, keyEnter, keyEnter, // give up? No (the default)
		keyEnter, // the menu stays on the item: give up? Yes
		keyDown, keyEnter,
		moveTo(t, menuIndex(t, "explain"), "quit"), keyEnter,
	)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(out, "\nCause: "), "explained once, after the yes")
	assert.Contains(t, out, "it scores 0")
	assert.Equal(t, lab.StatusGivenUp, f.svc.List()[0].Status)
}

func TestPlayAsksTheDiagnosisQuestions(t *testing.T) {
	f := newPlayFixture(t)
	id := f.svc.List()[0].ID
	qs, err := f.svc.Questions(id)
	require.NoError(t, err)
	keys := []string{moveTo(t, 0, "diagnose"), keyEnter}
	for _, q := range qs {
		if q.Fact != "" {
			keys = append(keys, "x", keyEnter)
		} else {
			keys = append(keys, keyEnter)
		}
	}
	keys = append(keys, moveTo(t, menuIndex(t, "diagnose"), "quit"), keyEnter)
	out, _, err := f.play(t, id, keys...)
	require.NoError(t, err)
	for _, q := range qs {
		assert.Contains(t, out, q.Prompt)
	}
	// No pods on the fake cluster: the diagnosis is judged, and fails.
	assert.Contains(t, out, "Not quite")
	assert.NotContains(t, out, "\a")
}

// The picker shows what list shows: an attempt after a give-up says so.
func TestPlayMarksAnAttemptAfterAGiveUp(t *testing.T) {
	f := newPlayFixture(t)
	rows := f.svc.List()
	st, err := progress.Open(f.dir, "workshop", "")
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, st.Update(rows[0].ID, func(e *progress.Entry) { e.Started, e.GivenUp = now.Add(-time.Hour), now.Add(-time.Hour) }))
	require.NoError(t, st.Update(rows[0].ID, func(e *progress.Entry) { e.Begin(now) }))
	require.NoError(t, st.Update(rows[1].ID, func(e *progress.Entry) {
		e.Started, e.GivenUp, e.Fixed, e.BestScore = now.Add(-time.Hour), now.Add(-2*time.Hour), now, lab.MaxScoreAfterGiveUp
	}))
	out, _, err := f.play(t, "", moveTo(t, 0, "quit"), keyEnter)
	require.NoError(t, err)
	assert.Contains(t, out, "started, after give-up")
	assert.Contains(t, out, fmt.Sprintf("solved %d, after give-up", lab.MaxScoreAfterGiveUp))
}
