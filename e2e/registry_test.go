//go:build e2e

package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/scenarios"
)

// registryRoom proves the path for a cluster that cannot see the lab's
// images: a real registry (go-containerregistry's server) on the host,
// `crashlab images push` into it, `crashlab --registry … up` telling the kind
// nodes' containerd to pull from it (certs.d hosts.toml), and an incident
// started with --registry whose pods the kubelet runs from pulled images.
func registryRoom(t *testing.T, kubeconfig string, c kubernetes.Interface, vals scenarios.Values, up []string, spec scenarioSpec) {
	ctx := context.Background()
	gw := kindGateway(t)
	var manifestGets atomic.Int64
	handler := registry.New()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/"+images.RegistryRepository+"/manifests/") {
			manifestGets.Add(1)
		}
		handler.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	reg := net.JoinHostPort(gw, port)

	// An empty registry: start says what to do, and deploys nothing.
	r := crashlab(t, kubeconfig, "--registry", reg, "--learner", "registry", "start", spec.s.ID)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "crashlab images push "+reg)
	ns := namespaceOf(t, "registry", spec.s.ID)
	_, err = c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	assert.Error(t, err, "nothing deployed while the images are missing")

	r = crashlab(t, kubeconfig, "images", "push", reg, "--arch", vals.NodeArch)
	require.Equal(t, 0, r.code, r.err)
	r = crashlab(t, kubeconfig, append([]string{"--registry", reg}, up...)...)
	require.Equal(t, 0, r.code, "up tells the nodes to pull from %s: %s", reg, r.err)

	t.Cleanup(func() { crashlab(t, kubeconfig, "--learner", "registry", "down") })
	r = crashlab(t, kubeconfig, "--registry", reg, "--learner", "registry", "-o", "json", "start", spec.s.ID, "--wait")
	require.Equal(t, 0, r.code, "the incident's failure shows on pods whose image was pulled: %s", r.err)
	d, err := c.AppsV1().Deployments(ns).Get(ctx, spec.s.Workload.Name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(d.Spec.Template.Spec.Containers[0].Image, reg+"/"+images.RegistryRepository+":"), "deployed from the registry: %s", d.Spec.Template.Spec.Containers[0].Image)
	assert.Positive(t, manifestGets.Load(), "the kubelet pulled the image from the registry")
	evs, err := c.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	pulled := false
	for _, e := range evs.Items {
		pulled = pulled || (e.Reason == "Pulled" && strings.Contains(e.Message, reg))
	}
	assert.True(t, pulled, "a Pulled event names the registry")
}

// kindGateway is the host's address on the kind nodes' Docker network: a
// server listening on the host is reachable from the nodes there.
func kindGateway(t *testing.T) string {
	t.Helper()
	docker, err := exec.LookPath("docker")
	require.NoError(t, err, "the registry test asks docker for the kind network's gateway")
	out, err := exec.Command(docker, "network", "inspect", "kind", "-f", "{{range .IPAM.Config}}{{.Gateway}} {{end}}").Output()
	require.NoError(t, err, "docker network inspect kind (DOCKER_HOST=%s)", os.Getenv("DOCKER_HOST"))
	for _, f := range strings.Fields(string(out)) {
		if ip := net.ParseIP(f); ip != nil && ip.To4() != nil {
			return f
		}
	}
	t.Fatalf("no IPv4 gateway on the kind network: %q", out)
	return ""
}
