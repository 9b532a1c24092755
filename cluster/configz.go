package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// KubeletConfig is the part of a running kubelet's configuration the lab
// depends on.
type KubeletConfig struct {
	// MaxContainerRestartPeriod caps the CrashLoopBackOff delay; 0 when the
	// kubelet does not report it (its own default, 5m, then applies).
	MaxContainerRestartPeriod time.Duration
	// FeatureGates holds the gates set explicitly in the kubelet's
	// configuration, not every gate's effective value.
	FeatureGates map[string]bool
}

// KubeletConfigz reads the configuration node's kubelet is running with from
// its /configz endpoint, through the API server's node proxy. It reports what
// the kubelet actually loaded, which is what decides restart timings, not
// what the kubelet-config ConfigMap or a kubeadm patch asked for.
func KubeletConfigz(ctx context.Context, client kubernetes.Interface, node string) (KubeletConfig, error) {
	raw, err := client.CoreV1().RESTClient().Get().
		Resource("nodes").Name(node).SubResource("proxy").Suffix("configz").
		DoRaw(ctx)
	if err != nil {
		return KubeletConfig{}, fmt.Errorf("read /configz of the kubelet on node %s: %w", node, err)
	}
	cfg, err := parseConfigz(raw)
	if err != nil {
		return KubeletConfig{}, fmt.Errorf("node %s: %w", node, err)
	}
	return cfg, nil
}

// configz mirrors the fields of kubelet.config.k8s.io/v1beta1
// KubeletConfiguration the lab reads, to avoid depending on k8s.io/kubelet
// for two fields.
type configz struct {
	KubeletConfig *struct {
		CrashLoopBackOff struct {
			MaxContainerRestartPeriod *metav1.Duration `json:"maxContainerRestartPeriod"`
		} `json:"crashLoopBackOff"`
		FeatureGates map[string]bool `json:"featureGates"`
	} `json:"kubeletconfig"`
}

func parseConfigz(raw []byte) (KubeletConfig, error) {
	var c configz
	if err := json.Unmarshal(raw, &c); err != nil {
		return KubeletConfig{}, fmt.Errorf("parse kubelet /configz: %w", err)
	}
	if c.KubeletConfig == nil {
		return KubeletConfig{}, fmt.Errorf("parse kubelet /configz: no \"kubeletconfig\" object in %q", truncate(raw, 200))
	}
	cfg := KubeletConfig{FeatureGates: c.KubeletConfig.FeatureGates}
	if d := c.KubeletConfig.CrashLoopBackOff.MaxContainerRestartPeriod; d != nil {
		cfg.MaxContainerRestartPeriod = d.Duration
	}
	if cfg.FeatureGates == nil {
		cfg.FeatureGates = map[string]bool{}
	}
	return cfg, nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
