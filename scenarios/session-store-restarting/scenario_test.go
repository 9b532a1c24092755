package stsconfig_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const ns = "crashlab-test-session-store-restarting"

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("session-store-restarting") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload-foreign:abc-arm64-as-amd64", NodeArch: "amd64"}

// live returns the baseline's StatefulSet and ConfigMap as the API server
// stores them.
func live(t *testing.T, b scenarios.Baseline) (*appsv1.StatefulSet, *corev1.ConfigMap) {
	t.Helper()
	var sts *appsv1.StatefulSet
	var cm *corev1.ConfigMap
	for _, o := range b.Objects {
		switch v := o.(type) {
		case *appsv1.StatefulSet:
			sts = v.DeepCopy()
		case *corev1.ConfigMap:
			cm = v.DeepCopy()
		}
	}
	require.NotNil(t, sts)
	require.NotNil(t, cm)
	sts.Namespace, sts.UID, cm.Namespace = ns, "sts-uid", ns
	return sts, cm
}

func urlEnv(s *appsv1.StatefulSet) *corev1.EnvVar { return &s.Spec.Template.Spec.Containers[0].Env[0] }

// The fixes a learner would make are data in fixes/; these cases probe the
// edges of the scenario's own check, including the StatefulSet edits that
// fixes/ steps cannot make yet.
func TestSnapshotURLCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*appsv1.StatefulSet, *corev1.ConfigMap, *[]runtime.Object)
		pass   bool
		want   string
		keep   string // non-empty: app-unchanged must refuse
	}{
		{name: "broken baseline", change: func(*appsv1.StatefulSet, *corev1.ConfigMap, *[]runtime.Object) {}, want: "is not the snapshot bucket"},
		{name: "ConfigMap fixed", change: func(_ *appsv1.StatefulSet, cm *corev1.ConfigMap, _ *[]runtime.Object) {
			cm.Data["snapshot_url"] = "s3://sessions-snapshots"
		}, pass: true},
		{name: "ConfigMap fixed with a trailing slash", change: func(_ *appsv1.StatefulSet, cm *corev1.ConfigMap, _ *[]runtime.Object) {
			cm.Data["snapshot_url"] = "s3://sessions-snapshots/"
		}, pass: true},
		{name: "template given the URL as a value", change: func(s *appsv1.StatefulSet, _ *corev1.ConfigMap, _ *[]runtime.Object) {
			*urlEnv(s) = corev1.EnvVar{Name: "SNAPSHOT_URL", Value: "s3://sessions-snapshots"}
		}, pass: true},
		{name: "template points at a Secret holding the URL", change: func(s *appsv1.StatefulSet, _ *corev1.ConfigMap, extra *[]runtime.Object) {
			*urlEnv(s) = corev1.EnvVar{Name: "SNAPSHOT_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "snapshots"}, Key: "url"}}}
			*extra = append(*extra, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "snapshots", Namespace: ns}, Data: map[string][]byte{"url": []byte("s3://sessions-snapshots")}})
		}, pass: true},
		{name: "template points at a ConfigMap that does not exist", change: func(s *appsv1.StatefulSet, _ *corev1.ConfigMap, _ *[]runtime.Object) {
			urlEnv(s).ValueFrom.ConfigMapKeyRef.Name = "session-store-settings"
		}, want: "does not exist"},
		{name: "a later duplicate wins", change: func(s *appsv1.StatefulSet, cm *corev1.ConfigMap, _ *[]runtime.Object) {
			cm.Data["snapshot_url"] = "s3://sessions-snapshots"
			c := &s.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "SNAPSHOT_URL", Value: "s3://placeholder"})
		}, want: "is not the snapshot bucket"},
		{name: "URL check switched off", change: func(s *appsv1.StatefulSet, cm *corev1.ConfigMap, _ *[]runtime.Object) {
			cm.Data["snapshot_url"] = "s3://sessions-snapshots"
			s.Spec.Template.Spec.Containers[0].Args = []string{"--log=session store starting", "--listen=:8080"}
		}, pass: true, keep: "args"},
		{name: "variable removed", change: func(s *appsv1.StatefulSet, _ *corev1.ConfigMap, _ *[]runtime.Object) {
			s.Spec.Template.Spec.Containers[0].Env = nil
		}, want: "no longer set"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts, cm := live(t, b)
			var extra []runtime.Object
			tt.change(sts, cm, &extra)
			c := fake.NewClientset(append([]runtime.Object{sts, cm}, extra...)...)
			st, err := podstate.LoadState(context.Background(), c, s.Target(ns), map[string]string{"StatefulSet/session-store": "sts-uid"})
			require.NoError(t, err)
			var got *grader.Result
			for _, ch := range s.FixChecks(b) {
				if ch.Name == "app-unchanged" {
					r := ch.Run(st)
					assert.Equal(t, tt.keep == "", r.Passed, r.Message)
				}
				if ch.Name == "env-SNAPSHOT_URL" {
					r := ch.Run(st)
					got = &r
				}
			}
			require.NotNil(t, got, "the scenario checks SNAPSHOT_URL")
			assert.Equal(t, tt.pass, got.Passed, got.Message)
			if tt.pass {
				assert.Equal(t, "snapshot-url-fixed", got.Approach)
				return
			}
			assert.Contains(t, got.Message, tt.want)
			assert.Empty(t, got.Approach)
		})
	}
}
