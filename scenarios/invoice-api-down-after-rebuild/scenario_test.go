package archmismatch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const ns = "crashlab-test-invoice-api-down-after-rebuild"

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:def-amd64", NodeArch: "amd64"}

// judge runs every static check of the scenario (shared ones first, as the
// CLI does) on the baseline Deployment after mutate, and returns the first
// check that refused it, or the approach the passing checks named.
func judge(t *testing.T, mutate func(c *corev1.Container)) (firstFail, approach string, msgs []string) {
	t.Helper()
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	j := scenariotest.Judge(t, s, b, ns, s.FixChecks(b), scenariotest.Edit{Container: mutate})
	return j.First, j.Approach, j.Messages
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestChecks(t *testing.T) {
	tests := []struct {
		name         string
		mutate       func(c *corev1.Container)
		wantFail     string
		wantApproach string
	}{
		{name: "broken baseline is refused", mutate: func(*corev1.Container) {}, wantFail: "image-matches-node"},
		{name: "node image but command replaced", wantFail: "app-unchanged", mutate: func(c *corev1.Container) {
			c.Image = values.Image
			c.Command = []string{"/workload", "--run-for=1h"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail, approach, msgs := judge(t, tt.mutate)
			assert.Equal(t, tt.wantFail, fail, "first refusing check; all: %v", msgs)
			if tt.wantFail == "" {
				assert.Equal(t, tt.wantApproach, approach, "all: %v", msgs)
			}
		})
	}
}

// Handler texts as Linux prints them; the magics are those qemu-user-static
// and tonistiigi/binfmt register.
const (
	qemuAarch64 = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
	qemuX8664   = "enabled\ninterpreter /usr/bin/qemu-x86_64-static\nflags: OCF\noffset 0\nmagic 7f454c4602010100000000000000000002003e00\nmask fffffffffffefe00fffffffffffffffffeffffff\n"
	qemuArm32   = "enabled\ninterpreter /usr/bin/qemu-arm-static\nflags: OCF\noffset 0\nmagic 7f454c4601010100000000000000000002002800\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
	jarHandler  = "enabled\ninterpreter /usr/bin/jexec\nflags: \noffset 0\nmagic 504b0304\n"
)

func TestEmulationWarning(t *testing.T) {
	tests := []struct {
		name     string
		nodeArch string
		files    map[string]string // file name → content; nil: the directory does not exist
		want     []string          // substrings of the warning; empty: no warning
	}{
		{name: "no binfmt_misc at all", nodeArch: "amd64", files: nil},
		{name: "empty table", nodeArch: "amd64", files: map[string]string{"register": "", "status": "enabled\n"}},
		{name: "amd64 node that can emulate arm64", nodeArch: "amd64", files: map[string]string{"status": "enabled\n", "qemu-aarch64": qemuAarch64},
			want: []string{"arm64", "qemu-aarch64-static", "cannot show its failure"}},
		{name: "arm64 node that can emulate amd64", nodeArch: "arm64", files: map[string]string{"qemu-x86_64": qemuX8664},
			want: []string{"amd64", "qemu-x86_64-static"}},
		{name: "handler for the node's own architecture is harmless", nodeArch: "arm64", files: map[string]string{"qemu-aarch64": qemuAarch64}},
		{name: "handlers for unrelated formats are harmless", nodeArch: "amd64", files: map[string]string{"qemu-arm": qemuArm32, "jar": jarHandler}},
		{name: "disabled handler", nodeArch: "amd64", files: map[string]string{"qemu-aarch64": "disabled" + qemuAarch64[len("enabled"):]}},
		{name: "binfmt_misc switched off as a whole", nodeArch: "amd64", files: map[string]string{"status": "disabled\n", "qemu-aarch64": qemuAarch64}},
		{name: "handler under another name found by its magic", nodeArch: "amd64", files: map[string]string{"aarch64": qemuAarch64},
			want: []string{"arm64"}},
		{name: "handler without F flag: the interpreter is looked up inside the container", nodeArch: "amd64",
			files: map[string]string{"qemu-aarch64": "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: \noffset 0\nmagic 7f454c460201010000000000000000000200b700\n"},
			want:  []string{"no such file or directory"}},
		{name: "unknown node architecture", nodeArch: "s390x", files: map[string]string{"qemu-aarch64": qemuAarch64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "binfmt_misc")
			if tt.files != nil {
				require.NoError(t, os.Mkdir(dir, 0o755))
				for name, content := range tt.files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
				}
			}
			got := EmulationWarning(tt.nodeArch, dir)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
		})
	}
}

// On pods that fail as this scenario's do (the shape the kind-offline notes
// record for a binary of the other architecture), exactly the intended choice
// holds; the e2e suite repeats this on a real cluster.
func TestChoicesOnBrokenPods(t *testing.T) {
	f := podstate.Facts{Found: true, NodeArch: "amd64", Pods: []podstate.PodFacts{{Name: "p", NodeArch: "amd64", Containers: []podstate.ContainerFacts{{
		Name: Scenario().Workload.Container, WaitingReason: "CrashLoopBackOff",
		Last:        &podstate.Termination{Reason: "Error", ExitCode: 255},
		PreviousLog: "exec /workload: exec format error\n",
	}}}}}
	for _, q := range Scenario().Questions {
		if q.Fact != "" {
			continue
		}
		var holding []string
		for _, ch := range q.Choices {
			all := true
			for _, e := range ch.Evidence {
				ok, err := podstate.Evidence(f, Scenario().Workload.Container, e)
				require.NoError(t, err)
				all = all && ok
			}
			if all {
				holding = append(holding, ch.ID)
			}
		}
		assert.Equal(t, []string{"wrong-architecture"}, holding, "question %s", q.ID)
	}
	for _, e := range Scenario().Teaches {
		ok, err := podstate.Evidence(f, Scenario().Workload.Container, e)
		require.NoError(t, err)
		assert.True(t, ok, "teaches %s", e)
	}
}
