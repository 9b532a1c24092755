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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
)

func archMismatchSpec() scenarioSpec {
	const dep, ctr = "invoice-api", "app"
	edit := func(fn func(ctx context.Context, t *testing.T, c kubernetes.Interface, ct *corev1.Container)) func(context.Context, *testing.T, kubernetes.Interface, string) {
		return func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
			editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) { fn(ctx, t, c, container(&d.Spec.Template.Spec, ctr)) })
		}
	}
	return scenarioSpec{
		id:      "arch-mismatch",
		correct: map[string]string{"cause": "wrong-architecture"},
		wrong:   map[string]string{"cause": "missing-binary"},
		cases: []fixCase{
			{name: "node-image", wantApproach: "image-matches-node", apply: edit(func(ctx context.Context, t *testing.T, c kubernetes.Interface, ct *corev1.Container) {
				// kubectl set image deploy/invoice-api app=<the node's build>
				ct.Image = nodeImageOf(ctx, t, c)
			})},
			{name: "foreign-args-changed", wantFail: "app-unchanged",
				apply: edit(func(_ context.Context, _ *testing.T, _ kubernetes.Interface, ct *corev1.Container) {
					// Blaming the flags: the kernel never gets as far as reading them.
					ct.Args = []string{"--listen=:9090"}
					ct.ReadinessProbe = nil
				}),
				// The explanation's runtime-specific exit code, observed on the
				// runtime this cluster runs, and the absence of a message.
				after: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
					f, err := grader.NewObserver(c).WaitForSignature(ctx, grader.Target{Namespace: ns, Kind: "Deployment", Name: dep, Container: ctr},
						[]string{"lastReason=Error", "log~exec /workload: exec format error"}, 2*time.Minute, nil)
					require.NoError(t, err)
					runtime := nodeRuntimeOf(ctx, t, c)
					want := map[string]int32{"containerd://2.": 255, "containerd://1.6.": 1}
					for prefix, code := range want {
						if !strings.HasPrefix(runtime, prefix) {
							continue
						}
						for _, ct := range f.Containers(ctr) {
							if ct.Last != nil {
								assert.Equal(t, code, ct.Last.ExitCode, "exit code of an exec format error on %s", runtime)
								assert.Empty(t, ct.Last.Message, "the runtime gives no message")
							}
						}
						return
					}
					t.Logf("runtime %s: the explanation states no exit code for it", runtime)
				}},
			{name: "node-image-no-app", wantFail: "app-unchanged", apply: edit(func(ctx context.Context, t *testing.T, c kubernetes.Interface, ct *corev1.Container) {
				// Runs the right binary, but as something that only stays up.
				ct.Image = nodeImageOf(ctx, t, c)
				ct.Args, ct.ReadinessProbe = []string{"--log=standing by"}, nil
			})},
			{name: "pause-image", wantFail: "image-matches-node", apply: edit(func(ctx context.Context, t *testing.T, c kubernetes.Interface, ct *corev1.Container) {
				// Any image already on the node that stays up, e.g. the sandbox's pause.
				ct.Image = pauseImageOf(ctx, t, c)
				ct.ReadinessProbe = nil
			})},
		},
	}
}

// nodeImageOf is the lab's workload image for the cluster's node, the one
// scenarios get as {{ .Image }}.
func nodeImageOf(ctx context.Context, t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	img, err := images.ForArch(firstNode(ctx, t, c).Status.NodeInfo.Architecture)
	require.NoError(t, err)
	return img.Ref
}

// pauseImageOf finds the pause image among the images the node holds.
func pauseImageOf(ctx context.Context, t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	for _, im := range firstNode(ctx, t, c).Status.Images {
		for _, n := range im.Names {
			if strings.Contains(n, "/pause:") {
				return n
			}
		}
	}
	t.Fatal("no pause image on the node")
	return ""
}

func nodeRuntimeOf(ctx context.Context, t *testing.T, c kubernetes.Interface) string {
	return firstNode(ctx, t, c).Status.NodeInfo.ContainerRuntimeVersion
}

func firstNode(ctx context.Context, t *testing.T, c kubernetes.Interface) corev1.Node {
	t.Helper()
	nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, nodes.Items)
	return nodes.Items[0]
}
