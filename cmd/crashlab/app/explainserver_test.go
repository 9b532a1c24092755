package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `explain POD` says a pod does not exist only when a Kubernetes API says
// so: a kubeconfig can point at any HTTP server, and all of them 404.
func TestExplainPodNotFoundOnlyFromAKubernetesAPI(t *testing.T) {
	t.Setenv("CRASHLAB_STATE_DIR", t.TempDir())
	t.Setenv("CRASHLAB_KUBECONFIG", "")
	status404 := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-7d9f8\" not found","reason":"NotFound","details":{"name":"web-7d9f8","kind":"pods"},"code":404}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr string
	}{
		{
			name: "a web server that 404s everything",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "404 page not found", http.StatusNotFound)
			},
			wantErr: "does not answer like a Kubernetes API server: GET /version: the server could not find the requested resource; check the context's server URL",
		},
		{
			name: "a Kubernetes API without the pod",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/version" {
					_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.0"}`))
					return
				}
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(status404))
			},
			wantErr: `no pod "web-7d9f8" in namespace default of context test`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				paths = append(paths, r.URL.Path)
				tt.handler(w, r)
			}))
			defer srv.Close()
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			require.NoError(t, os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: c\n  cluster:\n    server: "+srv.URL+
				"\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: test\n  context:\n    cluster: c\n    user: u\n"), 0o600))

			code, _, stderr := run(t, "--kubeconfig", kc, "explain", "web-7d9f8")
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			if strings.Contains(tt.wantErr, "Kubernetes API server") {
				assert.Contains(t, stderr, "the server of context test ("+srv.URL+")")
			}
			// The check costs one request, after the pod's 404.
			assert.Equal(t, []string{"/api/v1/namespaces/default/pods/web-7d9f8", "/version"}, paths)
		})
	}
}
