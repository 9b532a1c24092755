package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{
			name: "defaults stay up and exit 143 on SIGTERM",
			args: nil,
			check: func(t *testing.T, c config) {
				assert.Equal(t, onTermExit, c.onTerm)
				assert.Equal(t, 143, c.termExitCode)
				assert.Equal(t, 8, c.allocStepMB)
				assert.Equal(t, 100*time.Millisecond, c.allocInterval)
				assert.False(t, c.exitCodeSet)
			},
		},
		{
			name: "double-dash with separate value",
			args: []string{"--run-for", "2s", "--exit-code", "3"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, 2*time.Second, c.runFor)
				assert.Equal(t, 3, c.exitCode)
				assert.True(t, c.exitCodeSet)
			},
		},
		{
			name: "single-dash with equals",
			args: []string{"-require-env=DATABASE_URL", "-require-prefix=postgres://", "-listen=:8080", "-hang-after=1m"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "DATABASE_URL", c.requireEnv)
				assert.Equal(t, "postgres://", c.requirePrefix)
				assert.Equal(t, ":8080", c.listen)
				assert.Equal(t, time.Minute, c.hangAfter)
			},
		},
		{
			name:  "explicit exit code zero still counts as set",
			args:  []string{"--exit-code=0"},
			check: func(t *testing.T, c config) { assert.True(t, c.exitCodeSet) },
		},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "bad on-term", args: []string{"--on-term", "sulk"}, wantErr: `--on-term must be "exit" or "ignore"`},
		{name: "prefix without env", args: []string{"--require-prefix", "x"}, wantErr: "--require-prefix needs --require-env"},
		{name: "hang without listen", args: []string{"--hang-after", "1s"}, wantErr: "--hang-after needs --listen"},
		{name: "exit code too big", args: []string{"--exit-code", "256"}, wantErr: "--exit-code must be 0..255"},
		{name: "zero alloc step", args: []string{"--alloc-step-mb", "0"}, wantErr: "--alloc-step-mb must be at least 1"},
		{name: "stray argument", args: []string{"--log", "a", "b"}, wantErr: `unexpected argument "b"`},
		{name: "bad duration", args: []string{"--run-for", "soon"}, wantErr: "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseFlags(tt.args, &stderr)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestRealMainExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown flag is a usage error", []string{"--bogus"}, 2},
		{"invalid combination is a usage error", []string{"--hang-after", "1s"}, 2},
		{"help", []string{"-h"}, 0},
		{"version", []string{"--version"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, tt.want, realMain(tt.args, &out, &errOut))
		})
	}
}

func mustConfig(t *testing.T, args ...string) config {
	t.Helper()
	c, err := parseFlags(args, &bytes.Buffer{})
	require.NoError(t, err)
	return c
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		signal     syscall.Signal // sent once the sequence is blocked; 0 = none
		wantCode   int
		wantOut    []string
		wantErrOut string
	}{
		{
			name:     "exit code after run-for",
			args:     []string{"--log", "hello", "--run-for", "10ms", "--exit-code", "3"},
			wantCode: 3,
			wantOut:  []string{"workload starting (linux/", "hello", "ready", "done, exiting with code 3"},
		},
		{
			name:     "exit code alone exits right away",
			args:     []string{"--exit-code", "1"},
			wantCode: 1,
			wantOut:  []string{"done, exiting with code 1"},
		},
		{
			name:       "missing env",
			args:       []string{"--require-env", "DATABASE_URL"},
			wantCode:   1,
			wantErrOut: "fatal: environment variable DATABASE_URL is not set; cannot start\n",
		},
		{
			name:     "env present, then run",
			args:     []string{"--require-env", "DATABASE_URL", "--require-prefix", "postgres://", "--run-for", "1ms"},
			env:      map[string]string{"DATABASE_URL": "postgres://app:s3cret@db:5432/app"},
			wantCode: 0,
			wantOut:  []string{"connected to postgres://db:5432", "done, exiting with code 0"},
		},
		{
			name:     "SIGTERM default",
			args:     nil,
			signal:   syscall.SIGTERM,
			wantCode: 143,
			wantOut:  []string{"got SIGTERM, shutting down"},
		},
		{
			name:     "SIGTERM custom code during warm-up",
			args:     []string{"--term-exit-code", "0", "--start-delay", "1h"},
			signal:   syscall.SIGTERM,
			wantCode: 0,
			wantOut:  []string{"starting, warming up for 1h0m0s", "got SIGTERM, shutting down"},
		},
		{
			name:     "SIGINT",
			signal:   syscall.SIGINT,
			wantCode: 130,
			wantOut:  []string{"got SIGINT, shutting down"},
		},
		{
			name:     "ignore mode announces itself",
			args:     []string{"--on-term", "ignore", "--run-for", "1ms"},
			wantCode: 0,
			wantOut:  []string{"SIGTERM is ignored"},
		},
		{
			name:     "allocation progress",
			args:     []string{"--alloc-mb", "5", "--alloc-step-mb", "2", "--alloc-interval", "1ms", "--run-for", "1ms"},
			wantCode: 0,
			wantOut:  []string{"allocated 2 MiB\nallocated 4 MiB\nallocated 5 MiB\nholding 5 MiB"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tt.signal != 0 {
				time.AfterFunc(20*time.Millisecond, func() { cancel(stopSignal{tt.signal}) })
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var out, errOut bytes.Buffer
			code := run(ctx, mustConfig(t, tt.args...), lookup, &out, &errOut)
			assert.Equal(t, tt.wantCode, code)
			for _, w := range tt.wantOut {
				assert.Contains(t, out.String(), w)
			}
			if tt.wantErrOut != "" {
				assert.Equal(t, tt.wantErrOut, errOut.String())
			}
			assert.NotContains(t, out.String()+errOut.String(), "s3cret")
		})
	}
}

func TestStoppedWithoutSignalCause(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("test over"))
	var out bytes.Buffer
	assert.Equal(t, 1, stopped(ctx, config{termExitCode: 143}, &out))
	assert.True(t, strings.HasPrefix(out.String(), "stopping: test over"))
}

func TestHelpIsNotAnError(t *testing.T) {
	_, err := parseFlags([]string{"--help"}, &bytes.Buffer{})
	assert.ErrorIs(t, err, flag.ErrHelp)
}
