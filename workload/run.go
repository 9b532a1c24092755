package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// run applies the configured behaviours in a fixed order and returns the exit
// code. Cancelling ctx with a stopSignal cause stands for a received signal.
func run(ctx context.Context, cfg config, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "workload starting (linux/%s)\n", runtime.GOARCH)
	if cfg.onTerm == onTermIgnore {
		fmt.Fprintln(stdout, "SIGTERM is ignored; the kubelet will have to SIGKILL this container after the grace period")
	}
	if cfg.log != "" {
		fmt.Fprintln(stdout, cfg.log)
	}

	if cfg.requireEnv != "" {
		msg, err := checkEnv(cfg.requireEnv, cfg.requirePrefix, lookupEnv)
		if err != nil {
			fmt.Fprintf(stderr, "fatal: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, msg)
	}

	if cfg.faultIfEnv != "" {
		name, want, _ := strings.Cut(cfg.faultIfEnv, "=")
		if v, _ := lookupEnv(name); v == want {
			fmt.Fprintf(stdout, "loading native module for %s=%s\n", name, v)
			segfault()
		}
	}

	if cfg.dial != "" {
		if err := dialDependency(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "fatal: %v\n", err)
			return 1
		}
	}

	if cfg.writeFile != "" {
		if err := os.WriteFile(cfg.writeFile, []byte(fmt.Sprintf("started %s\n", time.Now().UTC().Format(time.RFC3339))), 0o644); err != nil {
			fmt.Fprintf(stderr, "fatal: cannot write %s: %v\n", cfg.writeFile, err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", cfg.writeFile)
	}

	health := &healthState{}
	if cfg.listen != "" {
		// Listening before the warm-up makes early probes see 503 "starting"
		// rather than "connection refused", like a real slow-starting server.
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			fmt.Fprintf(stderr, "fatal: cannot listen on %s: %v\n", cfg.listen, err)
			return 1
		}
		srv := &http.Server{Handler: newHandler(health), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(stderr, "http server stopped: %v\n", err)
			}
		}()
		defer srv.Close()
		fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	}

	if cfg.startDelay > 0 {
		fmt.Fprintf(stdout, "starting, warming up for %s\n", cfg.startDelay)
		if !sleep(ctx, cfg.startDelay) {
			return stopped(ctx, cfg, stdout)
		}
	}
	health.set(stateReady)
	fmt.Fprintln(stdout, "ready")

	if cfg.hangAfter > 0 {
		hang := time.AfterFunc(cfg.hangAfter, func() {
			health.set(stateHung)
			fmt.Fprintln(stdout, "simulating a hang: /healthz now answers 500 and never recovers")
		})
		defer hang.Stop()
	}

	var held memoryHog
	// The allocation must stay reachable until the process ends, otherwise the
	// GC could hand it back and the container would never reach its limit.
	defer runtime.KeepAlive(&held)
	if cfg.allocMB > 0 {
		for i, total := range allocPlan(cfg.allocMB, cfg.allocStepMB) {
			if i > 0 && !sleep(ctx, cfg.allocInterval) {
				return stopped(ctx, cfg, stdout)
			}
			held.growTo(total)
			fmt.Fprintf(stdout, "allocated %d MiB\n", total)
		}
		fmt.Fprintf(stdout, "holding %d MiB\n", held.mib())
	}

	if cfg.runFor > 0 || cfg.exitCodeSet {
		if !sleep(ctx, cfg.runFor) {
			return stopped(ctx, cfg, stdout)
		}
		fmt.Fprintf(stdout, "done, exiting with code %d\n", cfg.exitCode)
		return cfg.exitCode
	}

	<-ctx.Done()
	return stopped(ctx, cfg, stdout)
}

// sleep reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// stopped turns the signal that ended ctx into the exit code a shell (and the
// kubelet's "Exit Code" column) would show for it.
func stopped(ctx context.Context, cfg config, stdout io.Writer) int {
	var s stopSignal
	if !errors.As(context.Cause(ctx), &s) {
		fmt.Fprintf(stdout, "stopping: %v\n", context.Cause(ctx))
		return 1
	}
	fmt.Fprintf(stdout, "got %s, shutting down\n", signalName(s.sig))
	if s.sig == syscall.SIGTERM {
		return cfg.termExitCode
	}
	if n, ok := s.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// dialDependency connects to cfg.dial, trying dialRetries more times.
func dialDependency(ctx context.Context, cfg config, stdout io.Writer) error {
	var err error
	for try := 0; try <= cfg.dialRetries; try++ {
		if try > 0 && !sleep(ctx, cfg.dialInterval) {
			return fmt.Errorf("stopped while waiting for %s", cfg.dial)
		}
		var conn net.Conn
		d := net.Dialer{Timeout: 2 * time.Second}
		if conn, err = d.DialContext(ctx, "tcp", cfg.dial); err == nil {
			conn.Close()
			fmt.Fprintf(stdout, "connected to %s\n", cfg.dial)
			return nil
		}
		if cfg.dialRetries > 0 {
			fmt.Fprintf(stdout, "waiting for %s (try %d of %d): %v\n", cfg.dial, try+1, cfg.dialRetries+1, err)
		}
	}
	return fmt.Errorf("cannot reach %s: %v", cfg.dial, err)
}
