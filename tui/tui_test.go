package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/internal/syncbuf"
)

func TestNoBellDropsEveryBEL(t *testing.T) {
	var b bytes.Buffer
	w := NoBell(&b)
	in := []byte("\a? pick\a one\x1b[B\a")
	n, err := w.Write(in)
	require.NoError(t, err)
	assert.Equal(t, len(in), n, "the caller's whole write counts as written")
	_, _ = w.Write([]byte("ünïcode"))
	require.NoError(t, w.Close())
	assert.Equal(t, "? pick one\x1b[Bünïcode", b.String())
}

func TestSplitKeys(t *testing.T) {
	got := splitKeys([]byte("a\x1b[B\x1b[1;5Aé\r\x1bx\x1bOP"))
	want := []string{"a", "\x1b[B", "\x1b[1;5A", "é", "\r", "\x1bx", "\x1bOP"}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], string(got[i]))
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 64)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestInputHandsOutOneKeyPerRead(t *testing.T) {
	in := NewInput(strings.NewReader("ab\x1b[A\r"))
	r := in.Reader(context.Background())
	buf := make([]byte, 64)
	var keys []string
	for {
		n, err := r.Read(buf)
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		keys = append(keys, string(buf[:n]))
	}
	assert.Equal(t, []string{"a", "b", "\x1b[A", "\r"}, keys)
}

// A key that arrives after a prompt's time is up belongs to the next prompt.
func TestInputKeepsTheKeyOfAPromptThatEnded(t *testing.T) {
	pr, pw := io.Pipe()
	in := NewInput(pr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	first := in.Reader(ctx)
	start := time.Now()
	n, err := first.Read(make([]byte, 8))
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, io.EOF, "the deadline ends the read")
	assert.Less(t, time.Since(start), time.Second)

	go func() { _, _ = pw.Write([]byte("x")); _ = pw.Close() }()
	second := in.Reader(context.Background())
	assert.Equal(t, "x", readAll(t, second))
	// A closed reader reads nothing, and never blocks.
	require.NoError(t, first.Close())
	n, err = first.Read(make([]byte, 8))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
}

func TestStatusPlainLinesAreDedupedAndHaveNoEscapes(t *testing.T) {
	var b bytes.Buffer
	s := NewStatus(&b, false)
	s.Start(context.Background(), "waiting for 2 Ready pods")
	s.Set("waiting for 2 Ready pods")
	s.Set("waiting for 2 Ready pods")
	s.Set("watching orders-api for 12s")
	s.Set("waiting for 2 Ready pods")
	s.Stop()
	assert.Equal(t, "... waiting for 2 Ready pods\n... watching orders-api for 12s\n... waiting for 2 Ready pods\n", b.String())
	assert.NotContains(t, b.String(), "\x1b")
	assert.NotContains(t, b.String(), "\r")
}

func TestStatusOnATerminalIsOneLineRedrawnInPlace(t *testing.T) {
	var b syncbuf.Buffer
	s := NewStatus(&b, true, WithInterval(5*time.Millisecond), WithWidth(func() int { return 30 }))
	s.Start(context.Background(), "waiting for the failure to show on orders-api")
	time.Sleep(40 * time.Millisecond)
	s.Set("deleting pod x")
	s.Stop()
	out := b.String()
	assert.NotContains(t, out, "\n", "never a new line")
	assert.Contains(t, out, "\r\x1b[K")
	assert.True(t, strings.HasSuffix(out, "\r\x1b[K"), "the line is cleared at the end: %q", out)
	for _, line := range strings.Split(out, "\r\x1b[K") {
		assert.LessOrEqual(t, len([]rune(line)), 29, "cut to the width: %q", line)
	}
	assert.Greater(t, strings.Count(out, "\r\x1b[K"), 3, "the spinner turned")
	after := len(b.String())
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, after, len(b.String()), "nothing is drawn after Stop")
}

func TestStatusSpinnerStopsWithTheContext(t *testing.T) {
	var b syncbuf.Buffer
	s := NewStatus(&b, true, WithInterval(time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx, "waiting")
	cancel()
	done := make(chan struct{})
	go func() { s.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the spinner did not stop with its context")
	}
	after := len(b.String())
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, after, len(b.String()))
}

func TestStatusAbovePrintsAWarningOnItsOwnLine(t *testing.T) {
	var b syncbuf.Buffer
	s := NewStatus(&b, true, WithInterval(time.Hour))
	s.Start(context.Background(), "waiting")
	s.Above(func() { _, _ = b.Write([]byte("WARNING: x\n")) })
	s.Stop()
	assert.Contains(t, b.String(), "\r\x1b[KWARNING: x\n\r\x1b[K")
}

func TestScreenPlainAppendsOnlyChanges(t *testing.T) {
	var b bytes.Buffer
	s := NewScreen(&b, false, nil)
	assert.True(t, s.Draw("-- 10:00:00", []string{"a 1", "b 2"}))
	assert.False(t, s.Draw("-- 10:00:05", []string{"a 1", "b 2"}))
	assert.True(t, s.Draw("-- 10:00:09", []string{"a 1", "b 3"}))
	assert.Equal(t, "-- 10:00:00\na 1\nb 2\n-- 10:00:09\na 1\nb 3\n", b.String())
}

func TestScreenOnATerminalRedrawsInPlace(t *testing.T) {
	var b bytes.Buffer
	s := NewScreen(&b, true, func() (int, int) { return 10, 24 })
	s.Draw("head", []string{"0123456789abc", "x"})
	first := b.String()
	assert.Equal(t, "head\n01234567\nx\n", strings.ReplaceAll(first, "…", ""), "cut to the width")
	b.Reset()
	s.Draw("head", []string{"y"})
	assert.True(t, strings.HasPrefix(b.String(), "\x1b[3A\r\x1b[J"), "%q", b.String())
}

func TestFit(t *testing.T) {
	assert.Equal(t, "abc", Fit("abc", 3))
	assert.Equal(t, "ab…", Fit("abcd", 3))
	assert.Equal(t, "abcd", Fit("abcd", 0))
}
