package workshop

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/attempts"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
)

// all is every verb a learner needs on the objects of their incidents: they
// may try any change, and the grader judges it.
var all = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
var read = []string{"get", "list", "watch"}

func learnerClusterRoleName(name string) string { return "crashlab-" + name + learnerRoleSuffix }

func learnerOwnRoleName(name, learner string) string { return "crashlab-" + name + "-" + learner }

// learnerClusterRole is what a learner may do inside one of their incident
// namespaces, where a RoleBinding grants it: the workloads, pods (with logs,
// exec, port-forward, debug containers), ConfigMaps, Secrets, Services and
// claims of the incidents; events and quotas read-only. No RBAC objects,
// no ServiceAccounts: a learner cannot widen their own rights.
func learnerClusterRole(name string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: learnerClusterRoleName(name), Labels: with(Labels(name), LabelRole, "learner")},
		Rules:      LearnerRules(),
	}
}

// LearnerRules are a learner's rights inside an incident namespace (see
// learnerClusterRole); an interview gives its candidate the same.
func LearnerRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "configmaps", "secrets", "services", "persistentvolumeclaims"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward", "pods/attach"}, Verbs: []string{"get", "create"}},
		{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers"}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"events", "endpoints", "resourcequotas", "limitranges"}, Verbs: read},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "replicasets", "daemonsets", "controllerrevisions"}, Verbs: all},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale", "statefulsets/scale", "replicasets/scale"}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: all},
		{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: read},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
	}
}

// NodeReader is the rule that lets a learner read the nodes, which the
// incidents ask about (architecture, labels, images, capacity).
func NodeReader() rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: read}
}

// Apply creates a ServiceAccount or RBAC object, or brings the lab's own
// object of that name up to date; one the lab did not create is refused.
func Apply(ctx context.Context, c kubernetes.Interface, o runtime.Object) error {
	return apply(ctx, c, o)
}

// learnerRBAC is one learner's own: a ClusterRole that lets them read their
// namespaces (by name) and the nodes (the incidents ask about a node's
// architecture, labels, images and capacity), and a Role in the workshop
// namespace that lets them read their own attempt records and the room's
// packs and read and write their progress, each by name.
func learnerRBAC(name, learner string, namespaces, records []string, graded bool) []runtime.Object {
	ws := Namespace(name)
	l := with(Labels(name), cluster.LabelLearner, learner, LabelRole, "learner")
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: learner, Namespace: ws}}
	own := learnerOwnRoleName(name, learner)
	var objs []runtime.Object
	cr := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: own, Labels: l},
		Rules: []rbacv1.PolicyRule{
			NodeReader(),
		},
	}
	if len(namespaces) > 0 {
		cr.Rules = append(cr.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: namespaces, Verbs: []string{"get"}})
	}
	objs = append(objs, cr, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: own, Labels: l},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: own},
		Subjects:   subject,
	})
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: append([]string{progress.MirrorName(learner), RoomPacksName}, records...), Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{progress.MirrorName(learner)}, Verbs: []string{"update", "patch"}},
	}
	if graded {
		// With the lab's controller the learner writes requests into their
		// own Attempts' spec and reads the answers; status (the verdicts,
		// the record, the score) is a subresource this Role never names,
		// and there is no progress ConfigMap to write.
		names := make([]string, 0, len(records))
		for _, r := range records {
			names = append(names, attempts.Name(learner, strings.TrimPrefix(r, recordName(learner, ""))))
		}
		rules = []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: append([]string{RoomPacksName}, records...), Verbs: []string{"get"}},
			{APIGroups: []string{"crashlab.dev"}, Resources: []string{"attempts"}, ResourceNames: names, Verbs: []string{"get", "list", "watch", "patch"}},
			{APIGroups: []string{"crashlab.dev"}, Resources: []string{"workshops"}, ResourceNames: []string{name}, Verbs: []string{"get"}},
		}
	}
	objs = append(objs, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "learner-" + learner, Namespace: ws, Labels: l},
		Rules:      rules,
	}, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "learner-" + learner, Namespace: ws, Labels: l},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "learner-" + learner},
		Subjects:   subject,
	})
	return objs
}

// apply creates the object or, when it exists and is the lab's, replaces its
// labels and rules; an object of that name the lab did not create is refused.
func apply(ctx context.Context, c kubernetes.Interface, o runtime.Object) error {
	switch o := o.(type) {
	case *corev1.ServiceAccount:
		return upsert(o.Name, "ServiceAccount", func() error {
			_, err := c.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		},
			func() (metav1.Object, error) {
				return c.CoreV1().ServiceAccounts(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
			},
			nil)
	case *rbacv1.ClusterRole:
		return upsert(o.Name, "ClusterRole", func() error { _, err := c.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{}); return err },
			func() (metav1.Object, error) { return c.RbacV1().ClusterRoles().Get(ctx, o.Name, metav1.GetOptions{}) },
			func(rv string) error {
				o.ResourceVersion = rv
				_, err := c.RbacV1().ClusterRoles().Update(ctx, o, metav1.UpdateOptions{})
				return err
			})
	case *rbacv1.ClusterRoleBinding:
		return upsert(o.Name, "ClusterRoleBinding", func() error {
			_, err := c.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			return err
		},
			func() (metav1.Object, error) {
				return c.RbacV1().ClusterRoleBindings().Get(ctx, o.Name, metav1.GetOptions{})
			},
			nil)
	case *rbacv1.Role:
		return upsert(o.Name, "Role", func() error {
			_, err := c.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		},
			func() (metav1.Object, error) {
				return c.RbacV1().Roles(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
			},
			func(rv string) error {
				o.ResourceVersion = rv
				_, err := c.RbacV1().Roles(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			})
	case *rbacv1.RoleBinding:
		return upsert(o.Name, "RoleBinding", func() error {
			_, err := c.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		},
			func() (metav1.Object, error) {
				return c.RbacV1().RoleBindings(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
			},
			nil)
	}
	return fmt.Errorf("workshop: cannot apply %T", o)
}

// upsert creates; on a conflict it checks the existing object is the lab's
// and, where update is given, brings it up to date (rules grow with the
// learner's namespaces).
func upsert(name, kind string, create func() error, get func() (metav1.Object, error), update func(rv string) error) error {
	err := create()
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %s %s: %w", kind, name, err)
	}
	existing, err := get()
	if err != nil {
		return fmt.Errorf("read %s %s: %w", kind, name, err)
	}
	if existing.GetLabels()[cluster.LabelManagedBy] != cluster.ManagedBy {
		return fmt.Errorf("%s %s exists but was not created by crashlab; refusing to touch it: choose another workshop name", kind, name)
	}
	if update == nil {
		return nil
	}
	if err := update(existing.GetResourceVersion()); err != nil {
		return fmt.Errorf("update %s %s: %w", kind, name, err)
	}
	return nil
}

// createIfMissing creates a ConfigMap unless it exists (a learner's progress
// is never overwritten by a second create).
func createIfMissing(ctx context.Context, c kubernetes.Interface, cm *corev1.ConfigMap) error {
	_, err := c.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return nil
}
