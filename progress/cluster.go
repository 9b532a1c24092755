package progress

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// MirrorName is a workshop learner's progress ConfigMap: progress-<learner>,
// created by the trainer's `workshop create` in the workshop namespace; the
// learner's Role lets them update that one ConfigMap and no other.
func MirrorName(learner string) string { return "progress-" + learner }

// Mirror writes one scenario's entry into the learner's progress ConfigMap
// (key: the scenario id, value: the entry as JSON), so that the trainer's
// board sees it. The local file stays the learner's own copy.
func Mirror(ctx context.Context, c kubernetes.Interface, ns, learner, id string, e Entry) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := c.CoreV1().ConfigMaps(ns).Get(ctx, MirrorName(learner), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read ConfigMap %s/%s: %w", ns, MirrorName(learner), err)
		}
		before := cm.Data[id]
		if err := MirrorInto(cm, id, e); err != nil || cm.Data[id] == before {
			return err
		}
		_, err = c.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
}

// MirrorInto puts one scenario's entry into a progress ConfigMap's data.
func MirrorInto(cm *corev1.ConfigMap, id string, e Entry) error {
	// The board has no use for the command record, and leaving it out
	// keeps a `status` from rewriting the ConfigMap.
	e.Commands = nil
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[id] = string(b)
	return nil
}

// Mirrored reads the entries of a progress ConfigMap; an entry that cannot
// be read is left out and named in the second result.
func Mirrored(cm *corev1.ConfigMap) (map[string]Entry, []string) {
	out := map[string]Entry{}
	var bad []string
	for id, v := range cm.Data {
		var e Entry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			bad = append(bad, id)
			continue
		}
		out[id] = e
	}
	return out, bad
}
