package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// Labels and annotations every object the lab creates carries; deletes select by them.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "crashlab"
	LabelScenario  = "crashlab.dev/scenario"
	LabelLearner   = "crashlab.dev/learner"
	// LabelWorkshop marks every object of a workshop (namespaces, service
	// accounts, RBAC), so that `workshop delete` selects exactly those.
	LabelWorkshop     = "crashlab.dev/workshop"
	AnnotationObjects = "crashlab.dev/objects"
	// LabelRequest marks a ConfigMap an interview candidate's crashlab
	// writes for the interviewer to judge (its value is the verb): the lab's
	// own traffic, never part of the incident.
	LabelRequest = "crashlab.dev/request"
	// LabelRecord marks a ConfigMap that holds the lab's record of an
	// attempt: the lab's, never the learner's.
	LabelRecord     = "crashlab.dev/record"
	namespacePrefix = "crashlab-"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// NamespaceFor names the namespace of one scenario for one learner, so a workshop
// can share a cluster: crashlab-<id> or crashlab-<learner>-<id>.
func NamespaceFor(learner, scenarioID string) (string, error) {
	if learner != "" && !dnsLabel.MatchString(learner) {
		return "", fmt.Errorf("learner name %q is not usable in a namespace: use lower-case letters, digits and '-'", learner)
	}
	name := namespacePrefix + scenarioID
	if learner != "" {
		name = namespacePrefix + learner + "-" + scenarioID
	}
	if len(name) > 63 {
		return "", fmt.Errorf("namespace %q is longer than 63 characters: choose a shorter learner name", name)
	}
	return name, nil
}

// LabLabels are the labels put on every object of one scenario deployment.
func LabLabels(scenarioID, learner string) map[string]string {
	l := map[string]string{LabelManagedBy: ManagedBy, LabelScenario: scenarioID}
	if learner != "" {
		l[LabelLearner] = learner
	}
	return l
}

// CheckOwned refuses a namespace the lab did not create, whatever its name.
func CheckOwned(ns *corev1.Namespace) error {
	if ns.Labels[LabelManagedBy] != ManagedBy {
		return factf(ErrForeignNamespace, "namespace %q exists but was not created by crashlab (no %s=%s label); refusing to touch it", ns.Name, LabelManagedBy, ManagedBy)
	}
	return nil
}

// GetOwned returns the lab namespace, or an error when it is missing or foreign.
func GetOwned(ctx context.Context, c kubernetes.Interface, name string) (*corev1.Namespace, error) {
	ns, err := c.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return ns, CheckOwned(ns)
}

// CreateNamespace creates the lab namespace; an existing one must be the lab's.
func CreateNamespace(ctx context.Context, c kubernetes.Interface, name string, lbls map[string]string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}}
	created, err := c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		existing, gerr := GetOwned(ctx, c, name)
		if gerr != nil {
			return nil, gerr
		}
		for _, k := range []string{LabelScenario, LabelLearner} {
			if existing.Labels[k] != lbls[k] {
				return nil, factf(ErrNamespaceTaken, "namespace %q belongs to another lab deployment (%s=%q, wanted %q)", name, k, existing.Labels[k], lbls[k])
			}
		}
		if existing.DeletionTimestamp != nil {
			return nil, fmt.Errorf("namespace %q is still being deleted: wait a few seconds and run the command again", name)
		}
		return existing, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", name, err)
	}
	return created, nil
}

// DeleteNamespace deletes a lab namespace (never a foreign one) and, when wait is
// set, watches until it is gone so that a re-deploy starts from nothing.
func DeleteNamespace(ctx context.Context, c kubernetes.Interface, name string, wait time.Duration) error {
	ns, err := GetOwned(ctx, c, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ns.UID}}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	if wait <= 0 {
		return nil
	}
	return WaitNamespaceGone(ctx, c, name, wait)
}

// ErrStillTerminating is a namespace that outlived the wait for its deletion
// (pods with a long grace period, finalizers that do not finish).
var ErrStillTerminating = errors.New("namespace still terminating")

// WaitNamespaceGone watches until the namespace no longer exists, at most
// wait. A namespace being deleted keeps its objects and annotations until
// the namespace controller has emptied it, so anything that reads it then
// (is the incident deployed?) would read a ghost.
func WaitNamespaceGone(ctx context.Context, c kubernetes.Interface, name string, wait time.Duration) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	// A watch can close before the namespace is gone (every request of the
	// lab has a deadline, and pods with a long grace period keep a namespace
	// terminating for longer): look again and watch again until the wait ends.
	for {
		w, err := c.CoreV1().Namespaces().Watch(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("watch namespace %s: %w", name, err)
		}
		// The namespace may already be gone before the watch started.
		if _, gerr := c.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(gerr) {
			if w != nil {
				w.Stop()
			}
			return nil
		}
		if err != nil || ctx.Err() != nil {
			if w != nil {
				w.Stop()
			}
			if parent.Err() != nil {
				return parent.Err()
			}
			return fmt.Errorf("%w: %s, after %s", ErrStillTerminating, name, wait)
		}
		gone, closed := false, false
		for !gone && !closed {
			select {
			case <-ctx.Done():
				closed = true
			case ev, ok := <-w.ResultChan():
				closed = !ok
				gone = ok && ev.Type == watch.Deleted
			}
		}
		w.Stop()
		if gone {
			return nil
		}
	}
}

// ListNamespaces lists lab namespaces, only one learner's when learner is set.
func ListNamespaces(ctx context.Context, c kubernetes.Interface, learner string) ([]corev1.Namespace, error) {
	sel := labels.Set{LabelManagedBy: ManagedBy}
	if learner != "" {
		sel[LabelLearner] = learner
	}
	list, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list lab namespaces: %w", err)
	}
	return list.Items, nil
}

// ObjectKey names an object in the created-objects record.
func ObjectKey(kind, name string) string { return kind + "/" + name }

// RecordObjects stores the UIDs the lab created objects with on the namespace, so
// the grader can tell a kept object from one deleted and re-created; extra
// annotations (the attempt record's digest) go in the same write, which is
// the last one of a start: a namespace with it is completely deployed.
func RecordObjects(ctx context.Context, c kubernetes.Interface, name string, uids map[string]string, extra ...map[string]string) error {
	ns, err := GetOwned(ctx, c, name)
	if err != nil {
		return err
	}
	b, err := json.Marshal(uids)
	if err != nil {
		return err
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Annotations[AnnotationObjects] = string(b)
	for _, m := range extra {
		for k, v := range m {
			ns.Annotations[k] = v
		}
	}
	if _, err := c.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("record created objects on namespace %s: %w", name, err)
	}
	return nil
}

// RecordObjectsMore adds annotations to the lab namespace, keeping the
// recorded objects as they are.
func RecordObjectsMore(ctx context.Context, c kubernetes.Interface, name string, annotations map[string]string) error {
	ns, err := GetOwned(ctx, c, name)
	if err != nil {
		return err
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	for k, v := range annotations {
		ns.Annotations[k] = v
	}
	if _, err := c.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("annotate namespace %s: %w", name, err)
	}
	return nil
}

// RecordedObjects reads what RecordObjects stored.
func RecordedObjects(ns *corev1.Namespace) (map[string]string, error) {
	out := map[string]string{}
	raw := ns.Annotations[AnnotationObjects]
	if raw == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("namespace %s: unreadable %s annotation: %w", ns.Name, AnnotationObjects, err)
	}
	return out, nil
}
