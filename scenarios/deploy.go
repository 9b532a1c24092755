package scenarios

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/cluster"
)

// ErrAlreadyStarted means the scenario's namespace already holds its objects.
var ErrAlreadyStarted = errors.New("scenario already started")

// Deploy creates the scenario's namespace and objects, every one labelled as the
// lab's, then the attempt record, and last the UIDs and the record's digest on
// the namespace. An interrupted Deploy can be run again: objects it already
// created (lab-labelled) are taken as they are, and the record is rewritten.
func Deploy(ctx context.Context, c kubernetes.Interface, s Scenario, ns, learner string, v Values) error {
	return DeployLabelled(ctx, c, s, ns, cluster.LabLabels(s.ID, learner), v)
}

// DeployLabelled is Deploy with the labels of the namespace and of every
// object given by the caller: an interview labels them with an opaque token
// instead of the scenario's id, which would tell the candidate the incident.
func DeployLabelled(ctx context.Context, c kubernetes.Interface, s Scenario, ns string, lbls map[string]string, v Values) error {
	uids, digests, err := deployObjects(ctx, c, s, ns, v, "", lbls, lbls)
	if err != nil {
		return err
	}
	return cluster.RecordObjects(ctx, c, ns, uids, digests)
}

// DeployTriage puts several scenarios into one namespace, for a triage
// round: each keeps its own attempt record (slot = its id), and the
// namespace records every object's UID and every record's digest. The
// scenarios' object names must not overlap (TriageCompatible).
func DeployTriage(ctx context.Context, c kubernetes.Interface, ss []Scenario, ns, learner string, v Values) error {
	all, sums := map[string]string{}, map[string]string{}
	nsLabels := cluster.LabLabels(TriageLabel, learner)
	for _, s := range ss {
		uids, digests, err := deployObjects(ctx, c, s, ns, v, s.ID, cluster.LabLabels(s.ID, learner), nsLabels)
		if err != nil {
			return err
		}
		for k, u := range uids {
			all[k] = u
		}
		for k, d := range digests {
			sums[k] = d
		}
	}
	return cluster.RecordObjects(ctx, c, ns, all, sums)
}

// Deployed tells whether ns is a lab namespace whose one scenario is
// completely deployed (its record's digest is on it). A missing namespace,
// or one the caller may not read, is not deployed: Deploy then says why.
func Deployed(ctx context.Context, c kubernetes.Interface, ns string) (bool, error) {
	existing, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	// A namespace being deleted still carries its record until the
	// namespace controller has emptied it: it is on its way out, not deployed.
	return cluster.CheckOwned(existing) == nil && existing.DeletionTimestamp == nil && existing.Annotations[digestAnnotation("")] != "", nil
}

// TriageLabel is the scenario label of a triage round's namespace.
const TriageLabel = "triage"

// deployObjects creates the namespace (labelled nsLabels) when needed, the
// scenario's objects (labelled lbls) and its attempt record in slot; it
// returns the UIDs and the record's digest annotation for the caller to put
// on the namespace.
func deployObjects(ctx context.Context, c kubernetes.Interface, s Scenario, ns string, v Values, slot string, lbls, nsLabels map[string]string) (map[string]string, map[string]string, error) {
	text, err := s.renderText(v)
	if err != nil {
		return nil, nil, err
	}
	b, err := decodeBaseline(s.ID, text, v)
	if err != nil {
		return nil, nil, err
	}
	nsObj, err := cluster.CreateNamespace(ctx, c, ns, nsLabels)
	if err != nil {
		return nil, nil, err
	}
	if nsObj.Annotations[digestAnnotation(slot)] != "" {
		return nil, nil, fmt.Errorf("%w in namespace %s", ErrAlreadyStarted, ns)
	}
	uids := map[string]string{}
	for _, obj := range b.Objects {
		kind, name, uid, err := create(ctx, c, ns, obj, lbls)
		if err != nil {
			return nil, nil, fmt.Errorf("deploy %s: %w", s.ID, err)
		}
		uids[cluster.ObjectKey(kind, name)] = uid
	}
	data, err := attemptData(s.ID, text, v, uids, time.Now(), s.Seed())
	if err != nil {
		return nil, nil, err
	}
	sum, err := writeAttempt(ctx, c, ns, recordName(slot), data, lbls)
	if err != nil {
		return nil, nil, err
	}
	return uids, map[string]string{digestAnnotation(slot): sum}, nil
}

// ObjectNames lists the Kind/name of every object the scenario deploys.
func (s Scenario) ObjectNames(v Values) ([]string, error) {
	text, err := s.renderText(v)
	if err != nil {
		return nil, err
	}
	b, err := decodeBaseline(s.ID, text, v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range b.Objects {
		m, err := meta.Accessor(o)
		if err != nil {
			return nil, err
		}
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil || len(gvks) == 0 {
			return nil, fmt.Errorf("scenario %s: kind of %s: %v", s.ID, m.GetName(), err)
		}
		out = append(out, cluster.ObjectKey(gvks[0].Kind, m.GetName()))
	}
	return out, nil
}

// Reset deletes the scenario's namespace, waits until it is gone, and deploys
// again, so the broken state is restored exactly.
func Reset(ctx context.Context, c kubernetes.Interface, s Scenario, ns, learner string, v Values) error {
	if err := cluster.DeleteNamespace(ctx, c, ns, 3*time.Minute); err != nil {
		return err
	}
	return Deploy(ctx, c, s, ns, learner, v)
}

// RenderYAML renders the manifests with the lab's labels, as Deploy creates them.
func (s Scenario) RenderYAML(v Values, lbls map[string]string) ([]byte, error) {
	b, err := s.Render(v)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, obj := range b.Objects {
		if m, err := meta.Accessor(obj); err == nil {
			l := m.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			for k, v := range lbls {
				l[k] = v
			}
			m.SetLabels(l)
		}
		// Typed objects decoded from YAML lose their TypeMeta; put it back.
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil || len(gvks) == 0 {
			return nil, fmt.Errorf("scenario %s: kind of %T: %v", s.ID, obj, err)
		}
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
		y, err := yaml.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out = append(out, []byte("---\n")...)
		out = append(out, y...)
	}
	return out, nil
}

func label(m *metav1.ObjectMeta, ns string, lbls map[string]string) {
	m.Namespace = ns
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	for k, v := range lbls {
		m.Labels[k] = v
	}
}

// errExists marks an object an earlier, interrupted Deploy already created.
var errExists = errors.New("already exists")

// create creates one object; one that already exists is taken when it is the
// lab's (an interrupted start created it) and refused otherwise.
func create(ctx context.Context, c kubernetes.Interface, ns string, obj runtime.Object, lbls map[string]string) (kind, name, uid string, err error) {
	kind, name, uid, err = createNew(ctx, c, ns, obj, lbls)
	if !errors.Is(err, errExists) {
		return kind, name, uid, err
	}
	m, gerr := getExisting(ctx, c, ns, kind, name)
	if gerr != nil {
		return kind, name, "", fmt.Errorf("%s %s exists but cannot be read: %w", kind, name, gerr)
	}
	if m.GetLabels()[cluster.LabelManagedBy] != cluster.ManagedBy {
		return kind, name, "", fmt.Errorf("%s %s already exists and is not the lab's", kind, name)
	}
	return kind, name, string(m.GetUID()), nil
}

func getExisting(ctx context.Context, c kubernetes.Interface, ns, kind, name string) (metav1.Object, error) {
	g := metav1.GetOptions{}
	switch kind {
	case "Secret":
		return c.CoreV1().Secrets(ns).Get(ctx, name, g)
	case "ConfigMap":
		return c.CoreV1().ConfigMaps(ns).Get(ctx, name, g)
	case "Service":
		return c.CoreV1().Services(ns).Get(ctx, name, g)
	case "Deployment":
		return c.AppsV1().Deployments(ns).Get(ctx, name, g)
	case "Job":
		return c.BatchV1().Jobs(ns).Get(ctx, name, g)
	case "StatefulSet":
		return c.AppsV1().StatefulSets(ns).Get(ctx, name, g)
	case "CronJob":
		return c.BatchV1().CronJobs(ns).Get(ctx, name, g)
	case "Pod":
		return c.CoreV1().Pods(ns).Get(ctx, name, g)
	}
	return nil, fmt.Errorf("kind %s is not supported by the lab", kind)
}

func createNew(ctx context.Context, c kubernetes.Interface, ns string, obj runtime.Object, lbls map[string]string) (kind, name, uid string, err error) {
	opts := metav1.CreateOptions{}
	switch o := obj.(type) {
	case *corev1.Secret:
		label(&o.ObjectMeta, ns, lbls)
		r, err := c.CoreV1().Secrets(ns).Create(ctx, o, opts)
		return done("Secret", o.Name, r, err)
	case *corev1.ConfigMap:
		label(&o.ObjectMeta, ns, lbls)
		r, err := c.CoreV1().ConfigMaps(ns).Create(ctx, o, opts)
		return done("ConfigMap", o.Name, r, err)
	case *corev1.Service:
		label(&o.ObjectMeta, ns, lbls)
		r, err := c.CoreV1().Services(ns).Create(ctx, o, opts)
		return done("Service", o.Name, r, err)
	case *appsv1.Deployment:
		label(&o.ObjectMeta, ns, lbls)
		label(&o.Spec.Template.ObjectMeta, "", lbls)
		r, err := c.AppsV1().Deployments(ns).Create(ctx, o, opts)
		return done("Deployment", o.Name, r, err)
	case *batchv1.Job:
		label(&o.ObjectMeta, ns, lbls)
		label(&o.Spec.Template.ObjectMeta, "", lbls)
		r, err := c.BatchV1().Jobs(ns).Create(ctx, o, opts)
		return done("Job", o.Name, r, err)
	case *appsv1.StatefulSet:
		label(&o.ObjectMeta, ns, lbls)
		label(&o.Spec.Template.ObjectMeta, "", lbls)
		r, err := c.AppsV1().StatefulSets(ns).Create(ctx, o, opts)
		return done("StatefulSet", o.Name, r, err)
	case *batchv1.CronJob:
		label(&o.ObjectMeta, ns, lbls)
		label(&o.Spec.JobTemplate.ObjectMeta, "", lbls)
		label(&o.Spec.JobTemplate.Spec.Template.ObjectMeta, "", lbls)
		r, err := c.BatchV1().CronJobs(ns).Create(ctx, o, opts)
		return done("CronJob", o.Name, r, err)
	case *corev1.Pod:
		label(&o.ObjectMeta, ns, lbls)
		r, err := c.CoreV1().Pods(ns).Create(ctx, o, opts)
		return done("Pod", o.Name, r, err)
	}
	return "", "", "", fmt.Errorf("manifest kind %T is not supported by the lab", obj)
}

func done(kind, name string, obj metav1.Object, err error) (string, string, string, error) {
	if apierrors.IsAlreadyExists(err) {
		return kind, name, "", errExists
	}
	if err != nil {
		return kind, name, "", fmt.Errorf("create %s %s: %w", kind, name, err)
	}
	return kind, name, string(obj.GetUID()), nil
}
