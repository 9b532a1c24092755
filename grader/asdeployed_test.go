package grader

import (
	"testing"

	"github.com/crashlab/crashlab/podstate"
	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func TestChangesSinceStart(t *testing.T) {
	deploy := func(gen int64, uid string, cmName string) appsv1.Deployment {
		d := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", UID: types.UID(uid), Generation: gen}}
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Env: []corev1.EnvVar{
			{Name: "URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "url"}}},
			{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: cmName}, Key: "mode"}}},
		}}}
		return d
	}
	baseDeploy := deploy(0, "", "settings")
	baseSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"url": "postgres://x"}}
	baseline := []runtime.Object{&baseDeploy, baseSecret}
	recorded := map[string]string{"Deployment/api": "u1", "Secret/db": "s1"}
	liveSecret := func(v string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", UID: "s1"}, Data: map[string][]byte{"url": []byte(v)}}
	}
	tests := []struct {
		name  string
		state podstate.State
		want  []string
	}{
		{"as deployed: stringData folded into data, generation 1", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
		}, nil},
		{"a template edit, a scale or a rollout restart raises the generation", podstate.State{
			Deployments: []appsv1.Deployment{deploy(2, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
		}, []string{"Deployment api's spec was changed (generation 2)"}},
		{"deleted and created again", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u2", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
		}, []string{"Deployment api was deleted and created again"}},
		{"the Secret's data changed", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://y")},
		}, []string{"Secret db's data was changed"}},
		{"the Secret deleted", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{},
		}, []string{"Secret db was deleted"}},
		{"a ConfigMap the workload reads, missing at the start, created since", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
			ConfigMaps:  map[string]*corev1.ConfigMap{"settings": {ObjectMeta: metav1.ObjectMeta{Name: "settings"}}},
		}, []string{"ConfigMap settings, which the workload reads, was created after the start"}},
		{"the control plane's CA, published into every namespace and mounted into every pod, is not the learner's", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
			ConfigMaps:  map[string]*corev1.ConfigMap{"kube-root-ca.crt": {ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt"}}},
			Pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "task"}, Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{
				Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}}}}}}}}}},
		}, nil},
		{"a ConfigMap nothing reads is not the incident's", podstate.State{
			Deployments: []appsv1.Deployment{deploy(1, "u1", "settings")},
			Secrets:     map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
			ConfigMaps:  map[string]*corev1.ConfigMap{"notes": {ObjectMeta: metav1.ObjectMeta{Name: "notes"}}},
		}, nil},
		{"the workload deleted", podstate.State{
			Secrets: map[string]*corev1.Secret{"db": liveSecret("postgres://x")},
		}, []string{"Deployment api was deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.state
			st.Recorded = recorded
			if st.ConfigMaps == nil {
				st.ConfigMaps = map[string]*corev1.ConfigMap{}
			}
			assert.Equal(t, tt.want, ChangesSinceStart(&st, baseline))
		})
	}
}

func TestChangesSinceStartOfABarePod(t *testing.T) {
	pod := func(image string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "task", UID: "p1"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}
	}
	baseline := []runtime.Object{pod("img:1")}
	for _, tt := range []struct {
		image string
		want  []string
	}{{"img:1", nil}, {"img:2", []string{"Pod task's containers were changed"}}} {
		st := podstate.State{Recorded: map[string]string{"Pod/task": "p1"}, Pods: []corev1.Pod{*pod(tt.image)}}
		assert.Equal(t, tt.want, ChangesSinceStart(&st, baseline), tt.image)
	}
}

// A stand-in next to the broken workload is a change to refuse by name, not
// "nothing changed"; the lab's own objects and the control plane's CA are
// not the learner's.
func TestUntouched(t *testing.T) {
	d := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", UID: "u1", Generation: 1}}
	baseline := []runtime.Object{&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"}}}
	base := func() podstate.State {
		return podstate.State{Recorded: map[string]string{"Deployment/api": "u1"}, Deployments: []appsv1.Deployment{d},
			Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{
				"kube-root-ca.crt": {ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt"}},
				"crashlab-attempt": {ObjectMeta: metav1.ObjectMeta{Name: "crashlab-attempt", Labels: map[string]string{"crashlab.dev/record": "attempt"}}},
			}}
	}
	tests := []struct {
		name   string
		change func(s *podstate.State)
		want   bool
	}{
		{"as deployed", func(*podstate.State) {}, true},
		{"a stand-in Deployment", func(s *podstate.State) {
			s.Deployments = append(s.Deployments, appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api-2", UID: "x"}})
		}, false},
		{"a bare pod", func(s *podstate.State) { s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}) }, false},
		{"a new Secret", func(s *podstate.State) { s.Secrets["creds"] = &corev1.Secret{} }, false},
		{"the workload's own pods", func(s *podstate.State) {
			s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-x", OwnerReferences: []metav1.OwnerReference{{Name: "api-rs"}}}})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			assert.Equal(t, tt.want, Untouched(&s, baseline))
		})
	}
}
