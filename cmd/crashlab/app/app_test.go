package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// run drives the CLI as Main would, returning the exit code and both streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	code := exitCode(err, &errb)
	return code, out.String(), errb.String()
}

// emptyKubeconfig has a context that is not the lab's.
func emptyKubeconfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: admin, user: {token: x}}]
contexts: [{name: prod, context: {cluster: prod, user: admin}}]
current-context: prod
`), 0o600))
	return p
}

func TestBadInputGetsOneLineAndNonZeroExit(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	kc := emptyKubeconfig(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown command", []string{"bogus"}, 2, `unknown command "bogus"`},
		{"unknown flag", []string{"list", "--nope"}, 2, "unknown flag: --nope"},
		{"bad output format", []string{"-o", "yaml", "list"}, 2, `-o "yaml" is not an output format`},
		{"start needs an id", []string{"start"}, 2, "accepts 1 arg"},
		{"unknown scenario", []string{"--kubeconfig", kc, "start", "nope"}, 1, "`crashlab list` shows them"},
		{"unknown scenario is named before any cluster is asked", []string{"--kubeconfig", kc, "check", "nope"}, 1, `no scenario "nope"`},
		{"status of an unknown scenario", []string{"--kubeconfig", kc, "status", "nope"}, 1, `no scenario "nope"`},
		{"diagnose of an unknown scenario", []string{"--kubeconfig", kc, "diagnose", "nope", "--answer", "cause=x"}, 1, `no scenario "nope"`},
		{"replay needs an id", []string{"replay"}, 2, "accepts 1 arg"},
		{"replay of an unknown scenario", []string{"--kubeconfig", kc, "replay", "nope"}, 1, `no scenario "nope"`},
		{"foreign current context is never used", []string{"--kubeconfig", kc, "status"}, 1, "pass --context"},
		{"unknown context", []string{"--kubeconfig", kc, "--context", "staging", "status"}, 1, `context "staging" not found`},
		{"malformed answer", []string{"--kubeconfig", kc, "diagnose", "orders-api-down-after-config", "--answer", "cause"}, 2, "write it as question=value"},
		{"answer to no question", []string{"--kubeconfig", kc, "diagnose", "orders-api-down-after-config", "--answer", "colour=blue"}, 2, `no question "colour"`},
		{"learner unusable in a namespace", []string{"--kubeconfig", kc, "--context", "prod", "--learner", "Ann Smith", "hint", "orders-api-down-after-config"}, 2, "--learner: learner name"},
		{"up refuses a foreign context", []string{"--kubeconfig", kc, "--context", "prod", "up"}, 1, "only the lab's own kind cluster"},
		{"export to a missing directory", []string{"images", "export", "/nonexistent/dir/x.tar"}, 1, "export images"},
		{"workshop without learners", []string{"--kubeconfig", kc, "workshop", "create", "--incidents", "orders-api-down-after-config"}, 2, "--learners N or --names FILE"},
		{"workshop without incidents", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "3"}, 2, "--incidents"},
		{"workshop with an unknown incident", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "3", "--incidents", "nope"}, 2, `--incidents: no scenario "nope"`},
		{"workshop with both learner flags", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "3", "--names", "x.txt", "--incidents", "orders-api-down-after-config"}, 2, "not both"},
		{"workshop names file missing", []string{"--kubeconfig", kc, "workshop", "create", "--names", "/nonexistent/names.txt", "--incidents", "orders-api-down-after-config"}, 2, "--names /nonexistent/names.txt: cannot read"},
		{"workshop name unusable", []string{"--kubeconfig", kc, "workshop", "board", "--name", "Room 1"}, 2, "workshop name"},
		{"workshop reset needs learner and id", []string{"workshop", "reset", "ana"}, 2, "accepts 2 arg"},
		{"push to a URL instead of a host", []string{"images", "push", "http://localhost:5000"}, 2, "without http://"},
		{"push for an unknown arch", []string{"images", "push", "localhost:5000", "--arch", "s390x"}, 2, `architecture "s390x"`},
		{"up with no nodes", []string{"--kubeconfig", kc, "up", "--nodes", "0"}, 2, "--nodes 0: must be a whole number from 1 to 10 (each node is a container on this machine)"},
		{"up with a registry URL", []string{"--kubeconfig", kc, "--registry", "http://x:5000", "up"}, 2, "without http://"},
		{"export for an unknown arch", []string{"images", "export", "--arch", "s390x", filepath.Join(t.TempDir(), "x.tar")}, 2, `architecture "s390x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "crashlab: "), stderr)
		})
	}
}

// The lab service returns sentinels; the CLI adds what the learner can do,
// in the words the e2e suite and the README rely on.
func TestAdviceIsWordedByTheCLI(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"not started", fmt.Errorf("scenario x is %w (no namespace crashlab-x)", lab.ErrNotStarted), []string{"not started", "run `crashlab start x`"}},
		{"record missing", fmt.Errorf("%w (ConfigMap ns/crashlab-attempt)", scenarios.ErrNoRecord), []string{"record", "crashlab reset x"}},
		{"record altered", fmt.Errorf("%w: digest", scenarios.ErrRecordAltered), []string{"record", "crashlab reset x"}},
		{"image missing", &lab.MissingImageError{Image: "img", Node: "n1"}, []string{"image img is not on node n1", "crashlab images export"}},
		{"anything else", errors.New("boom"), []string{"boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := advise(tt.err, "x")
			require.ErrorIs(t, got, tt.err, "the sentinel survives the advice")
			for _, w := range tt.want {
				assert.Contains(t, got.Error(), w)
			}
			assert.Equal(t, 1, exitCode(got, io.Discard))
		})
	}
}

func TestListWorksWithoutACluster(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	code, out, _ := run(t, "-o", "json", "list")
	require.Equal(t, 0, code)
	var rows []struct {
		ID   string `json:"id"`
		Done bool   `json:"done"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	assert.Len(t, rows, len(catalog.All()))
	for _, r := range rows {
		assert.False(t, r.Done, "nothing is done in a fresh state dir")
	}
}

func TestHintsComeOneAtATimeAndAreRemembered(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	s, err := catalog.Get("orders-api-down-after-config")
	require.NoError(t, err)
	for i := 1; i <= len(s.Hints)+1; i++ {
		code, out, _ := run(t, "hint", s.ID)
		require.Equal(t, 0, code)
		want := i
		if want > len(s.Hints) {
			want = len(s.Hints)
		}
		assert.Equal(t, want, strings.Count(out, "Hint "), "call %d", i)
	}
}

func TestImagesExportWritesTheArchiveAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "images.tar")
	code, out, _ := run(t, "-o", "json", "images", "export", "--arch", "amd64", "--crashlab-image=false", path)
	require.Equal(t, 0, code)
	var res struct {
		Images []string `json:"images"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Len(t, res.Images, 2)
	for _, r := range res.Images {
		assert.NotContains(t, r, ":latest")
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	assert.Equal(t, "images.tar", entries[0].Name())
}

// A kubeconfig file that does not exist is named, not reported as a missing
// context; exit 2 only when the user typed the path as --kubeconfig.
func TestMissingKubeconfigIsNamed(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	absent := filepath.Join(t.TempDir(), "absent")
	advice := "run `crashlab up` to create the lab cluster, or point --kubeconfig/KUBECONFIG at your cluster's file"
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"--kubeconfig", nil, []string{"--kubeconfig", absent, "status"}, 2, "kubeconfig " + absent + " does not exist: " + advice + " (see `crashlab --help`)"},
		{"--kubeconfig, explain POD", nil, []string{"--kubeconfig", absent, "explain", "web-7d9f8"}, 2, "kubeconfig " + absent + " does not exist: " + advice + " (see `crashlab --help`)"},
		{"CRASHLAB_KUBECONFIG", map[string]string{"CRASHLAB_KUBECONFIG": absent}, []string{"status"}, 1, "kubeconfig " + absent + " does not exist: " + advice},
		{"KUBECONFIG", map[string]string{"KUBECONFIG": absent}, []string{"explain", "web-7d9f8"}, 1, "kubeconfig " + absent + " does not exist: " + advice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CRASHLAB_KUBECONFIG", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, stderr := run(t, tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, "crashlab: "+tt.wantErr, strings.TrimSpace(stderr))
		})
	}
}
