//go:build e2e

package e2e

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
)

func oomKilledSpec() scenarioSpec {
	const dep, ctr = "thumbnailer", "app"
	// memoryLimit is `kubectl set resources --limits=memory=...`; "" removes it.
	memoryLimit := func(q string) func(context.Context, *testing.T, kubernetes.Interface, string) {
		return func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
			editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
				r := &container(&d.Spec.Template.Spec, ctr).Resources
				if q == "" {
					delete(r.Limits, corev1.ResourceMemory)
					return
				}
				r.Limits[corev1.ResourceMemory] = resource.MustParse(q)
			})
		}
	}
	return scenarioSpec{
		id:      "oom-killed",
		correct: map[string]string{"cause": "over-limit"},
		wrong:   map[string]string{"cause": "evicted"},
		cases: []fixCase{
			{name: "limit-raised", wantApproach: "limit-raised", apply: memoryLimit("160Mi")},
			{name: "limit-removed", wantFail: "memory-limit", apply: memoryLimit("")},
			{name: "limit-64gi", wantFail: "memory-limit", apply: memoryLimit("64Gi")},
			{name: "alloc-reduced", wantFail: "app-unchanged", apply: func(ctx context.Context, t *testing.T, c kubernetes.Interface, ns string) {
				// Loading less fits under the old limit and stays up, but the
				// thumbnailer then lacks the data it needs.
				editDeployment(ctx, t, c, ns, dep, func(d *appsv1.Deployment) {
					container(&d.Spec.Template.Spec, ctr).Args = []string{"--alloc-mb=32", "--alloc-step-mb=16", "--listen=:8080"}
				})
			}},
		},
	}
}
