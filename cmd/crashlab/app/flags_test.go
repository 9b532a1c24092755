package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/drill"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// Every bad command line is one line on stderr naming the flag, exit 2, and
// is refused before connecting: the kubeconfig names the lab's context on a
// port nothing listens on, so a command that got as far as connecting would
// say "cannot reach the cluster" and exit 1 (checked last, with good flags).
func TestBadFlagsAreRefusedBeforeConnecting(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	kc := kubeconfigWith(t, "kind-crashlab")
	dir := t.TempDir()
	badNames := filepath.Join(dir, "names.txt")
	require.NoError(t, os.WriteFile(badNames, []byte("ana\nAna Smith\n"), 0o600))
	aFile := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o600))
	sealKey := filepath.Join(t.TempDir(), "seal")
	require.NoError(t, os.WriteFile(sealKey, make([]byte, 32), 0o600))
	id := "orders-api-down-after-config"
	alias, aliased := anAlias(t)
	bank, err := content.Drill()
	require.NoError(t, err)
	questions := len(drill.Pool(bank))

	tests := []struct {
		name string
		args []string
		flag string // what the line must name
	}{
		// controller
		{"controller without a seal key", []string{"controller"}, "--seal-key-file"},
		{"controller seal key not there", []string{"controller", "--seal-key-file", filepath.Join(dir, "nope")}, "--seal-key-file"},
		{"controller seal key too short", []string{"controller", "--seal-key-file", aFile}, "--seal-key-file"},
		{"controller metrics address", []string{"controller", "--seal-key-file", sealKey, "--metrics-addr", "nowhere"}, "--metrics-addr"},
		{"controller health address", []string{"controller", "--seal-key-file", sealKey, "--health-addr", "localhost:99999"}, "--health-addr"},
		{"controller audit relay not a URL", []string{"controller", "--seal-key-file", sealKey, "--audit-relay", "127.0.0.1:8090"}, "--audit-relay"},
		{"controller audit relay another scheme", []string{"controller", "--seal-key-file", sealKey, "--audit-relay", "ftp://127.0.0.1:8090"}, "--audit-relay"},
		{"audit relay without a folder", []string{"audit-relay"}, "--dir"},
		{"audit relay folder not there", []string{"audit-relay", "--dir", filepath.Join(dir, "nope")}, "--dir"},
		{"audit relay folder a file", []string{"audit-relay", "--dir", aFile}, "--dir"},
		{"audit relay address", []string{"audit-relay", "--dir", dir, "--listen", "nowhere"}, "--listen"},
		{"controller workers 0", []string{"controller", "--seal-key-file", sealKey, "--workers", "0"}, "--workers 0"},
		// workshop create's controller image
		{"workshop controller binary form", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", id, "--crashlab-binary", "amd64"}, "--crashlab-binary"},
		{"workshop controller binary not there", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", id, "--crashlab-binary", "linux/amd64=" + filepath.Join(dir, "nope")}, "--crashlab-binary"},
		{"workshop controller binary not an executable", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", id, "--crashlab-binary", "linux/amd64=" + aFile}, "--crashlab-binary"},
		{"workshop no controller with a binary", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", id, "--controller=false", "--crashlab-binary", "linux/amd64=" + aFile}, "--crashlab-binary"},
		// drill
		{"drill seconds overflow a duration", []string{"drill", "--seconds", "9999999999"}, "--seconds 9999999999"},
		{"drill seconds 0", []string{"drill", "--seconds", "0"}, "--seconds 0"},
		{"drill seed negative", []string{"drill", "--seed", "-1"}, "--seed -1"},
		{"drill seed not a number", []string{"drill", "--seed", "x"}, "--seed x"},
		{"drill count negative", []string{"drill", "--count", "-1"}, "--count -1"},
		{"drill count above the bank", []string{"drill", "--count", "100000", "--answers", "a"}, "--count 100000"},
		{"drill count overflows", []string{"drill", "--count", "99999999999999999999"}, "--count 99999999999999999999"},
		{"drill every question, one answer", []string{"drill", "--count", "0", "--answers", "a"}, "--answers"},
		{"drill too many answers", []string{"drill", "--count", "2", "--answers", "a,b,c"}, "--answers"},
		{"drill too few answers", []string{"drill", "--count", "2", "--answers", "a"}, "--answers"},
		{"drill empty answers", []string{"drill", "--count", "1", "--answers", ""}, "--answers"},
		{"drill seconds with answers", []string{"drill", "--count", "1", "--answers", "a", "--seconds", "10"}, "--seconds"},
		{"drill typed with answers", []string{"drill", "--count", "1", "--answers", "a", "--typed"}, "--typed"},
		{"drill limit without incident", []string{"drill", "--limit", "5m"}, "--limit"},
		{"drill incident with count", []string{"--kubeconfig", kc, "drill", "--incident", "--count", "3"}, "--count"},
		{"drill incident limit 0", []string{"--kubeconfig", kc, "drill", "--incident", "--limit", "0"}, "--limit 0"},
		{"drill incident limit negative", []string{"--kubeconfig", kc, "drill", "--incident", "--limit", "-5m"}, "--limit -5m"},
		{"drill incident limit overflow", []string{"--kubeconfig", kc, "drill", "--incident", "--limit", "9999999999h"}, "--limit 9999999999h"},
		{"drill incident unknown level", []string{"--kubeconfig", kc, "drill", "--incident", "--level", "99"}, "--level 99"},
		{"drill incident negative level", []string{"--kubeconfig", kc, "drill", "--incident", "--level", "-1"}, "--level -1"},
		// check, triage
		{"check timeout 0", []string{"--kubeconfig", kc, "check", id, "--timeout", "0"}, "--timeout 0"},
		{"check timeout negative", []string{"--kubeconfig", kc, "check", id, "--timeout", "-1s"}, "--timeout -1s"},
		{"check timeout not a duration", []string{"--kubeconfig", kc, "check", id, "--timeout", "5"}, "--timeout 5"},
		{"triage check timeout 0", []string{"--kubeconfig", kc, "triage", "check", "--timeout", "0"}, "--timeout 0"},
		{"triage count 1", []string{"--kubeconfig", kc, "triage", "--count", "1"}, "--count 1"},
		{"triage count above the catalogue", []string{"--kubeconfig", kc, "triage", "--count", "1000"}, "--count 1000"},
		{"triage seed negative", []string{"--kubeconfig", kc, "triage", "--seed", "-1"}, "--seed -1"},
		{"triage label malformed", []string{"--kubeconfig", kc, "triage", "answer", "--label", "web"}, "--label"},
		{"triage label twice", []string{"--kubeconfig", kc, "triage", "answer", "--label", "Deployment/a=Pending,x", "--label", "Deployment/a=Pending,y"}, "--label Deployment/a"},
		{"triage list with labels", []string{"--kubeconfig", kc, "triage", "answer", "--list", "--label", "Deployment/a=Pending,x"}, "--list"},
		// diagnose
		{"diagnose answers a question twice", []string{"--kubeconfig", kc, "diagnose", id, "--answer", "cause=a", "--answer", "cause=b"}, "--answer cause"},
		// start
		{"start timeout without wait", []string{"--kubeconfig", kc, "start", id, "--timeout", "1m"}, "--timeout"},
		{"start timeout 0", []string{"--kubeconfig", kc, "start", id, "--wait", "--timeout", "0"}, "--timeout 0"},
		{"start variant negative", []string{"--kubeconfig", kc, "start", id, "--variant", "-1"}, "--variant -1"},
		{"start random unknown level", []string{"--kubeconfig", kc, "start", "--random", "--level", "99"}, "--level 99"},
		// learn
		{"learn page overflow", []string{"learn", "--page", "9999999999999999999"}, "--page 9999999999999999999"},
		{"learn page 0", []string{"learn", "--page", "0"}, "--page 0"},
		{"learn page past the end", []string{"learn", "--page", "1000"}, "--page 1000"},
		// global flags
		{"registry not parseable", []string{"--kubeconfig", kc, "--registry", "foo^bar", "start", id}, "--registry"},
		{"registry a URL", []string{"--kubeconfig", kc, "--registry", "http://x:5000", "check", id}, "--registry"},
		{"registry with a space", []string{"--kubeconfig", kc, "--registry", "a b", "start", id}, "--registry"},
		{"registry not a host", []string{"--kubeconfig", kc, "--registry", "team", "start", id}, "--registry"},
		{"insecure registry without a registry", []string{"--kubeconfig", kc, "--insecure-registry", "start", id}, "--insecure-registry"},
		{"learner unusable", []string{"--kubeconfig", kc, "--learner", "Ann Smith", "check", id}, "--learner"},
		{"bool flag given a value", []string{"--kubeconfig", kc, "--insecure-registry=maybe", "start", id}, "--insecure-registry maybe"},
		// up (kind is never reached: the flags are checked first)
		{"up nodes 0", []string{"--kubeconfig", kc, "up", "--nodes", "0"}, "--nodes 0"},
		{"up nodes 11", []string{"--kubeconfig", kc, "up", "--nodes", "11"}, "--nodes 11"},
		{"up wait 0", []string{"--kubeconfig", kc, "up", "--wait", "0"}, "--wait 0"},
		{"up image unparseable", []string{"--kubeconfig", kc, "up", "--image", "Kindest/Node::x"}, "--image"},
		// images
		{"export an arch twice", []string{"images", "export", "--arch", "amd64,amd64", filepath.Join(dir, "x.tar")}, "--arch"},
		{"export no arch", []string{"images", "export", "--arch", "", filepath.Join(dir, "x.tar")}, "--arch"},
		{"push to no registry host", []string{"images", "push", "team"}, "REGISTRY"},
		// workshop
		{"workshop learners absurd", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "100000", "--incidents", id}, "--learners 100000"},
		{"workshop learners 0", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "0", "--incidents", id}, "--learners 0"},
		{"workshop learners times incidents", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "10000", "--incidents", id + ",search-api-restarting"}, "learners"},
		{"workshop an incident twice", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", id + "," + id}, "--incidents"},
		{"workshop an alias and its id", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", alias + "," + aliased}, "--incidents"},
		{"workshop an unknown incident", []string{"--kubeconfig", kc, "workshop", "create", "--learners", "2", "--incidents", "nope"}, "--incidents"},
		{"workshop names file missing", []string{"--kubeconfig", kc, "workshop", "create", "--names", filepath.Join(dir, "none.txt"), "--incidents", id}, "--names"},
		{"workshop names file with a bad name", []string{"--kubeconfig", kc, "workshop", "create", "--names", badNames, "--incidents", id}, "--names"},
		{"workshop kubeconfigs expiry 1s", []string{"--kubeconfig", kc, "workshop", "kubeconfigs", dir, "--expiry", "1s"}, "--expiry 1s"},
		{"workshop kubeconfigs expiry past the API server's", []string{"--kubeconfig", kc, "workshop", "kubeconfigs", dir, "--expiry", "2000000h"}, "--expiry 2000000h"},
		{"workshop kubeconfigs into a file", []string{"--kubeconfig", kc, "workshop", "kubeconfigs", aFile}, "DIR"},
		{"workshop kubeconfigs server unparseable", []string{"--kubeconfig", kc, "workshop", "kubeconfigs", dir, "--server", "ftp://x"}, "--server"},
		{"workshop kubeconfigs name unusable", []string{"--kubeconfig", kc, "workshop", "kubeconfigs", dir, "--name", "Room 1"}, "--name"},
		{"workshop learners name unusable", []string{"--kubeconfig", kc, "workshop", "learners", "--name", "Room 1"}, "--name"},
		{"workshop delete name unusable", []string{"--kubeconfig", kc, "workshop", "delete", "--name", "Room 1"}, "--name"},
		{"workshop reset learner unusable", []string{"--kubeconfig", kc, "workshop", "reset", "Ana Smith", id}, "LEARNER"},
		{"workshop board addr unparseable", []string{"--kubeconfig", kc, "workshop", "board", "--addr", "localhost"}, "--addr"},
		{"workshop board addr port too big", []string{"--kubeconfig", kc, "workshop", "board", "--addr", "127.0.0.1:70000"}, "--addr"},
		{"workshop board addr with tui", []string{"--kubeconfig", kc, "workshop", "board", "--tui", "--addr", "127.0.0.1:9000"}, "--addr"},
		// interview
		{"interview expiry past the API server's", []string{"--kubeconfig", kc, "interview", "start", "--candidate", "ada", "--kubeconfig-out", filepath.Join(dir, "ada"), "--expiry", "2000000h"}, "--expiry"},
		{"interview limit overflow", []string{"--kubeconfig", kc, "interview", "start", "--candidate", "ada", "--kubeconfig-out", filepath.Join(dir, "ada"), "--limit", "99999999999h"}, "--limit"},
		{"interview level overflow", []string{"--kubeconfig", kc, "interview", "start", "--candidate", "ada", "--kubeconfig-out", filepath.Join(dir, "ada"), "--level", "99999999999999999999"}, "--level"},
		// explain
		{"explain in a namespace no cluster can hold", []string{"--kubeconfig", kc, "explain", "web-0", "-n", "Not A Namespace"}, "-n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			assert.Contains(t, stderr, tt.flag, "the line names the flag")
			assert.NotContains(t, stderr, "cannot reach the cluster", "refused before connecting")
			for _, raw := range []string{"strconv.", "time: invalid duration", "invalid argument", "%!"} {
				assert.NotContains(t, stderr, raw, "pflag's and strconv's words are not the learner's")
			}
		})
	}
	// Written nowhere: a refused workshop kubeconfigs leaves DIR as it was.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "only the test's own files")
	assert.Greater(t, questions, 1)

	// The same commands with good flags get as far as connecting, which
	// proves the connection above was never attempted rather than failed.
	for _, args := range [][]string{
		{"check", id, "--timeout", "30s"},
		{"workshop", "create", "--learners", "2", "--incidents", id},
		{"workshop", "kubeconfigs", filepath.Join(dir, "room"), "--expiry", "10m"},
		{"--registry", "localhost:5000", "start", id},
	} {
		code, _, stderr := run(t, append([]string{"--kubeconfig", kc}, args...)...)
		assert.Equal(t, 1, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "cannot reach the cluster", args)
	}
}

// anAlias is an earlier id of some scenario, and that scenario's id:
// aliases only merge saved progress, so every command refuses one like an
// unknown id.
func anAlias(t *testing.T) (alias, id string) {
	t.Helper()
	for _, s := range catalog.All() {
		if len(s.Aliases) > 0 {
			return s.Aliases[0], s.ID
		}
	}
	t.Skip("the catalogue has no aliases")
	return "", ""
}

// pflag takes the first back-quoted word of a flag's usage as the value's
// name in help: `crashlab images push` became "--registry crashlab images
// push". Every flag's placeholder must be a name (one word), never a phrase.
func TestHelpPlaceholdersAreValueNames(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, usage := pflag.UnquoteUsage(f)
			assert.NotContains(t, name, " ", "%s --%s: the placeholder %q is a phrase; reword the usage %q", c.CommandPath(), f.Name, name, f.Usage)
			assert.NotContains(t, usage, "`", "%s --%s", c.CommandPath(), f.Name)
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &strings.Builder{}}))
	// The named cases of issue 15, as the help renders them.
	code, out, _ := run(t, "up", "--help")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "--image kind create cluster")
	code, out, _ = run(t, "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "--registry HOST[:PORT]")
	code, out, _ = run(t, "workshop", "create", "--help")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "--incidents crashlab list")
}

// The catalogue keeps its aliases out of Get; this test relies on that.
func TestAnAliasIsNotAnID(t *testing.T) {
	for _, a := range aliases() {
		_, err := catalog.Get(a)
		assert.ErrorIs(t, err, catalog.ErrUnknownScenario, a)
	}
}
