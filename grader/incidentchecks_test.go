package grader

import (
	"testing"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func stateWithContainer(image, nodeName string) *podstate.State {
	d := newDeployment("1", 1)
	d.Spec.Template.Spec.NodeName = nodeName
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: image}}
	return &podstate.State{Target: target, Deployment: d}
}

func TestReleasedImage(t *testing.T) {
	tests := []struct {
		name, image, want string
	}{
		{"released", "app:released", ""},
		{"still broken", "app:broken", "still app:broken"},
		{"another image", "pause:3", "pause:3 is not released"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, refused := ReleasedImage(stateWithContainer(tt.image, ""), "app:broken", "app:released", "still %s", "%s is not released")
			if tt.want == "" {
				require.Nil(t, refused)
				assert.Equal(t, tt.image, c.Image)
				return
			}
			require.NotNil(t, refused)
			assert.False(t, refused.Passed)
			assert.Equal(t, tt.want, refused.Message)
		})
	}
	_, refused := ReleasedImage(&podstate.State{Target: target}, "a", "b", "%s", "%s")
	require.NotNil(t, refused, "no container is never the released image")
}

func TestSchedulerDecides(t *testing.T) {
	check := SchedulerDecides("; let the scheduler place them")
	assert.Equal(t, "scheduler-decides", check.Name)
	assert.True(t, check.Run(stateWithContainer("x", "")).Passed)
	r := check.Run(stateWithContainer("x", "node-1"))
	assert.False(t, r.Passed)
	assert.Equal(t, "the pod template pins its pods to node node-1 with nodeName: that skips the scheduler; let the scheduler place them", r.Message)
	assert.False(t, check.Run(&podstate.State{Target: target}).Passed, "no template is no pass")
}
