package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/interview"
)

// kubeconfigWith writes a kubeconfig whose current context is name, on a
// server nothing answers: a command that got as far as connecting would
// fail with exit 1, not 2.
func kubeconfigWith(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: `+name+`, context: {cluster: c, user: u, namespace: crashlab-interview-0a1b2c3d4e}}]
current-context: `+name+`
`), 0o600))
	return p
}

func TestInterviewStartRefusesBadFlagsBeforeConnecting(t *testing.T) {
	kc := kubeconfigWith(t, "kind-crashlab")
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere"), link))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	ok := filepath.Join(dir, "ada.kubeconfig")
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"no candidate", nil, "--candidate is required"},
		{"bad candidate", []string{"--candidate", "Ada Lovelace"}, "--candidate"},
		{"unknown incident", []string{"--candidate", "ada", "--incident", "nope"}, "--incident nope"},
		{"incident and level", []string{"--candidate", "ada", "--incident", "orders-api-down-after-config", "--level", "1"}, "exclude each other"},
		{"no such level", []string{"--candidate", "ada", "--level", "9"}, "--level 9"},
		{"limit 0", []string{"--candidate", "ada", "--limit", "0"}, "--limit"},
		{"short expiry", []string{"--candidate", "ada", "--expiry", "5m"}, "--expiry"},
		{"expiry before the limit", []string{"--candidate", "ada", "--expiry", "20m", "--limit", "30m"}, "shorter than --limit"},
		{"bad seed", []string{"--candidate", "ada", "--seed", "x"}, "--seed"},
		{"out is a folder", []string{"--candidate", "ada", "--kubeconfig-out", dir}, "a folder"},
		{"out is a link", []string{"--candidate", "ada", "--kubeconfig-out", link}, "a symbolic link"},
		{"out is a pipe", []string{"--candidate", "ada", "--kubeconfig-out", fifo}, "a named pipe"},
		{"out in no folder", []string{"--candidate", "ada", "--kubeconfig-out", filepath.Join(dir, "no", "x")}, "does not exist"},
		{"an argument", []string{"--candidate", "ada", "extra"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--kubeconfig", kc, "interview", "start", "--kubeconfig-out", ok}, tc.args...)
			code, _, stderr := run(t, args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tc.says)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			assert.NoFileExists(t, ok)
		})
	}
	// Good flags get as far as connecting.
	code, _, stderr := run(t, "--kubeconfig", kc, "interview", "start", "--candidate", "ada", "--kubeconfig-out", ok)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot reach the cluster")
}

func TestCandidateCommandsTakeNoID(t *testing.T) {
	kc := kubeconfigWith(t, interview.Context("0a1b2c3d4e"))
	for _, args := range [][]string{
		{"diagnose", "orders-api-down-after-config"},
		{"hint", "orders-api-down-after-config"},
		{"check", "orders-api-down-after-config"},
		{"status", "orders-api-down-after-config"},
		{"status", "--watch"},
		{"diagnose", "--answer", "cause"},
	} {
		code, _, stderr := run(t, append([]string{"--kubeconfig", kc}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.NotContains(t, stderr, "\n\n")
	}
	// Without an id they relay, which here fails to connect in one line.
	code, _, stderr := run(t, "--kubeconfig", kc, "hint")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cannot reach the cluster")
}

func TestRelayedFixVerdictKeepsTheIdOut(t *testing.T) {
	var out bytes.Buffer
	g := &globals{output: "text", streams: Streams{Out: &out, Err: &out}}
	err := printRelayedVerdict(g, &grader.Verdict{Kind: "fix", Scenario: "the incident", Passed: true, Checks: []grader.CheckResult{{Name: "ready", Passed: true, Message: "all pods Ready"}}})
	require.NoError(t, err)
	assert.Contains(t, out.String(), "[PASS] ready")
	assert.Contains(t, out.String(), "Your interviewer has the report")
	assert.NotContains(t, out.String(), "crashlab explain")
}

func TestInterviewReport(t *testing.T) {
	yes, no := true, false
	score := 75
	start := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	rep := interviewReport{
		Incident: "orders-api-down-after-config", Title: "The orders API crash-loops", Seed: 42, Namespace: "crashlab-interview-0a1b2c3d4e",
		Candidate: "ada", Started: start, Limit: "30m0s", Outcome: interviewSolved, Diagnosed: true, Fixed: true, Hints: 1, WrongAnswers: 1,
		Events: []interview.Event{
			{After: "40s", Kind: "questions", Detail: "asked for the diagnosis questions"},
			{After: "1m10s", Kind: "answer", Detail: "cause=a", Passed: &no},
			{After: "2m", Kind: "hint", Detail: "hint 1 of 3"},
			{After: "3m", Kind: "answer", Detail: "cause=b", Passed: &yes},
			{After: "9m", Kind: "check", Detail: "fixed", Passed: &yes},
		},
		Score: &score, Record: "crashlab-interviews/interview-0a1b2c3d4e",
	}
	var out bytes.Buffer
	printInterviewReport(&out, rep)
	for _, want := range []string{"Candidate:     ada", "Outcome:       solved", "Variant seed:  42", "Score:         75/", "cause=a: wrong", "cause=b: right", "+9m       check     fixed: PASS", "hint 1 of 3"} {
		assert.Contains(t, out.String(), want)
	}
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	for _, k := range []string{"incident", "seed", "namespace", "candidate", "events", "outcome", "score"} {
		assert.Contains(t, back, k)
	}
}
