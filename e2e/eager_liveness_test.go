//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
)

func eagerLivenessSpec() scenarioSpec {
	const dep, ctr = "search-api", "app"
	edit := func(fn func(*corev1.Container)) func(context.Context, *testing.T, kubernetes.Interface, string) {
		return func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
			editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) { fn(container(&d.Spec.Template.Spec, ctr)) })
		}
	}
	health := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}
	return scenarioSpec{
		id:      "eager-liveness",
		correct: map[string]string{"cause": "liveness-too-early", "why-137": "sigkill-after-grace"},
		wrong:   map[string]string{"cause": "readiness-restarts", "why-137": "oom-kill"},
		cases: []fixCase{
			{name: "startup-probe", wantApproach: "startup-probe", apply: edit(func(c *corev1.Container) {
				// 2s × 30 = 60s for a 30s start; the liveness probe stays as it was.
				c.StartupProbe = &corev1.Probe{ProbeHandler: health, PeriodSeconds: 2, FailureThreshold: 30}
			})},
			{name: "liveness-delayed", wantApproach: "liveness-delayed", apply: edit(func(c *corev1.Container) {
				c.LivenessProbe.InitialDelaySeconds = 45
			})},
			{name: "liveness-removed", wantFail: "liveness-kept", apply: edit(func(c *corev1.Container) {
				c.LivenessProbe = nil
			})},
			{name: "tcp-liveness", wantFail: "liveness-on-health", apply: edit(func(c *corev1.Container) {
				// Passes as soon as the port listens, which the app does at once.
				c.LivenessProbe.ProbeHandler = corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}
			})},
			{name: "lax-liveness", wantFail: "probes-catch-hangs", apply: edit(func(c *corev1.Container) {
				// 2s × 100: the start is covered, but a hang would go unnoticed for minutes.
				c.LivenessProbe.FailureThreshold = 100
			})},
			{name: "sigterm-handled", wantFail: "app-unchanged",
				apply: edit(func(c *corev1.Container) {
					// The app now exits on SIGTERM; the probe still kills it.
					for i, a := range c.Args {
						if a == "--on-term=ignore" {
							c.Args[i] = "--on-term=exit"
						}
					}
				}),
				// What the explanation says about an app that handles SIGTERM: the
				// same probe kill, now ending with 143 instead of 137.
				after: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
					f, err := grader.NewObserver(c).WaitForSignature(ctx, grader.Target{Namespace: ns, Kind: "Deployment", Name: dep, Container: ctr},
						[]string{"lastExitCode=143", "lastReason=Error", "event=Killing", "log~got SIGTERM"}, 2*time.Minute, nil)
					require.NoError(t, err)
					for _, ct := range f.Containers(ctr) {
						if ct.Last != nil {
							assert.NotEqual(t, int32(137), ct.Last.ExitCode, "with SIGTERM handled no run should need SIGKILL")
						}
					}
				}},
		},
	}
}
