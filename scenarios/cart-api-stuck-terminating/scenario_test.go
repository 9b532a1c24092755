package pid1shell

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const ns = "crashlab-" + id

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

// TestSignalPath follows SIGTERM the way the lab observed it: a shell as PID
// 1 drops it; a shell that is not PID 1 dies of it without passing it on.
func TestSignalPath(t *testing.T) {
	app := "/workload --listen=:8080"
	tests := []struct {
		name         string
		args         []string
		pid1         bool
		wantApproach string
		wantWhy      string
	}{
		{"shell as PID 1", []string{"/bin/sh", "-c", "echo x; " + app}, true, "", pid1Shell},
		{"shell execs the app", []string{"/bin/sh", "-c", "echo x && exec " + app}, true, "exec", ""},
		{"no shell", []string{"/workload", "--listen=:8080"}, true, "no-shell", ""},
		{"tini in front of the app", []string{"/sbin/tini", "--", "/workload"}, true, "init", ""},
		{"tini in front of a shell that execs", []string{"/sbin/tini", "--", "sh", "-c", "exec " + app}, true, "init", ""},
		{"tini in front of the shell", []string{"/sbin/tini", "--", "/bin/sh", "-c", "echo x; " + app}, true, "", "no longer PID 1"},
		{"shared process namespace", []string{"/bin/sh", "-c", app}, false, "", "no longer PID 1"},
		{"shared process namespace, exec", []string{"/bin/sh", "-c", "exec " + app}, false, "exec", ""},
		{"shell execs tini", []string{"/bin/sh", "-c", "exec /sbin/tini -- " + app}, true, "exec", ""},
		{"something else", []string{"/bin/sleep", "1"}, true, "", "not the app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			approach, _, why := follow(tt.args, tt.pid1, "")
			assert.Equal(t, tt.wantApproach, approach)
			if tt.wantWhy == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tt.wantWhy)
			}
		})
	}
}

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	base := b.TargetContainer()
	require.NotNil(t, base)
	require.Equal(t, [][]string{{"/workload", "--listen=:8080", "--log=cart-api: serving carts"}}, programs(*base), "the released app, read from the script")
	grace := func(n int64) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) { d.Spec.Template.Spec.TerminationGracePeriodSeconds = &n }
	}
	tests := []struct {
		name         string
		container    func(*corev1.Container)
		deployment   func(*appsv1.Deployment)
		wantFirst    string
		wantApproach string
	}{
		{name: "unchanged: the live stop test decides", wantFirst: ""},
		{name: "longer grace period and exec", deployment: grace(60), container: func(c *corev1.Container) {
			c.Command[2] = "exec /workload --listen=:8080 '--log=cart-api: serving carts'"
		}, wantApproach: "exec"},
		{name: "grace period unset means 30s", deployment: func(d *appsv1.Deployment) { d.Spec.Template.Spec.TerminationGracePeriodSeconds = nil },
			container: func(c *corev1.Container) {
				c.Command, c.Args = nil, []string{"--listen=:8080", "--log=cart-api: serving carts"}
			}, wantApproach: "no-shell"},
		{name: "grace period cut with exec", deployment: grace(5), container: func(c *corev1.Container) {
			c.Command[2] = "exec /workload --listen=:8080 '--log=cart-api: serving carts'"
		}, wantFirst: "grace-kept"},
		{name: "exec, but the app told to ignore SIGTERM", container: func(c *corev1.Container) {
			c.Command[2] = "exec /workload --listen=:8080 '--log=cart-api: serving carts' --on-term=ignore"
		}, wantFirst: "app-unchanged"},
		{name: "another image", container: func(c *corev1.Container) { c.Image = values.ForeignImage }, wantFirst: "app-unchanged"},
		{name: "the app no longer runs", container: func(c *corev1.Container) { c.Command = []string{"/bin/sh", "-c", "echo nothing"} }, wantFirst: "app-unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, ns, s.FixChecks(b), scenariotest.Edit{Container: tt.container, Deployment: tt.deployment})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			if tt.wantFirst == "" {
				assert.Equal(t, tt.wantApproach, j.Approach, "%v", j.Messages)
			}
		})
	}
}
