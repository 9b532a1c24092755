package ledgerconfig_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/scenariotest"
)

// Scenario is the incident as the catalogue loads it: data only.
func Scenario() scenarios.Scenario { return scenarios.MustGet("ledger-api-not-starting") }

var values = scenarios.Values{Image: "crashlab.local/workload:abc-amd64", ForeignImage: "crashlab.local/workload:def-amd64", NodeArch: "amd64"}

func cm(name string, data map[string]string) runtime.Object {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Data: data}
}

func ref(name, key string) func(*corev1.Container) {
	return func(c *corev1.Container) {
		e := podstate.Env(c, "LEDGER_DB_HOST")
		e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key = name, key
	}
}

// The fixes in fixes/ are replayed by scenarios/fixes; these cases probe the
// edges of the env check, with the ConfigMaps a learner may have made.
func TestEnvEdges(t *testing.T) {
	settings := cm("ledger-settings", map[string]string{"db_host": "ledger-db.internal:5432", "currency": "EUR"})
	tests := []struct {
		name         string
		edit         func(*corev1.Container)
		extra        []runtime.Object
		wantFirst    string
		wantApproach string
	}{
		{name: "the broken reference", wantFirst: "env-LEDGER_DB_HOST"},
		{name: "reference fixed", edit: ref("ledger-settings", "db_host"), wantApproach: "reference-fixed"},
		{name: "the named ConfigMap created with the real host", extra: []runtime.Object{cm("ledger-config", map[string]string{"db_host": "ledger-db.internal:5432"})}, wantApproach: "configmap-created"},
		{name: "the named ConfigMap created without the key", extra: []runtime.Object{cm("ledger-config", map[string]string{"host": "ledger-db.internal:5432"})}, wantFirst: "env-LEDGER_DB_HOST"},
		{name: "the real ConfigMap but another key", edit: ref("ledger-settings", "currency"), wantFirst: "env-LEDGER_DB_HOST"},
		{name: "a third copy under another name", edit: ref("ledger-copy", "db_host"), extra: []runtime.Object{cm("ledger-copy", map[string]string{"db_host": "ledger-db.internal:5432"})}, wantFirst: "env-LEDGER_DB_HOST"},
		{name: "from a Secret instead", edit: func(c *corev1.Container) {
			podstate.Env(c, "LEDGER_DB_HOST").ValueFrom = &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "db_host"}}
		}, wantFirst: "env-LEDGER_DB_HOST"},
	}
	s := Scenario()
	b, err := s.Render(values)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scenariotest.Judge(t, s, b, "ns", s.FixChecks(b), scenariotest.Edit{Container: tt.edit, Objects: append([]runtime.Object{settings}, tt.extra...)})
			assert.Equal(t, tt.wantFirst, j.First, "%v", j.Messages)
			assert.Equal(t, tt.wantApproach, j.Approach)
		})
	}
}
