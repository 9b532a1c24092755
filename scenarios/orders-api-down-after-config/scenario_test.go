package missingsecretkey_test

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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ns = "crashlab-orders-api-down-after-config"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("orders-api-down-after-config") }

var values = scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}

// live returns the baseline's Deployment and Secret as the API server stores
// them: in the namespace, with a UID, and stringData folded into data.
func live(t *testing.T, b scenarios.Baseline) (*appsv1.Deployment, *corev1.Secret) {
	t.Helper()
	d := b.Deployment("orders-api").DeepCopy()
	require.NotNil(t, d)
	d.Namespace, d.UID = ns, "dep-uid"
	sec := b.Secret("orders-db").DeepCopy()
	require.NotNil(t, sec)
	sec.Namespace = ns
	sec.Data = map[string][]byte{}
	for k, v := range sec.StringData {
		sec.Data[k] = []byte(v)
	}
	sec.StringData = nil
	return d, sec
}

func appContainer(d *appsv1.Deployment) *corev1.Container {
	for i := range d.Spec.Template.Spec.Containers {
		if d.Spec.Template.Spec.Containers[i].Name == "app" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

func dbEnv(d *appsv1.Deployment) *corev1.EnvVar { return podstate.Env(appContainer(d), "DATABASE_URL") }

// The fixes a learner would make, accepted or refused, are data in fixes/ and
// are replayed for every scenario by scenarios/fixes (and on a real cluster by
// the e2e suite); the cases here probe the edges of this scenario's checks.
func TestFixChecks(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	_, baseSecret := live(t, b)
	realURL := string(baseSecret.Data["database_url"])
	require.NotEmpty(t, realURL)

	tests := []struct {
		name         string
		change       func(d *appsv1.Deployment, sec *corev1.Secret, extra *[]runtime.Object)
		wantEnv      bool
		wantApp      bool
		wantApproach string
	}{
		{name: "unchanged broken workload fails", change: func(*appsv1.Deployment, *corev1.Secret, *[]runtime.Object) {}, wantEnv: false, wantApp: true},
		{name: "reference fixed and made non-optional", change: func(d *appsv1.Deployment, _ *corev1.Secret, _ *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "database_url"
			dbEnv(d).ValueFrom.SecretKeyRef.Optional = nil
		}, wantEnv: true, wantApp: true, wantApproach: "reference-fixed"},
		{name: "missing key added to the Secret with the real URL", change: func(_ *appsv1.Deployment, sec *corev1.Secret, _ *[]runtime.Object) {
			sec.Data["database-url"] = []byte(realURL)
		}, wantEnv: true, wantApp: true, wantApproach: "secret-key-added"},
		{name: "existing key's value replaced, reference fixed", change: func(d *appsv1.Deployment, sec *corev1.Secret, _ *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "database_url"
			sec.Data["database_url"] = []byte("postgres://localhost/test")
		}, wantEnv: false, wantApp: true},
		{name: "reference to a Secret that does not exist", change: func(d *appsv1.Deployment, _ *corev1.Secret, _ *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Name = "orders-db-v2"
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "database_url"
		}, wantEnv: false, wantApp: true},
		{name: "reference to another Secret holding the real URL is legitimate", change: func(d *appsv1.Deployment, _ *corev1.Secret, extra *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Name = "orders-db-v2"
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "url"
			*extra = append(*extra, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-db-v2", Namespace: ns}, Data: map[string][]byte{"url": []byte(realURL)}})
		}, wantEnv: true, wantApp: true},
		{name: "command overridden", change: func(d *appsv1.Deployment, _ *corev1.Secret, _ *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "database_url"
			appContainer(d).Command = []string{"/bin/sleep", "infinity"}
		}, wantEnv: true, wantApp: false},
		{name: "image swapped", change: func(d *appsv1.Deployment, _ *corev1.Secret, _ *[]runtime.Object) {
			dbEnv(d).ValueFrom.SecretKeyRef.Key = "database_url"
			appContainer(d).Image = "nginx:latest"
		}, wantEnv: true, wantApp: false},
		{name: "container renamed", change: func(d *appsv1.Deployment, _ *corev1.Secret, _ *[]runtime.Object) {
			appContainer(d).Name = "main"
		}, wantEnv: false, wantApp: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, sec := live(t, b)
			var extra []runtime.Object
			tt.change(d, sec, &extra)
			cs := fake.NewClientset(append([]runtime.Object{d, sec}, extra...)...)
			st, err := podstate.LoadState(context.Background(), cs, s.Target(ns), map[string]string{"Deployment/orders-api": "dep-uid"})
			require.NoError(t, err)

			got := map[string]grader.Result{}
			var envName string
			for _, c := range s.FixChecks(b) {
				got[c.Name] = c.Run(st)
				if strings.HasPrefix(c.Name, "env-") {
					envName = c.Name
				}
			}
			require.Contains(t, got, "app-unchanged")
			require.NotEmpty(t, envName, "a check on the env variable")
			assert.True(t, got["workload-kept"].Passed, got["workload-kept"].Message)
			assert.True(t, got["no-stand-ins"].Passed, got["no-stand-ins"].Message)
			assert.Equal(t, tt.wantApp, got["app-unchanged"].Passed, got["app-unchanged"].Message)
			assert.Equal(t, tt.wantEnv, got[envName].Passed, got[envName].Message)
			assert.NotEmpty(t, got[envName].Message)
			if tt.wantApproach != "" {
				assert.Equal(t, tt.wantApproach, got[envName].Approach)
			}
			if !tt.wantEnv {
				assert.Empty(t, got[envName].Approach, "no approach for a failed fix")
			}
		})
	}
}

// TestDiagnosisOnTheIncident observes pods built from the rendered Deployment
// the way the kubelet reports the incident, and grades the scenario's own
// questions against them: the right cause must be borne out, the others not.
func TestDiagnosisOnTheIncident(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	d, sec := live(t, b)
	d.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-api-1", Namespace: ns, UID: "rs-uid", Labels: d.Spec.Template.Labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: d.Name, UID: d.UID}}},
		Spec: appsv1.ReplicaSetSpec{Selector: d.Spec.Selector},
	}
	objs := []runtime.Object{d, sec, rs}
	for _, name := range []string{"orders-api-1-a", "orders-api-1-b"} {
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Labels: d.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID}}},
			Spec: d.Spec.Template.Spec,
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", RestartCount: 3,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					Reason: "Error", ExitCode: 1, StartedAt: metav1.NewTime(time.Now().Add(-time.Minute)), FinishedAt: metav1.NewTime(time.Now()),
				}},
			}}},
		})
	}
	o := &podstate.Observer{Client: fake.NewClientset(objs...), Logs: func(context.Context, string, string, string) (string, error) {
		return "config check failed: required environment variable DATABASE_URL is not set", nil
	}}
	facts, err := o.Observe(context.Background(), s.Target(ns))
	require.NoError(t, err)
	require.Len(t, facts.Pods, 2)

	ok, err := podstate.SignatureHolds(facts, s.Workload.Container, s.Signature)
	require.NoError(t, err)
	assert.True(t, ok, "the scenario's failure signature holds on the incident")

	var causeQ grader.Question
	for _, q := range s.Questions {
		if len(q.Choices) > 0 {
			causeQ = q
		}
	}
	require.NotEmpty(t, causeQ.ID, "the scenario asks for the cause")
	held := 0
	for _, c := range causeQ.Choices {
		v := grader.JudgeDiagnosis(s.ID, s.Workload.Container, []grader.Question{causeQ}, map[string]string{causeQ.ID: c.ID}, facts)
		if v.Passed {
			held++
			assert.Equal(t, "missing-variable", c.ID, "only the missing variable explains the incident")
		}
	}
	assert.Equal(t, 1, held, "exactly one cause is borne out")

	answers := map[string]string{causeQ.ID: "missing-variable"}
	for _, q := range s.Questions {
		switch q.Fact {
		case grader.FactLastReason:
			answers[q.ID] = "Error"
		case grader.FactLastExitCode:
			answers[q.ID] = "1"
		}
	}
	v := grader.JudgeDiagnosis(s.ID, s.Workload.Container, s.Questions, answers, facts)
	assert.True(t, v.Passed, "%+v", v.Checks)
}

func TestScenarioMetadata(t *testing.T) {
	s := Scenario()
	assert.Equal(t, "orders-api-down-after-config", s.ID)
	b, err := s.Render(values)
	require.NoError(t, err)
	c := b.Container(s.Workload.Name, s.Workload.Container)
	require.NotNil(t, c)
	assert.Equal(t, values.Image, c.Image, "the workload runs the lab image")
	d := b.Deployment(s.Workload.Name)
	require.NotNil(t, d.Spec.Replicas)
	assert.Equal(t, s.Workload.Replicas, *d.Spec.Replicas, "scenario.yaml and the manifest agree on replicas")
	ref := dbEnv(d).ValueFrom.SecretKeyRef
	require.NotNil(t, b.Secret(ref.Name), "the referenced Secret ships with the scenario")
	_, hasKey := b.Secret(ref.Name).StringData[ref.Key]
	assert.False(t, hasKey, "the broken reference names a key the Secret lacks")
	assert.True(t, ref.Optional != nil && *ref.Optional, "optional, so the app itself exits (not CreateContainerConfigError)")
}

func TestReferenceToAnotherSecretIsNotReportedAsKeyAdded(t *testing.T) {
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	d, sec := live(t, b)
	dbEnv(d).ValueFrom.SecretKeyRef.Name = "orders-db-v2"
	dbEnv(d).ValueFrom.SecretKeyRef.Key = "url"
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-db-v2", Namespace: ns}, Data: map[string][]byte{"url": sec.Data["database_url"]}}
	st, err := podstate.LoadState(context.Background(), fake.NewClientset(d, sec, other), s.Target(ns), nil)
	require.NoError(t, err)
	for _, c := range s.FixChecks(b) {
		if strings.HasPrefix(c.Name, "env-") {
			r := c.Run(st)
			require.True(t, r.Passed, r.Message)
			assert.Equal(t, "reference-repointed", r.Approach, "no key was added to any Secret")
		}
	}
}
