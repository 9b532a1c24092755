package wrongentrypoint

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-inventory-api-never-starts"

// labValues are the values the lab deploys with on an amd64 node: the real
// images, so the checks read the real image configuration.
func labValues(t *testing.T) scenarios.Values {
	t.Helper()
	imgs, err := images.ForNode("amd64")
	require.NoError(t, err)
	return scenarios.Values{Image: imgs[0].Ref, ForeignImage: imgs[1].Ref, NodeArch: "amd64"}
}

// judge runs fixChecks on the baseline with edit applied to the app
// container (it gets the lab's values) and editDep to the Deployment.
func judge(t *testing.T, s scenarios.Scenario, fixChecks func(scenarios.Baseline) []grader.Check, edit func(*corev1.Container, scenarios.Values), editDep func(*appsv1.Deployment)) (map[string]grader.Result, string, string) {
	t.Helper()
	v := labValues(t)
	b, err := s.Render(v)
	require.NoError(t, err)
	e := scenariotest.Edit{Deployment: editDep}
	if edit != nil {
		e.Container = func(c *corev1.Container) { edit(c, v) }
	}
	j := scenariotest.Judge(t, s, b, testNS, fixChecks(b), e)
	return j.Results, j.First, j.Approach
}

func command(cmd ...string) func(*corev1.Container, scenarios.Values) {
	return func(c *corev1.Container, _ scenarios.Values) { c.Command = cmd }
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	s := Scenario()
	tests := []struct {
		name         string
		edit         func(*corev1.Container, scenarios.Values)
		editDep      func(*appsv1.Deployment)
		wantFail     string // first check that must refuse; empty: accepted
		wantApproach string
		wantMessage  string
	}{
		{name: "bare program name found through the image PATH", edit: command("workload"), wantApproach: "command-fixed"},
		{name: "unclean path to the image's program", edit: command("//workload"), wantApproach: "command-fixed"},
		{name: "broken baseline is refused", wantFail: "app-command", wantMessage: "/opt/inventory/server"},
		{name: "a stand-in program is refused", edit: command("sleep", "infinity"), wantFail: "app-command"},
		{name: "the program with an extra argument in command is refused", edit: command("/workload", "--log=hi"), wantFail: "app-command"},
		{name: "bare name with a PATH that does not lead to it is refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command = []string{"workload"}
			c.Env = append(c.Env, corev1.EnvVar{Name: "PATH", Value: "/usr/bin:/bin"})
		}, wantFail: "app-command"},
		{name: "args replaced by ones that merely stay up are refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command, c.Args = []string{"/workload"}, []string{"--log=up"}
		}, wantFail: "app-unchanged", wantMessage: "args"},
		{name: "args moved into command are refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command, c.Args = []string{"/workload", "--listen=:8080"}, nil
		}, wantFail: "app-unchanged", wantMessage: "args"},
		{name: "command and args both removed are refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command, c.Args = nil, nil
		}, wantFail: "app-unchanged"},
		{name: "foreign image is refused", edit: func(c *corev1.Container, v scenarios.Values) {
			c.Command, c.Image = nil, v.ForeignImage
		}, wantFail: "app-unchanged", wantMessage: "image"},
		{name: "another image is refused", edit: func(c *corev1.Container, _ scenarios.Values) {
			c.Command, c.Image = []string{"sleep", "3600"}, "busybox:1.36"
		}, wantFail: "app-unchanged", wantMessage: "image"},
		{name: "scaled to zero is refused", edit: command(), editDep: func(d *appsv1.Deployment) {
			zero := int32(0)
			d.Spec.Replicas = &zero
		}, wantFail: "workload-kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, first, approach := judge(t, s, s.FixChecks, tt.edit, tt.editDep)
			if tt.wantFail == "" {
				assert.Empty(t, first, "an accepted fix must pass every check: %+v", results)
				assert.Equal(t, tt.wantApproach, approach)
				return
			}
			assert.Equal(t, tt.wantFail, first, "the first check to refuse it: %+v", results)
			assert.Contains(t, results[tt.wantFail].Message, tt.wantMessage)
		})
	}
}

// The accepted command comes from the image the lab builds, so the rule
// follows the image if its ENTRYPOINT ever moves.
func TestReleasedImageIsReadFromTheImageConfig(t *testing.T) {
	v := labValues(t)
	ic, err := releasedImage(v)
	require.NoError(t, err)
	img, err := images.ForArch("amd64")
	require.NoError(t, err)
	cf, err := img.V1().ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, cf.Config.Entrypoint, ic.entrypoint)

	b, err := Scenario().Render(v)
	require.NoError(t, err)
	assert.NotEqual(t, ic.entrypoint, b.Container(Scenario().Workload.Name, Scenario().Workload.Container).Command, "the broken command must not be the image's program")
}

func TestReleasedImageRefusesAnImageItDidNotBuild(t *testing.T) {
	_, err := releasedImage(scenarios.Values{Image: "example/image:v1", NodeArch: "amd64"})
	assert.ErrorContains(t, err, "not the lab's image")
	_, err = releasedImage(scenarios.Values{Image: "example/image:v1", NodeArch: "s390x"})
	assert.Error(t, err)
}

// Without the image configuration the command cannot be judged, and the
// check must say so rather than pass.
func TestUnreadableImageFailsTheCommandCheck(t *testing.T) {
	s := Scenario()
	broken := func(b scenarios.Baseline) []grader.Check {
		return checksFor(b, func(scenarios.Values) (imageConfig, error) { return imageConfig{}, errors.New("no config") })
	}
	results, first, _ := judge(t, s, broken, command("/workload"), nil)
	assert.Equal(t, "app-command", first)
	assert.Contains(t, results["app-command"].Message, "no config")
}
