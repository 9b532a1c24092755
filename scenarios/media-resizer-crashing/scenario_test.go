package nativesegfault

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

const testNS = "crashlab-test-media-resizer-crashing"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("media-resizer-crashing") }

const (
	envName   = "IMAGE_CODEC"
	configMap = "resizer-settings"
)

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:abc-arm64-as-amd64", NodeArch: "amd64"}

func settings(codec string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: configMap, Namespace: testNS}, Data: map[string]string{envName: codec, "MAX_WIDTH": "2048"}}
}

func setEnv(env ...corev1.EnvVar) func(*corev1.Container) {
	return func(c *corev1.Container) { c.Env = env }
}

// The fixes a learner would make, accepted or refused, are data in fixes/;
// the cases here probe how the check resolves the variable.
func TestCodecSetting(t *testing.T) {
	fromCM := func(name string) corev1.EnvVar {
		return corev1.EnvVar{Name: envName, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: envName}}}
	}
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "resizer-settings-v2", Namespace: testNS}, Data: map[string]string{envName: "portable"}}
	tests := []struct {
		name         string
		edit         func(*corev1.Container)
		objs         []runtime.Object
		wantFail     string
		wantApproach string
		wantMessage  string
	}{
		{name: "broken baseline is refused", objs: []runtime.Object{settings("native")}, wantFail: "codec-setting", wantMessage: "still native"},
		{name: "ConfigMap set back", objs: []runtime.Object{settings("portable")}, wantApproach: "setting-reverted"},
		{name: "ConfigMap gone is refused", wantFail: "codec-setting", wantMessage: "does not exist"},
		{name: "value in the Deployment", objs: []runtime.Object{settings("native")}, edit: setEnv(corev1.EnvVar{Name: envName, Value: "portable"}), wantApproach: "deployment-overrides"},
		{name: "a later duplicate wins", objs: []runtime.Object{settings("portable")}, edit: setEnv(fromCM(configMap), corev1.EnvVar{Name: envName, Value: "native"}), wantFail: "codec-setting", wantMessage: "still native"},
		{name: "another ConfigMap holding portable", objs: []runtime.Object{settings("native"), other}, edit: setEnv(fromCM("resizer-settings-v2")), wantApproach: "deployment-overrides"},
		{name: "through envFrom", objs: []runtime.Object{settings("portable")}, edit: func(c *corev1.Container) {
			c.Env = nil
			c.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMap}}}}
		}, wantApproach: "setting-reverted"},
		{name: "empty value is refused", objs: []runtime.Object{settings("")}, wantFail: "codec-setting", wantMessage: "not a codec"},
		{name: "variable removed is refused", objs: []runtime.Object{settings("native")}, edit: setEnv(), wantFail: "codec-setting", wantMessage: "refuses to start"},
	}
	s := Scenario()
	b, err := s.Render(values)
	assert.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, testNS, s.FixChecks(b), scenariotest.Edit{Container: tt.edit, Objects: tt.objs})
			assert.Equal(t, tt.wantFail, j.First, "%v", j.Messages)
			if tt.wantFail == "" {
				assert.Equal(t, tt.wantApproach, j.Approach)
			} else if tt.wantMessage != "" {
				assert.Contains(t, j.Results[j.First].Message, tt.wantMessage)
			}
		})
	}
}
