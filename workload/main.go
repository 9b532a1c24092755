// Command workload is the one program every crashlab container runs. Each lab
// scenario reproduces a different CrashLoopBackOff cause by passing flags, so
// a single small static binary (and image) covers them all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// version is part of the binary, so bumping it changes the image tag too.
const version = "1"

const (
	onTermExit   = "exit"
	onTermIgnore = "ignore"
)

type config struct {
	log           string
	requireEnv    string
	requirePrefix string
	startDelay    time.Duration
	listen        string
	allocMB       int
	allocStepMB   int
	allocInterval time.Duration
	runFor        time.Duration
	exitCode      int
	// exitCodeSet lets `--exit-code 1` alone mean "crash right after start",
	// the most common CrashLoopBackOff shape, without also needing --run-for.
	exitCodeSet  bool
	onTerm       string
	termExitCode int
	hangAfter    time.Duration
	version      bool
	// faultIfEnv ("NAME=VALUE") takes the native code path that segfaults
	// when the variable has that value, like a release whose C library
	// crashes on one setting.
	faultIfEnv string
	// dial is a dependency (host:port) the app connects to at start;
	// dialRetries more tries follow a failure, dialInterval apart.
	dial         string
	dialRetries  int
	dialInterval time.Duration
	// writeFile is written at start, like an app that keeps a cache or pid
	// file next to its binary.
	writeFile string
}

// parseFlags never exits, so tests can check the rejection of bad combinations.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("workload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.log, "log", "", "print this line at start")
	fs.StringVar(&c.requireEnv, "require-env", "", "exit 1 unless this environment variable is set and non-empty")
	fs.StringVar(&c.requirePrefix, "require-prefix", "", "with --require-env: exit 1 unless the value starts with this prefix")
	fs.DurationVar(&c.startDelay, "start-delay", 0, "warm-up time before the workload reports ready")
	fs.StringVar(&c.listen, "listen", "", "serve HTTP on this address (/healthz and /)")
	fs.IntVar(&c.allocMB, "alloc-mb", 0, "allocate and hold this many MiB after start")
	fs.IntVar(&c.allocStepMB, "alloc-step-mb", 8, "MiB allocated per step")
	fs.DurationVar(&c.allocInterval, "alloc-interval", 100*time.Millisecond, "pause between allocation steps")
	fs.DurationVar(&c.runFor, "run-for", 0, "run this long, then exit with --exit-code (default: run until signalled)")
	fs.IntVar(&c.exitCode, "exit-code", 0, "exit code after --run-for; given alone, exit right after start")
	fs.StringVar(&c.onTerm, "on-term", onTermExit, "SIGTERM handling: exit or ignore")
	fs.IntVar(&c.termExitCode, "term-exit-code", 143, "exit code on SIGTERM with --on-term=exit")
	fs.DurationVar(&c.hangAfter, "hang-after", 0, "with --listen: this long after ready, /healthz answers 500 forever")
	fs.BoolVar(&c.version, "version", false, "print version and architecture, then exit")
	fs.StringVar(&c.faultIfEnv, "fault-if-env", "", "NAME=VALUE: crash with a real SIGSEGV at start when the variable has that value")
	fs.StringVar(&c.dial, "dial", "", "connect to this host:port at start; exit 1 when it does not answer")
	fs.IntVar(&c.dialRetries, "dial-retries", 0, "with --dial: how many more times to try before giving up")
	fs.DurationVar(&c.dialInterval, "dial-interval", time.Second, "with --dial: pause between tries")
	fs.StringVar(&c.writeFile, "write-file", "", "write this file at start; exit 1 when it cannot be written")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "exit-code" {
			c.exitCodeSet = true
		}
	})
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	if err := c.validate(); err != nil {
		return config{}, err
	}
	return c, nil
}

func (c config) validate() error {
	switch {
	case c.onTerm != onTermExit && c.onTerm != onTermIgnore:
		return fmt.Errorf("--on-term must be %q or %q, got %q", onTermExit, onTermIgnore, c.onTerm)
	case c.requirePrefix != "" && c.requireEnv == "":
		return errors.New("--require-prefix needs --require-env")
	case c.hangAfter > 0 && c.listen == "":
		return errors.New("--hang-after needs --listen")
	case c.exitCode < 0 || c.exitCode > 255:
		return fmt.Errorf("--exit-code must be 0..255, got %d", c.exitCode)
	case c.termExitCode < 0 || c.termExitCode > 255:
		return fmt.Errorf("--term-exit-code must be 0..255, got %d", c.termExitCode)
	case c.allocMB < 0:
		return fmt.Errorf("--alloc-mb must not be negative, got %d", c.allocMB)
	case c.allocStepMB < 1:
		return fmt.Errorf("--alloc-step-mb must be at least 1, got %d", c.allocStepMB)
	case c.faultIfEnv != "" && !strings.Contains(c.faultIfEnv, "="):
		return fmt.Errorf("--fault-if-env wants NAME=VALUE, got %q", c.faultIfEnv)
	case c.dialRetries < 0:
		return fmt.Errorf("--dial-retries must not be negative, got %d", c.dialRetries)
	case c.dialRetries > 0 && c.dial == "":
		return errors.New("--dial-retries needs --dial")
	case c.startDelay < 0 || c.runFor < 0 || c.hangAfter < 0 || c.allocInterval < 0 || c.dialInterval < 0:
		return errors.New("durations must not be negative")
	}
	return nil
}

// stopSignal is the cancellation cause run sees when the process is told to stop.
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return "got " + signalName(s.sig) }

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}

func main() {
	// The image links /bin/sh and /sbin/tini to this binary: the program
	// plays the small shell and init a wrapper script would use, so the
	// PID 1 signal problem is the real one, not a flag.
	switch filepath.Base(os.Args[0]) {
	case "sh":
		os.Exit(shellMain(os.Args[1:], os.Stderr))
	case "tini":
		os.Exit(initMain(os.Args[1:], os.Stderr))
	}
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "workload: %v\n", err)
		return 2
	}
	if cfg.version {
		fmt.Fprintf(stdout, "workload %s (linux/%s)\n", version, runtime.GOARCH)
		return 0
	}

	// The handlers go in before the first line is printed: as PID 1 the kernel
	// gives a signal without a handler no default action, and the Go runtime's
	// own fallback is not something a lab should depend on. Anyone who has
	// seen the start line can rely on the configured SIGTERM behaviour.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	if cfg.onTerm == onTermIgnore {
		signal.Ignore(syscall.SIGTERM)
		signal.Notify(sigs, syscall.SIGINT)
	} else {
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	}
	go func() {
		sig := <-sigs
		cancel(stopSignal{sig})
	}()

	return run(ctx, cfg, os.LookupEnv, stdout, stderr)
}
