package celcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/podstate"
)

func stateWith(c corev1.Container, secrets ...*corev1.Secret) *podstate.State {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"}}
	d.Spec.Template.Spec.Containers = []corev1.Container{c}
	s := &podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"},
		Deployment: d, Secrets: map[string]*corev1.Secret{}}
	for _, sec := range secrets {
		s.Secrets[sec.Name] = sec
	}
	return s
}

func TestCompileRefusesWhatCannotRun(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"no name", Spec{Cases: []Case{{Pass: "ok"}}}, "needs a name"},
		{"no cases", Spec{Name: "c"}, "needs cases"},
		{"both sentences", Spec{Name: "c", Cases: []Case{{Pass: "a", Fail: "b"}}}, "exactly one of fail and pass"},
		{"no sentence", Spec{Name: "c", Cases: []Case{{When: "true"}}}, "exactly one of fail and pass"},
		{"approach on a failure", Spec{Name: "c", Cases: []Case{{Fail: "x", Approach: "a"}}}, "approach but does not pass"},
		{"otherwise not last", Spec{Name: "c", Cases: []Case{{Fail: "x"}, {Pass: "y"}}}, "make it the last"},
		{"syntax", Spec{Name: "c", Cases: []Case{{When: "container.image ==", Fail: "x"}}}, "case 1 when"},
		{"unknown variable", Spec{Name: "c", Cases: []Case{{When: "pod_spec.image == ''", Fail: "x"}}}, "undeclared reference"},
		{"when not bool", Spec{Name: "c", Cases: []Case{{When: "'yes'", Fail: "x"}}}, "not bool"},
		{"message not string", Spec{Name: "c", Cases: []Case{{Fail: "x", MessageExpression: "1 + 2"}}}, "not string"},
		{"unknown function", Spec{Name: "c", Cases: []Case{{When: "nosuch(container)", Fail: "x"}}}, "undeclared reference"},
		{"duplicate variable", Spec{Name: "c", Variables: []Variable{{"a", "1"}, {"a", "2"}}, Cases: []Case{{Pass: "x"}}}, "unique name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.spec)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestChecksJudgeTheLiveState(t *testing.T) {
	spec := Spec{Name: "env-URL",
		Variables: []Variable{{"env", "env(container, 'URL')"}},
		Cases: []Case{
			{When: "variables.env == null", Fail: "URL is not set"},
			{When: "!has(variables.env.valueFrom)", Fail: "written in", MessageExpression: "'URL is written in as %s'.format([variables.env.value])"},
			{When: "!(variables.env.valueFrom.secretKeyRef.name in secrets) || !(variables.env.valueFrom.secretKeyRef.key in secrets[variables.env.valueFrom.secretKeyRef.name])", Fail: "no such key"},
			{When: "secrets[variables.env.valueFrom.secretKeyRef.name][variables.env.valueFrom.secretKeyRef.key] == baseSecrets['db']['url']", Pass: "the real URL", Approach: "ref-fixed"},
		},
	}
	c, err := Compile(spec)
	require.NoError(t, err)
	baseSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"url": "postgres://x"}}
	check := c.Grader(Inputs{Secrets: []*corev1.Secret{baseSecret}})
	ref := func(name, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: "URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}}
	}
	live := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Data: map[string][]byte{"url": []byte("postgres://x"), "other": []byte("y")}}
	tests := []struct {
		name     string
		env      []corev1.EnvVar
		pass     bool
		message  string
		approach string
	}{
		{"unset", nil, false, "URL is not set", ""},
		{"literal", []corev1.EnvVar{{Name: "URL", Value: "postgres://x"}}, false, "URL is written in as postgres://x", ""},
		{"missing key", []corev1.EnvVar{ref("db", "nope")}, false, "no such key", ""},
		{"missing secret", []corev1.EnvVar{ref("nodb", "url")}, false, "no such key", ""},
		{"right key", []corev1.EnvVar{ref("db", "url")}, true, "the real URL", "ref-fixed"},
		{"the last duplicate wins", []corev1.EnvVar{ref("db", "url"), {Name: "URL", Value: "x"}}, false, "URL is written in as x", ""},
		// No case holds: a key with another value. Never a pass.
		{"no case holds", []corev1.EnvVar{ref("db", "other")}, false, "no case of check env-URL holds", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check.Run(stateWith(corev1.Container{Name: "app", Image: "i", Env: tt.env}, live))
			assert.Equal(t, tt.pass, r.Passed, r.Message)
			assert.Contains(t, r.Message, tt.message)
			assert.Equal(t, tt.approach, r.Approach)
		})
	}
}

func TestEvaluationErrorsFailClosed(t *testing.T) {
	// container.livenessProbe is absent: reading it errors, and the check
	// fails rather than passing.
	c, err := Compile(Spec{Name: "probe", Cases: []Case{{When: "container.livenessProbe.periodSeconds > 0", Pass: "ok"}, {Pass: "otherwise"}}})
	require.NoError(t, err)
	r := c.Grader(Inputs{}).Run(stateWith(corev1.Container{Name: "app"}))
	assert.False(t, r.Passed)
	assert.Contains(t, r.Message, "could not judge check probe")
	// The workload is gone: container is null.
	c, err = Compile(Spec{Name: "gone", Cases: []Case{{When: "container == null", Fail: "gone"}, {Pass: "here"}}})
	require.NoError(t, err)
	r = c.Grader(Inputs{}).Run(&podstate.State{Target: podstate.Target{Kind: podstate.KindDeployment, Name: "api", Container: "app"}})
	assert.False(t, r.Passed)
	assert.Equal(t, "gone", r.Message)
}

func TestLabFunctions(t *testing.T) {
	tests := []struct {
		expr string
		args []string
		want bool
	}{
		{"flag(container.args, 'start-delay') == '20s'", []string{"--start-delay=20s"}, true},
		{"flag(container.args, 'start-delay') == '20s'", []string{"--start-delay", "20s"}, true},
		{"flag(container.args, 'start-delay') == ''", []string{"--listen=:8080"}, true},
		{"hasFlag(container.args, 'verbose')", []string{"--verbose"}, true},
		{"hasFlag(container.args, 'verbose')", []string{"--verbose-x"}, false},
		{"duration(flag(container.args, 'start-delay')) > duration('10s')", []string{"--start-delay=20s"}, true},
		// Defaults: period 10s, threshold 3; timeout 1s.
		{"probeBudget(container.livenessProbe) == duration('35s')", []string{}, true},
		{"probeHangDetection(container.livenessProbe, duration('20s')) == duration('30s')", []string{}, true},
		{"probeHangDetection(container.livenessProbe, duration('1s')) == duration('34s')", []string{}, true},
		{"quantity(container.resources.limits.memory).compareTo(quantity('64Mi')) > 0", []string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := Compile(Spec{Name: "f", Cases: []Case{{When: tt.expr, Pass: "yes"}, {Fail: "no"}}})
			require.NoError(t, err)
			ctr := corev1.Container{Name: "app", Args: tt.args,
				LivenessProbe: &corev1.Probe{InitialDelaySeconds: 5},
				Resources:     corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: mustQuantity("128Mi")}}}
			r := c.Grader(Inputs{}).Run(stateWith(ctr))
			assert.Equal(t, tt.want, r.Passed, r.Message)
		})
	}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
