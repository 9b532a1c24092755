package grader

import (
	"testing"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var thumbnailerRule = LimitRule{Name: "memory-limit", NeedArg: "--alloc-mb", MinHeadroomMiB: 16, HeadroomDivisor: 4, MaxFactor: 4, Approach: "limit-raised"}

func TestMemoryLimitWithinTheNeed(t *testing.T) {
	node := []corev1.Node{{Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}}}}
	base := &corev1.Container{Name: "app", Args: []string{"--alloc-mb=96", "--listen=:8080"}}
	tests := []struct {
		name, limit, request string
		nodes                []corev1.Node
		pass                 bool
		wantMessage          string
	}{
		{name: "lowest limit with headroom", limit: "120Mi", nodes: node, pass: true},
		{name: "four times the need", limit: "384Mi", nodes: node, pass: true},
		{name: "request raised with the limit", limit: "192Mi", request: "192Mi", nodes: node, pass: true},
		{name: "decimal units", limit: "150M", nodes: node, pass: true},
		{name: "no headroom", limit: "100Mi", nodes: node, wantMessage: "at least 120Mi"},
		{name: "no limit", nodes: node, wantMessage: "no memory limit"},
		{name: "above the node", limit: "64Gi", nodes: node, wantMessage: "more than the node can give"},
		{name: "far above the need", limit: "1Gi", nodes: node, wantMessage: "more than 4 times"},
		{name: "request above the limit", limit: "150Mi", request: "200Mi", nodes: node, wantMessage: "request 200Mi is above the limit"},
		{name: "without nodes only the factor bounds it", limit: "300Mi", pass: true},
		{name: "without nodes the factor still refuses", limit: "400Mi", wantMessage: "more than 4 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base.DeepCopy()
			c.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{}, Requests: corev1.ResourceList{}}
			if tt.limit != "" {
				c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse(tt.limit)
			}
			if tt.request != "" {
				c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(tt.request)
			}
			d := newDeployment("1", 1)
			d.Spec.Template.Spec.Containers = []corev1.Container{*c}
			s := &podstate.State{Target: target, Deployment: d, Nodes: tt.nodes}
			r := MemoryLimitWithin(thumbnailerRule, base).Run(s)
			assert.Equal(t, tt.pass, r.Passed, r.Message)
			if tt.pass {
				assert.Equal(t, "limit-raised", r.Approach)
			} else {
				assert.Contains(t, r.Message, tt.wantMessage)
			}
		})
	}
	t.Run("a baseline without the need argument fails closed", func(t *testing.T) {
		d := newDeployment("1", 1)
		r := MemoryLimitWithin(thumbnailerRule, &corev1.Container{Args: []string{"--listen=:8080"}}).Run(&podstate.State{Target: target, Deployment: d})
		assert.False(t, r.Passed)
		assert.Contains(t, r.Message, "cannot tell what the app needs")
	})
}

func TestArgMiB(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    int64
		wantErr bool
	}{
		{name: "flag with equals sign", args: []string{"--alloc-mb=96", "--listen=:8080"}, want: 96},
		{name: "flag and value apart", args: []string{"--listen=:8080", "--alloc-mb", "48"}, want: 48},
		{name: "no flag", args: []string{"--listen=:8080"}, wantErr: true},
		{name: "not a number", args: []string{"--alloc-mb=lots"}, wantErr: true},
		{name: "zero", args: []string{"--alloc-mb=0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ArgMiB(tt.args, "--alloc-mb")
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAppUnchangedKeepsProbesAndLimits(t *testing.T) {
	base := &corev1.Container{Name: "app", Image: "i", Args: []string{"--x"},
		LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}}},
		Resources:     corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}}
	parts := AppParts{Image: true, Args: true, LivenessProbe: true, MemoryLimit: true}
	tests := []struct {
		name string
		edit func(*corev1.Container)
		pass bool
	}{
		{name: "as released", edit: func(*corev1.Container) {}, pass: true},
		{name: "the probe as the API server fills in its defaults", pass: true, edit: func(c *corev1.Container) {
			c.LivenessProbe.PeriodSeconds, c.LivenessProbe.TimeoutSeconds, c.LivenessProbe.FailureThreshold, c.LivenessProbe.SuccessThreshold = 10, 1, 3, 1
			c.LivenessProbe.HTTPGet.Scheme = corev1.URISchemeHTTP
		}},
		{name: "the limit in other units", edit: func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("67108864") }, pass: true},
		{name: "probe loosened", edit: func(c *corev1.Container) { c.LivenessProbe.FailureThreshold = 30 }},
		{name: "probe removed", edit: func(c *corev1.Container) { c.LivenessProbe = nil }},
		{name: "limit raised", edit: func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("1Gi") }},
		{name: "limit removed", edit: func(c *corev1.Container) { c.Resources.Limits = nil }},
		{name: "args changed", edit: func(c *corev1.Container) { c.Args = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base.DeepCopy()
			tt.edit(c)
			d := newDeployment("1", 1)
			d.Spec.Template.Spec.Containers = []corev1.Container{*c}
			r := AppUnchanged(base, parts, "changed", "kept").Run(&podstate.State{Target: target, Deployment: d})
			assert.Equal(t, tt.pass, r.Passed, r.Message)
		})
	}
}
