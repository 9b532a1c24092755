package stuckininit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const ns = "crashlab-test-accounts-api-stuck-in-init"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("accounts-api-stuck-in-init") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:abc-arm64-as-amd64", NodeArch: "amd64"}

const goodURL = "postgres://accounts@accounts-db.prod.internal:5432/accounts"

func migrate(d *appsv1.Deployment) *corev1.Container { return &d.Spec.Template.Spec.InitContainers[0] }

// The fixes a learner would make are data in fixes/; these cases probe the
// edges of the scenario's own checks.
func TestFixChecks(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name         string
		edit         func(*appsv1.Deployment)
		wantFail     string
		wantApproach string
		wantMessage  string
	}{
		{name: "broken baseline is refused", edit: func(*appsv1.Deployment) {}, wantFail: "env-DATABASE_URL", wantMessage: "other than the database URL"},
		{name: "URL corrected", edit: func(d *appsv1.Deployment) { migrate(d).Env[0].Value = goodURL }, wantApproach: "url-corrected"},
		{name: "a later duplicate with a placeholder wins", edit: func(d *appsv1.Deployment) {
			migrate(d).Env[0].Value = goodURL
			migrate(d).Env = append(migrate(d).Env, corev1.EnvVar{Name: "DATABASE_URL", Value: "postgres://placeholder"})
		}, wantFail: "env-DATABASE_URL"},
		{name: "reference to a ConfigMap that does not exist", edit: func(d *appsv1.Deployment) {
			migrate(d).Env[0] = corev1.EnvVar{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "accounts-settings"}, Key: "database_url"}}}
		}, wantFail: "env-DATABASE_URL", wantMessage: "does not exist"},
		{name: "moved into containers", edit: func(d *appsv1.Deployment) {
			c := *migrate(d)
			c.Env[0].Value = goodURL
			d.Spec.Template.Spec.InitContainers = nil
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, c)
		}, wantFail: "migration-kept", wantMessage: "moved from initContainers"},
		{name: "made a native sidecar", edit: func(d *appsv1.Deployment) {
			migrate(d).Env[0].Value = goodURL
			migrate(d).RestartPolicy = &always
		}, wantFail: "migration-kept", wantMessage: "sidecar"},
		{name: "image changed", edit: func(d *appsv1.Deployment) {
			migrate(d).Env[0].Value = goodURL
			migrate(d).Image = values.ForeignImage
		}, wantFail: "migration-kept", wantMessage: "image, command or arguments"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, ns, s.FixChecks(b), scenariotest.Edit{Deployment: tt.edit, Objects: []runtime.Object{b.Objects[0]}})
			if tt.wantFail == "" {
				assert.Empty(t, j.First, "an accepted fix passes every check: %v", j.Messages)
				assert.Equal(t, tt.wantApproach, j.Approach)
				return
			}
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			assert.Contains(t, j.Results[tt.wantFail].Message, tt.wantMessage)
		})
	}
}
