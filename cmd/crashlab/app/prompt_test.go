package app

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/manifoldco/promptui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/internal/syncbuf"
)

// Keys as a terminal in raw mode sends them.
const (
	keyDown  = "\x1b[B"
	keyUp    = "\x1b[A"
	keyEnter = "\r"
	keyCtrlC = "\x03"
)

func testPrompter(keys ...string) (*prompter, *syncbuf.Buffer) {
	out := &syncbuf.Buffer{}
	return newPrompter(Streams{In: strings.NewReader(strings.Join(keys, "")), Out: out, Err: io.Discard}), out
}

func TestPromptsTakeTheirOwnKeysAndNeverRingTheBell(t *testing.T) {
	p, out := testPrompter(keyDown, keyDown, keyUp, keyDown, keyEnter, "1", "3", "7", keyEnter, keyEnter)
	ctx := context.Background()
	i, err := p.choose(ctx, "Pick", []string{"a", "b", "c"}, 0)
	require.NoError(t, err)
	assert.Equal(t, 2, i, "down, down, up, down")
	s, err := p.text(ctx, "Exit code")
	require.NoError(t, err)
	assert.Equal(t, "137", s)
	i, err = p.choose(ctx, "Again", []string{"x", "y"}, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, i, "the cursor starts where it was asked to")
	assert.NotContains(t, out.String(), "\a")

	_, err = p.choose(ctx, "No more keys", []string{"x", "y"}, 0)
	assert.ErrorIs(t, err, errPromptClosed)
}

func TestCtrlCAtAPromptIsAnInterrupt(t *testing.T) {
	p, _ := testPrompter(keyDown, keyCtrlC)
	_, err := p.choose(context.Background(), "Pick", []string{"a", "b"}, 0)
	require.ErrorIs(t, err, errPromptInterrupted)
	assert.ErrorIs(t, err, context.Canceled, "reported like any interrupt: exit 130")
}

func TestAQuestionsDeadlineEndsItsPrompt(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	p := newPrompter(Streams{In: pr, Out: io.Discard})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.choose(ctx, "Quick", []string{"a", "b"}, 0)
	require.ErrorIs(t, err, errTimeUp)
	assert.Less(t, time.Since(start), 2*time.Second)
	// A key typed after the time was up goes to the next prompt.
	go func() { _, _ = pw.Write([]byte(keyDown + keyEnter)) }()
	i, err := p.choose(context.Background(), "Next", []string{"a", "b"}, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, i)
}

// The reason for tui.NoBell: unfiltered, promptui's Select rings the bell
// on the arrow keys (manifoldco/promptui#49). If this ever stops failing
// the filter can go.
func TestPromptuiRingsTheBellWithoutTheFilter(t *testing.T) {
	out := &syncbuf.Buffer{}
	in := newPrompter(Streams{In: strings.NewReader(keyDown + keyUp + keyEnter)}).in
	r := in.Reader(context.Background())
	defer r.Close()
	sel := promptui.Select{Label: "Pick", Items: []string{"a", "b"}, Stdin: r, Stdout: nopWriteCloser{out}}
	_, _, err := sel.Run()
	require.NoError(t, err)
	assert.Contains(t, out.String(), "\a")
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
