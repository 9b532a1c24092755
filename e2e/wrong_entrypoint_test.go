//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
)

func wrongEntrypointSpec() scenarioSpec {
	const dep, ctr = "inventory-api", "app"
	setCommand := func(cmd ...string) func(context.Context, *testing.T, kubernetes.Interface, string) {
		return func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
			editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) { container(&d.Spec.Template.Spec, ctr).Command = cmd })
		}
	}
	return scenarioSpec{
		id:      "wrong-entrypoint",
		correct: map[string]string{"cause": "missing-program"},
		wrong:   map[string]string{"cause": "wrong-arch"},
		cases: []fixCase{
			// kubectl patch ... remove /spec/template/spec/containers/0/command
			{name: "command-removed", wantApproach: "entrypoint-restored", apply: setCommand()},
			{name: "command-fixed", wantApproach: "command-fixed", apply: setCommand("/workload")},
			{name: "args-replaced", wantFail: "app-unchanged", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				// Runs the image's program, but as something that only stays up
				// (no server, no readiness probe to give it away).
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					ct := container(&d.Spec.Template.Spec, ctr)
					ct.Command, ct.Args, ct.ReadinessProbe = []string{"/workload"}, []string{"--log=standing by"}, nil
				})
			}},
			{name: "foreign-image", wantFail: "app-unchanged", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				foreign := foreignImageOf(ctx, t, c)
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					ct := container(&d.Spec.Template.Spec, ctr)
					ct.Command, ct.Image = nil, foreign
				})
			}},
			{name: "other-image", wantFail: "app-unchanged", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					ct := container(&d.Spec.Template.Spec, ctr)
					ct.Command, ct.Image = []string{"sleep", "3600"}, "busybox:1.36"
				})
			}},
			{name: "other-missing-path", wantFail: "app-command", apply: setCommand("/usr/local/bin/inventory-api"),
				// What the explanation says about a StartError: the message names
				// the path the runtime tried, and the termination has no start
				// time (the API shows the Unix epoch, which kubectl prints as 1970).
				after: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
					const tried = "/usr/local/bin/inventory-api"
					_, err := grader.NewObserver(c).WaitForSignature(ctx, grader.Target{Namespace: ns, Kind: "Deployment", Name: dep, Container: ctr},
						[]string{"lastReason=StartError", "lastExitCode=128", "lastMessage~stat " + tried + ": no such file or directory"}, 90*time.Second, nil)
					require.NoError(t, err)
					seen := 0
					for _, term := range lastTerminated(podsOf(t, c, ns), ctr) {
						if !strings.Contains(term.Message, tried) {
							continue
						}
						seen++
						assert.Equal(t, "StartError", term.Reason)
						assert.True(t, term.StartedAt.Time.Equal(time.Unix(0, 0)), "a process that never ran has no start time, got %s", term.StartedAt)
						assert.True(t, term.FinishedAt.After(term.StartedAt.Time))
					}
					assert.NotZero(t, seen, "a pod with the new command failed to start")
				}},
		},
	}
}

// foreignImageOf is the lab's mismatched-architecture image for the cluster's
// node, the one scenarios get as {{ .ForeignImage }}.
func foreignImageOf(ctx context.Context, t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, nodes.Items)
	img, err := images.Foreign(nodes.Items[0].Status.NodeInfo.Architecture)
	require.NoError(t, err)
	return img.Ref
}
