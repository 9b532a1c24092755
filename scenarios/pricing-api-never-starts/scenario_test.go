package scriptnotexec

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-pricing-api-never-starts"

func labValues(t *testing.T) scenarios.Values {
	t.Helper()
	imgs, err := images.ForNode("amd64")
	require.NoError(t, err)
	return scenarios.Values{Image: imgs[0].Ref, ForeignImage: imgs[1].Ref, NodeArch: "amd64"}
}

func judge(t *testing.T, checks func(scenarios.Baseline) []grader.Check, edit func(*corev1.Container, scenarios.Values)) scenariotest.Judged {
	t.Helper()
	s := Scenario()
	v := labValues(t)
	b, err := s.Render(v)
	require.NoError(t, err)
	var e scenariotest.Edit
	if edit != nil {
		e.Container = func(c *corev1.Container) { edit(c, v) }
	}
	return scenariotest.Judge(t, s, b, testNS, checks(b), e)
}

func run(command []string, args ...string) func(*corev1.Container, scenarios.Values) {
	return func(c *corev1.Container, _ scenarios.Values) { c.Command, c.Args = command, args }
}

// The script's exec line is read from the image the lab builds.
func TestReleasedImage(t *testing.T) {
	rel, err := releasedImage(labValues(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"/workload"}, rel.entrypoint)
	assert.Equal(t, []string{"/workload", "--listen=:8080", "--log=server started from /app/server"}, rel.server)
}

func TestSplitWords(t *testing.T) {
	assert.Equal(t, []string{"exec", "/x", "--a=b c", "d"}, splitWords(`exec /x --a="b c" 'd' # comment`))
	assert.Nil(t, splitWords("# only a comment"))
	_, err := execLine("#!/bin/sh\necho hi\n")
	assert.Error(t, err)
}

// The fixes a learner would make, accepted or refused, are data in fixes/;
// the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*corev1.Container, scenarios.Values)
		wantFail     string
		wantApproach string
		wantMessage  string
	}{
		{name: "broken baseline is refused", wantFail: "start-command", wantMessage: "execute bit"},
		{name: "shell with an unclean script path", edit: run([]string{"/bin/sh", "//app/server"}), wantApproach: "script-via-shell"},
		{name: "shell in command, script in args", edit: run([]string{"/bin/sh"}, "/app/server"), wantApproach: "script-via-shell"},
		{name: "entrypoint with the script's flags", edit: run(nil, "--listen=:8080", "--log=server started from /app/server"), wantApproach: "server-started-directly"},
		{name: "program and flags all in command", edit: run([]string{"/workload", "--listen=:8080", "--log=server started from /app/server"}), wantApproach: "server-started-directly"},
		{name: "the log line without its flag is refused", edit: run([]string{"/workload"}, "--listen=:8080"), wantFail: "start-command", wantMessage: "the start script runs it with"},
		{name: "sh -c with the script as a command is refused", edit: run([]string{"/bin/sh", "-c", "/app/server"}), wantFail: "start-command", wantMessage: "126"},
		{name: "a stand-in program is refused", edit: run([]string{"/bin/sh", "-c", "sleep 3600"}), wantFail: "start-command"},
		{name: "shell and privileged is refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command = []string{"/bin/sh", "/app/server"}
			c.SecurityContext = &corev1.SecurityContext{Privileged: ptr(true)}
		}, wantFail: "not-privileged"},
		{name: "shell and an added capability is refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command = []string{"/bin/sh", "/app/server"}
			c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"DAC_OVERRIDE"}}}
		}, wantFail: "not-privileged"},
		{name: "another build of the image is refused", edit: func(c *corev1.Container, v scenarios.Values) {
			c.Image, c.Command = v.ForeignImage, []string{"/bin/sh", "/app/server"}
		}, wantFail: "app-unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := judge(t, Scenario().FixChecks, tt.edit)
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			if tt.wantFail == "" {
				assert.Equal(t, tt.wantApproach, j.Approach)
			}
			if tt.wantMessage != "" {
				assert.Contains(t, j.Results[j.First].Message, tt.wantMessage)
			}
		})
	}
}

// When the image cannot be read, the check refuses rather than passing.
func TestUnreadableImageFailsClosed(t *testing.T) {
	j := judge(t, func(scenarios.Baseline) []grader.Check { return checksFor(release{}, errors.New("boom")) }, run([]string{"/bin/sh", "/app/server"}))
	assert.Equal(t, "start-command", j.First)
	assert.Contains(t, j.Results["start-command"].Message, "boom")
}

func ptr[T any](v T) *T { return &v }
