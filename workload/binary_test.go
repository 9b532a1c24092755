package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildBinary compiles the workload for the host, because exit codes and
// signal handling are only observable from outside the process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "workload")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "not an exit error: %v", err)
	return ee.ExitCode()
}

// startBinary runs the binary and returns once it printed a line containing
// waitFor, so signals are sent only after the handlers are installed.
func startBinary(t *testing.T, bin, waitFor string, args ...string) (*exec.Cmd, *lineReader) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	// An io.Pipe rather than StdoutPipe: Wait then waits for the copy to
	// finish, so the last lines (the ones the tests check) are never lost.
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lr := &lineReader{lines: make(chan string, 100), w: pw}
	go lr.pump(pr)
	lr.waitFor(t, waitFor)
	return cmd, lr
}

type lineReader struct {
	lines chan string
	seen  []string
	w     *io.PipeWriter
}

// wait waits for the process and ends the output stream.
func (l *lineReader) wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	l.w.Close()
	return err
}

func (l *lineReader) pump(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.lines <- sc.Text()
	}
	close(l.lines)
}

func (l *lineReader) waitFor(t *testing.T, substr string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("output ended before %q; saw %q", substr, l.seen)
			}
			l.seen = append(l.seen, line)
			if strings.Contains(line, substr) {
				return line
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %q; saw %q", substr, l.seen)
		}
	}
}

// rest drains the remaining output; call it only after wait returned.
func (l *lineReader) rest() string {
	var b strings.Builder
	for _, s := range l.seen {
		b.WriteString(s + "\n")
	}
	for line := range l.lines {
		b.WriteString(line + "\n")
	}
	return b.String()
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the workload binary")
	}
	bin := buildBinary(t)

	t.Run("exit codes", func(t *testing.T) {
		tests := []struct {
			name       string
			args       []string
			env        []string
			wantCode   int
			wantStdout string
			wantStderr string
		}{
			{
				name:       "missing env",
				args:       []string{"--require-env", "DATABASE_URL"},
				wantCode:   1,
				wantStderr: "fatal: environment variable DATABASE_URL is not set; cannot start\n",
			},
			{
				name:       "present env",
				args:       []string{"--require-env", "DATABASE_URL", "--run-for", "10ms"},
				env:        []string{"DATABASE_URL=anything"},
				wantCode:   0,
				wantStdout: "DATABASE_URL is set (8 bytes)",
			},
			{name: "exit 3", args: []string{"--run-for", "10ms", "--exit-code", "3"}, wantCode: 3, wantStdout: "done, exiting with code 3"},
			{name: "exit 0", args: []string{"--exit-code", "0", "--run-for", "10ms"}, wantCode: 0, wantStdout: "done, exiting with code 0"},
			{name: "unknown flag", args: []string{"--frobnicate"}, wantCode: 2},
			{name: "version", args: []string{"--version"}, wantCode: 0, wantStdout: "workload " + version + " (linux/"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cmd := exec.Command(bin, tt.args...)
				cmd.Env = tt.env
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				assert.Equal(t, tt.wantCode, exitCode(t, cmd.Run()), "stdout: %s\nstderr: %s", &stdout, &stderr)
				assert.Contains(t, stdout.String(), tt.wantStdout)
				if tt.wantStderr != "" {
					assert.Equal(t, tt.wantStderr, stderr.String())
				}
			})
		}
	})

	t.Run("SIGTERM exits 143", func(t *testing.T) {
		cmd, out := startBinary(t, bin, "ready")
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 143, exitCode(t, out.wait(cmd)))
		assert.Contains(t, out.rest(), "got SIGTERM, shutting down")
	})

	t.Run("SIGTERM ignored", func(t *testing.T) {
		cmd, out := startBinary(t, bin, "ready", "--on-term", "ignore")
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		done := make(chan error, 1)
		go func() { done <- out.wait(cmd) }()
		select {
		case err := <-done:
			t.Fatalf("exited despite --on-term=ignore: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		require.NoError(t, cmd.Process.Kill())
		err := <-done
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		assert.Equal(t, syscall.SIGKILL, ws.Signal())
		assert.NotContains(t, out.rest(), "got SIGTERM")
	})

	t.Run("healthz follows start and hang", func(t *testing.T) {
		cmd, out := startBinary(t, bin, "listening on",
			"--listen", "127.0.0.1:0", "--start-delay", "300ms", "--hang-after", "300ms")
		addr := strings.TrimPrefix(out.seen[len(out.seen)-1], "listening on ")
		get := func() int {
			resp, err := http.Get("http://" + addr + "/healthz")
			require.NoError(t, err)
			defer resp.Body.Close()
			return resp.StatusCode
		}
		assert.Equal(t, http.StatusServiceUnavailable, get())
		out.waitFor(t, "ready")
		assert.Equal(t, http.StatusOK, get())
		out.waitFor(t, "simulating a hang")
		assert.Equal(t, http.StatusInternalServerError, get())
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 143, exitCode(t, out.wait(cmd)))
	})
}
