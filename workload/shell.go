package main

import (
	"errors"
	"fmt"
	"github.com/crashlab/crashlab/internal/shellwords"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// shellMain is the image's /bin/sh: enough of a POSIX shell for a wrapper
// script (`sh -c "prepare; /workload ..."` or `sh script`): commands
// separated by newlines, ";" or "&&", words split on blanks with simple
// quotes, comments, and `exec`. Like dash as PID 1 it installs no SIGTERM
// handler of its own, so the kernel drops the kubelet's SIGTERM and the
// child never hears it; only `exec` hands PID 1 to the program.
func shellMain(args []string, stderr io.Writer) int {
	var script string
	switch {
	case len(args) >= 2 && args[0] == "-c":
		script = args[1]
	case len(args) >= 1 && !strings.HasPrefix(args[0], "-"):
		b, err := os.ReadFile(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "sh: cannot open %s: %v\n", args[0], err)
			return 2
		}
		script = string(b)
	default:
		fmt.Fprintln(stderr, "sh: usage: sh -c 'command; command' | sh FILE")
		return 2
	}
	if os.Getpid() == 1 {
		// A handler that does nothing stands for the kernel's rule for
		// PID 1 without a handler: the signal is dropped. (Ignoring it
		// instead would be inherited by the child across exec.)
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		go func() {
			for range sigs {
			}
		}()
	}
	status := 0
	for _, line := range shellwords.Split(script) {
		if line.AndThen && status != 0 {
			continue
		}
		status = runWords(line.Words, stderr)
	}
	return status
}

// runWords runs one simple command and returns its status the way a shell
// reports it: the exit code, or 128 + the signal that ended it.
func runWords(words []string, stderr io.Writer) int {
	switch words[0] {
	case "exec":
		if len(words) < 2 {
			return 0
		}
		path, err := exec.LookPath(words[1])
		if err != nil {
			fmt.Fprintf(stderr, "sh: exec: %s: not found\n", words[1])
			return 127
		}
		err = syscall.Exec(path, words[1:], os.Environ())
		fmt.Fprintf(stderr, "sh: exec: %s: %v\n", words[1], err)
		return 126
	case "echo":
		fmt.Println(strings.Join(words[1:], " "))
		return 0
	case "true", ":":
		return 0
	case "false":
		return 1
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	return statusOf(cmd.Run(), words[0], stderr)
}

func statusOf(err error, name string, stderr io.Writer) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "sh: %s: not found\n", name)
		return 127
	default:
		fmt.Fprintf(stderr, "sh: %s: %v\n", name, err)
		return 126
	}
}

// initMain is the image's /sbin/tini: a minimal init for PID 1 that starts
// one program, passes SIGTERM and SIGINT on to it, reaps whatever ends up
// parented to it, and exits with the program's status.
func initMain(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "tini: usage: tini -- program [args...]")
		return 2
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	if err := cmd.Start(); err != nil {
		return statusOf(err, args[0], stderr)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			reapOrphans()
			return statusOf(err, args[0], stderr)
		}
	}
}

// reapOrphans collects children that were re-parented to PID 1.
func reapOrphans() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
