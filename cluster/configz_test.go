package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestParseConfigz(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    KubeletConfig
		wantErr string
	}{
		{
			name: "1.34 with cap and gate",
			raw: `{"kubeletconfig":{"enableServer":true,"crashLoopBackOff":{"maxContainerRestartPeriod":"10s"},
				"featureGates":{"KubeletCrashLoopBackOffMax":true},"cgroupDriver":"systemd"}}`,
			want: KubeletConfig{MaxContainerRestartPeriod: 10 * time.Second, FeatureGates: map[string]bool{"KubeletCrashLoopBackOffMax": true}},
		},
		{
			name: "cap in minutes",
			raw:  `{"kubeletconfig":{"crashLoopBackOff":{"maxContainerRestartPeriod":"1m30s"}}}`,
			want: KubeletConfig{MaxContainerRestartPeriod: 90 * time.Second, FeatureGates: map[string]bool{}},
		},
		{
			name: "field not set",
			raw:  `{"kubeletconfig":{"crashLoopBackOff":{},"featureGates":{"Foo":false}}}`,
			want: KubeletConfig{FeatureGates: map[string]bool{"Foo": false}},
		},
		{
			name: "kubelet older than the field",
			raw:  `{"kubeletconfig":{"syncFrequency":"1m0s"}}`,
			want: KubeletConfig{FeatureGates: map[string]bool{}},
		},
		{name: "not JSON", raw: `404 page not found`, wantErr: "parse kubelet /configz: invalid character"},
		{name: "other component", raw: `{"componentconfig":{}}`, wantErr: `no "kubeletconfig" object`},
		{name: "bad duration", raw: `{"kubeletconfig":{"crashLoopBackOff":{"maxContainerRestartPeriod":"ten"}}}`, wantErr: "parse kubelet /configz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfigz([]byte(tt.raw))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestKubeletConfigz(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		if r.URL.Path != "/api/v1/nodes/crashlab-control-plane/proxy/configz" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kubeletconfig":{"crashLoopBackOff":{"maxContainerRestartPeriod":"10s"},"featureGates":{"KubeletCrashLoopBackOffMax":true}}}`))
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	require.NoError(t, err)

	cfg, err := KubeletConfigz(context.Background(), client, "crashlab-control-plane")
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/nodes/crashlab-control-plane/proxy/configz", gotPath)
	assert.Equal(t, BackoffCap, cfg.MaxContainerRestartPeriod)
	assert.True(t, cfg.FeatureGates["KubeletCrashLoopBackOffMax"])

	_, err = KubeletConfigz(context.Background(), client, "other")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read /configz of the kubelet on node other")
}
