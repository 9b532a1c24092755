package controller

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/api/crds"
	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/workshop"
)

const (
	// SystemNamespace is where the controller runs.
	SystemNamespace = "crashlab-system"
	// Name names the controller's Deployment, ServiceAccount and roles.
	Name = "crashlab-controller"
	// IncidentRoleName is the ClusterRole a workshop binds in each incident
	// namespace (and its own): what judging needs there, and only there.
	IncidentRoleName = "crashlab-controller-incident"
	// sealSecret holds the key statuses are sealed with.
	sealSecret = "crashlab-controller-seal"
	// SealMountPath is where the controller's pod reads the seal key.
	SealMountPath = "/var/run/crashlab/seal"
	fieldOwner    = "crashlab"
)

// ErrNotOurs is an object the lab would create that exists without the
// lab's label: the lab never changes what it did not create.
var ErrNotOurs = errors.New("exists and was not created by crashlab")

// NotOursError names the object.
type NotOursError struct{ Kind, Name string }

func (e *NotOursError) Error() string { return fmt.Sprintf("%s %s %v", e.Kind, e.Name, ErrNotOurs) }
func (e *NotOursError) Unwrap() error { return ErrNotOurs }

// InstallOptions say what to run.
type InstallOptions struct {
	// Image is crashlab's own image, as the nodes can pull or find it.
	Image string
	// Args are passed to the controller after `controller` (a registry).
	Args []string
	// Report receives one line per step.
	Report func(string)
	// AuditLogDir, when set, is where the control-plane node keeps the API
	// server's audit log: the controller's pod runs there with the audit
	// relay beside it, and keeps each learner's investigation.
	AuditLogDir string
	// Packs are the packs of incidents the room runs beside the built-in
	// ones: each goes into a ConfigMap the controller's pod mounts and
	// reads with --incidents. Their fixes/ must not be in Files.
	Packs []workshop.PackFiles
}

// PacksMountPath is where the controller's pod finds the packs, one
// folder per pack.
const PacksMountPath = "/var/run/crashlab/packs"

// ErrPackTooLarge is a pack too large for a ConfigMap.
var ErrPackTooLarge = fmt.Errorf("the pack is too large for a ConfigMap (%d KiB)", workshop.MaxPacksSize>>10)

// packConfigMap is a pack as a ConfigMap: files under keys f0, f1, ...
// (a key cannot hold a "/"), which the pod's volume maps back to paths.
func packConfigMap(p workshop.PackFiles) (*corev1.ConfigMap, []corev1.KeyToPath, error) {
	paths := make([]string, 0, len(p.Files))
	for f := range p.Files {
		paths = append(paths, f)
	}
	sort.Strings(paths)
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: packConfigMapName(p.Name), Namespace: SystemNamespace, Labels: labels("pack")},
		BinaryData: map[string][]byte{}}
	var items []corev1.KeyToPath
	size := 0
	for i, f := range paths {
		key := fmt.Sprintf("f%d", i)
		cm.BinaryData[key] = p.Files[f]
		size += len(p.Files[f])
		items = append(items, corev1.KeyToPath{Key: key, Path: f})
	}
	if size > workshop.MaxPacksSize {
		return nil, nil, fmt.Errorf("pack %s: %w", p.Name, ErrPackTooLarge)
	}
	return cm, items, nil
}

func packConfigMapName(pack string) string { return "crashlab-pack-" + pack }

// Where the relay reads the audit log in the controller's pod, and serves
// it (the pod's loopback: no other pod reaches it).
const (
	auditMountPath = "/var/run/crashlab/audit"
	auditRelayAddr = "127.0.0.1:8090"
	// AuditRelayURL is the relay as the controller reads it.
	AuditRelayURL = "http://" + auditRelayAddr
)

func labels(role string) map[string]string {
	return map[string]string{cluster.LabelManagedBy: cluster.ManagedBy, "crashlab.dev/role": role}
}

// CRDs are the lab's CustomResourceDefinitions, labelled as the lab's.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	names, err := fs.Glob(crds.Files, "*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, n := range names {
		b, err := crds.Files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		crd.Labels = labels("api")
		crd.TypeMeta = metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"}
		out = append(out, &crd)
	}
	return out, nil
}

// ControllerRules are the controller's rights everywhere: read pods,
// namespaces and nodes (the pods line of every attempt comes from one watch),
// and write the status of the lab's resources. Nothing else cluster-wide.
func ControllerRules() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "namespaces", "nodes"}, Verbs: read},
		{APIGroups: []string{"crashlab.dev"}, Resources: []string{"attempts", "workshops"}, Verbs: read},
		{APIGroups: []string{"crashlab.dev"}, Resources: []string{"attempts/status", "workshops/status"}, Verbs: []string{"get", "update", "patch"}},
		// The live judge reads where storage can come from.
		{APIGroups: []string{""}, Resources: []string{"persistentvolumes"}, Verbs: read},
		{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: read},
	}
}

// IncidentRules are what judging needs inside a namespace where they are
// bound: read the workload and what it references, read logs, and delete a
// pod (a fix must survive its pod being replaced).
func IncidentRules() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "configmaps", "secrets", "services", "endpoints", "persistentvolumeclaims", "events", "serviceaccounts"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets", "statefulsets", "daemonsets"}, Verbs: read},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: read},
	}
}

// Objects are everything Install creates, in order.
func Objects(o InstallOptions) ([]client.Object, error) {
	crdList, err := CRDs()
	if err != nil {
		return nil, err
	}
	var objs []client.Object
	for _, c := range crdList {
		objs = append(objs, c)
	}
	l := labels("controller")
	tm := func(kind, apiVersion string) metav1.TypeMeta {
		return metav1.TypeMeta{Kind: kind, APIVersion: apiVersion}
	}
	om := func(name, ns string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l}
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: Name, Namespace: SystemNamespace}}
	objs = append(objs,
		&corev1.Namespace{TypeMeta: tm("Namespace", "v1"), ObjectMeta: om(SystemNamespace, "")},
		&corev1.ServiceAccount{TypeMeta: tm("ServiceAccount", "v1"), ObjectMeta: om(Name, SystemNamespace)},
		&rbacv1.ClusterRole{TypeMeta: tm("ClusterRole", "rbac.authorization.k8s.io/v1"), ObjectMeta: om(Name, ""), Rules: ControllerRules()},
		&rbacv1.ClusterRoleBinding{TypeMeta: tm("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"), ObjectMeta: om(Name, ""), Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: Name}},
		&rbacv1.ClusterRole{TypeMeta: tm("ClusterRole", "rbac.authorization.k8s.io/v1"), ObjectMeta: om(IncidentRoleName, ""), Rules: IncidentRules()},
		&rbacv1.Role{TypeMeta: tm("Role", "rbac.authorization.k8s.io/v1"), ObjectMeta: om(Name, SystemNamespace), Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{coordinationv1.GroupName}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}},
		&rbacv1.RoleBinding{TypeMeta: tm("RoleBinding", "rbac.authorization.k8s.io/v1"), ObjectMeta: om(Name, SystemNamespace), Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: Name}},
	)
	d := deployment(o)
	sum := sha256.New()
	for i, p := range o.Packs {
		cm, items, err := packConfigMap(p)
		if err != nil {
			return nil, err
		}
		objs = append(objs, cm)
		vol := fmt.Sprintf("pack-%d", i) // a pack's name may hold dots
		spec := &d.Spec.Template.Spec
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}, Items: items}}})
		mount := PacksMountPath + "/" + p.Name
		spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: mount, ReadOnly: true})
		spec.Containers[0].Args = append(spec.Containers[0].Args, "--incidents", mount)
		for _, it := range items {
			sum.Write([]byte(it.Path + "\x00"))
			sum.Write(cm.BinaryData[it.Key])
		}
	}
	if len(o.Packs) > 0 {
		// A changed pack rolls the controller: it reads packs at start.
		d.Spec.Template.Annotations = map[string]string{"crashlab.dev/packs": hex.EncodeToString(sum.Sum(nil))[:16]}
	}
	objs = append(objs, d)
	return objs, nil
}

func deployment(o InstallOptions) *appsv1.Deployment {
	l := labels("controller")
	sel := map[string]string{"crashlab.dev/role": "controller"}
	one := int32(1)
	no, yes := false, true
	uid := int64(65532)
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(8081)}}, PeriodSeconds: 5}
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: SystemNamespace, Labels: l},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			// Recreate: two controllers never judge at once (leader
			// election also guards it), and a rollout is a restart.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{
					ServiceAccountName:            Name,
					TerminationGracePeriodSeconds: ptr(int64(10)),
					SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name:            "controller",
						Image:           o.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            append([]string{"controller", "--leader-elect", "--seal-key-file", SealMountPath + "/key"}, o.Args...),
						Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
							{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}},
						Ports:          []corev1.ContainerPort{{Name: "metrics", ContainerPort: 8080}, {Name: "health", ContainerPort: 8081}},
						ReadinessProbe: probe("/readyz"),
						LivenessProbe:  probe("/healthz"),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
						},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
						VolumeMounts:    []corev1.VolumeMount{{Name: "seal", MountPath: SealMountPath, ReadOnly: true}, {Name: "tmp", MountPath: "/tmp"}},
					}},
					Volumes: []corev1.Volume{
						{Name: "seal", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: sealSecret}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	if o.AuditLogDir != "" {
		withAuditRelay(&d.Spec.Template.Spec, o)
	}
	return d
}

// withAuditRelay adds the audit relay to the controller's pod and places
// the pod on the control-plane node, where the log is. The API server
// writes the log as root with mode 0600, so the relay runs as root, the
// file's owner: that needs no capability, and it has none, a read-only
// root and a read-only mount of the log's folder alone. The controller
// itself stays non-root.
func withAuditRelay(spec *corev1.PodSpec, o InstallOptions) {
	no, yes, root := false, true, int64(0)
	spec.Containers[0].Args = append(spec.Containers[0].Args, "--audit-relay", AuditRelayURL)
	spec.Containers = append(spec.Containers, corev1.Container{
		Name:            "audit-relay",
		Image:           o.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"audit-relay", "--dir", auditMountPath, "--listen", auditRelayAddr},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		},
		SecurityContext: &corev1.SecurityContext{RunAsUser: &root, RunAsNonRoot: &no, AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		VolumeMounts: []corev1.VolumeMount{{Name: "audit", MountPath: auditMountPath, ReadOnly: true}},
	})
	dir := corev1.HostPathDirectory
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "audit", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: o.AuditLogDir, Type: &dir}}})
	spec.NodeSelector = map[string]string{"node-role.kubernetes.io/control-plane": ""}
	spec.Tolerations = []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
}

func ptr[T any](v T) *T { return &v }

// Install creates or updates the CRDs, the controller's namespace, identity,
// RBAC and Deployment, and the seal key (created once, never replaced: a
// new key would make every sealed status read as tampered). Objects of
// those names that the lab did not create are refused, never changed.
func Install(ctx context.Context, c client.Client, o InstallOptions) error {
	report := o.Report
	if report == nil {
		report = func(string) {}
	}
	objs, err := Objects(o)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if err := applyOwned(ctx, c, obj); err != nil {
			return err
		}
		if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok {
			report("API " + crd.Name)
			if err := waitEstablished(ctx, c, crd.Name); err != nil {
				return err
			}
		}
		if _, ok := obj.(*corev1.Namespace); ok {
			if err := ensureSealKey(ctx, c); err != nil {
				return err
			}
		}
	}
	report("controller " + SystemNamespace + "/" + Name + " (" + o.Image + ")")
	return nil
}

func ensureSealKey(ctx context.Context, c client.Client) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: sealSecret, Namespace: SystemNamespace, Labels: labels("controller")}, Data: map[string][]byte{"key": key}}
	if err := c.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the seal key: %w", err)
	}
	var got corev1.Secret
	if err := c.Get(ctx, client.ObjectKeyFromObject(s), &got); err != nil {
		return fmt.Errorf("read the seal key: %w", err)
	}
	if got.Labels[cluster.LabelManagedBy] != cluster.ManagedBy {
		return &NotOursError{Kind: "Secret", Name: SystemNamespace + "/" + sealSecret}
	}
	return nil
}

// applyOwned server-side applies obj, after checking that an existing
// object of its name is the lab's.
func applyOwned(ctx context.Context, c client.Client, obj client.Object) error {
	existing := obj.DeepCopyObject().(client.Object)
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing)
	switch {
	case err == nil:
		if existing.GetLabels()[cluster.LabelManagedBy] != cluster.ManagedBy {
			return &NotOursError{Kind: obj.GetObjectKind().GroupVersionKind().Kind, Name: client.ObjectKeyFromObject(obj).String()}
		}
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("read %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	delete(u["metadata"].(map[string]any), "creationTimestamp")
	delete(u, "status")
	patch := &unstructuredObject{u}
	if err := c.Patch(ctx, patch.object(), client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
	return nil
}

func waitEstablished(ctx context.Context, c client.Client, name string) error {
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &crd); err != nil {
			return false, nil
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// Uninstall deletes what Install created outside the controller's
// namespace (which goes with the lab's namespaces): its ClusterRoles, its
// ClusterRoleBinding and the CRDs, whose deletion removes every Attempt and
// Workshop. An object of those names without the lab's label is left alone.
// It returns what it deleted.
func Uninstall(ctx context.Context, c client.Client) ([]string, error) {
	objs, err := Objects(InstallOptions{})
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, obj := range objs {
		if obj.GetNamespace() != "" {
			continue
		}
		if _, ok := obj.(*corev1.Namespace); ok {
			continue
		}
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		existing := obj.DeepCopyObject().(client.Object)
		switch err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing); {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return deleted, fmt.Errorf("read %s %s: %w", kind, obj.GetName(), err)
		}
		if existing.GetLabels()[cluster.LabelManagedBy] != cluster.ManagedBy {
			continue
		}
		if err := c.Delete(ctx, existing); err != nil && !apierrors.IsNotFound(err) {
			return deleted, fmt.Errorf("delete %s %s: %w", kind, obj.GetName(), err)
		}
		deleted = append(deleted, kind+" "+obj.GetName())
	}
	return deleted, nil
}
