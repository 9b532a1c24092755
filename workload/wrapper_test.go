package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linkAs gives the binary another name, as the image's hard links do.
func linkAs(t *testing.T, bin, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.Link(bin, p))
	return p
}

func TestStartupFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the workload binary")
	}
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	readOnly := t.TempDir()
	require.NoError(t, os.Chmod(readOnly, 0o555))

	tests := []struct {
		name       string
		args       []string
		env        []string
		wantCode   int
		wantSignal syscall.Signal
		wantOut    string
	}{
		{name: "native crash", args: []string{"--fault-if-env", "CODEC=native", "--run-for", "10ms"}, env: []string{"CODEC=native"}, wantSignal: syscall.SIGSEGV, wantOut: "loading native module for CODEC=native"},
		{name: "other value runs", args: []string{"--fault-if-env", "CODEC=native", "--run-for", "10ms"}, env: []string{"CODEC=pure"}, wantOut: "done, exiting with code 0"},
		{name: "dependency answers", args: []string{"--dial", ln.Addr().String(), "--run-for", "10ms"}, wantOut: "connected to " + ln.Addr().String()},
		{name: "dependency down", args: []string{"--dial", closedAddr, "--run-for", "10ms"}, wantCode: 1, wantOut: "fatal: cannot reach " + closedAddr},
		{name: "dependency down, retried", args: []string{"--dial", closedAddr, "--dial-retries", "2", "--dial-interval", "10ms"}, wantCode: 1, wantOut: "try 3 of 3"},
		{name: "file written", args: []string{"--write-file", filepath.Join(t.TempDir(), "cache"), "--run-for", "10ms"}, wantOut: "wrote "},
		{name: "file not writable", args: []string{"--write-file", filepath.Join(readOnly, "cache")}, wantCode: 1, wantOut: "fatal: cannot write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "file not writable" && os.Geteuid() == 0 {
				t.Skip("root writes to a read-only directory; the cluster shows the read-only filesystem")
			}
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = tt.env
			out, err := cmd.CombinedOutput()
			assert.Contains(t, string(out), tt.wantOut)
			if tt.wantSignal != 0 {
				var ee *exec.ExitError
				require.True(t, errors.As(err, &ee), "want death by %v, got %v: %s", tt.wantSignal, err, out)
				ws := ee.Sys().(syscall.WaitStatus)
				require.True(t, ws.Signaled(), "want death by %v: %s", tt.wantSignal, out)
				assert.Equal(t, tt.wantSignal, ws.Signal())
				return
			}
			assert.Equal(t, tt.wantCode, exitCode(t, err), "%s", out)
		})
	}
}

func TestShellAndInit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the workload binary")
	}
	bin := buildBinary(t)
	sh := linkAs(t, bin, "sh")
	tini := linkAs(t, bin, "tini")

	t.Run("commands in order, && stops after a failure", func(t *testing.T) {
		out, err := exec.Command(sh, "-c", "echo one; false && echo skipped; echo 'two words' # done").CombinedOutput()
		require.NoError(t, err)
		assert.Equal(t, "one\ntwo words\n", string(out))
	})
	t.Run("status of the last command", func(t *testing.T) {
		err := exec.Command(sh, "-c", bin+" --exit-code 3").Run()
		assert.Equal(t, 3, exitCode(t, err))
		err = exec.Command(sh, "-c", "/no/such/program").Run()
		assert.Equal(t, 127, exitCode(t, err))
	})
	t.Run("a script file", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "start")
		require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n# comment\nexec "+bin+" --log=\"from the script\" --exit-code 4\n"), 0o644))
		out, err := exec.Command(sh, script).CombinedOutput()
		assert.Equal(t, 4, exitCode(t, err))
		assert.Contains(t, string(out), "from the script")
	})
	t.Run("exec replaces the shell", func(t *testing.T) {
		cmd, out := startBinary(t, sh, "ready", "-c", "exec "+bin)
		// The shell's pid now runs the program, which handles SIGTERM.
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 143, exitCode(t, out.wait(cmd)))
	})
	t.Run("tini passes SIGTERM on and exits with the program's status", func(t *testing.T) {
		cmd, out := startBinary(t, tini, "ready", "--", bin)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 143, exitCode(t, out.wait(cmd)))
		assert.Contains(t, out.rest(), "got SIGTERM")
	})
	t.Run("usage", func(t *testing.T) {
		out, err := exec.Command(sh).CombinedOutput()
		assert.Equal(t, 2, exitCode(t, err))
		assert.True(t, strings.HasPrefix(string(out), "sh: usage"), "%s", out)
		_, err = exec.Command(tini).CombinedOutput()
		assert.Equal(t, 2, exitCode(t, err))
	})
}
