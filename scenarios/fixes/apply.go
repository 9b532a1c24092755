package fixes

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/crashlab/crashlab/scenarios"
)

// Apply performs the fix's steps in order in namespace ns, through the API as
// kubectl would: the same code edits a fake clientset in unit tests and the
// lab cluster in the e2e suite. Templates in the steps are filled from vals
// and the live objects at the moment each step runs.
func Apply(ctx context.Context, c kubernetes.Interface, ns string, vals scenarios.Values, fix Fix) error {
	r := &renderer{ctx: ctx, c: c, ns: ns, vals: vals}
	for i, st := range fix.Steps {
		a, ok := actions[st.Action]
		if !ok {
			return fmt.Errorf("fix %s: step %d: unknown step %q", fix.Name, i+1, st.Action)
		}
		spec, err := r.renderJSON(st.Spec)
		if err != nil {
			return fmt.Errorf("fix %s: step %d (%s): %w", fix.Name, i+1, st.Action, err)
		}
		if err := a.apply(ctx, c, ns, spec); err != nil {
			return fmt.Errorf("fix %s: step %d (%s): %w", fix.Name, i+1, st.Action, err)
		}
	}
	return nil
}

// step is the body of one action.
type step interface {
	validate() error
	apply(ctx context.Context, c kubernetes.Interface, ns string) error
}

type action struct {
	validate func(json.RawMessage) error
	apply    func(context.Context, kubernetes.Interface, string, json.RawMessage) error
}

// actionOf decodes a step's body strictly into T, so that a misspelt field is
// an error in the file, not a silently ignored edit.
func actionOf[T any, PT interface {
	*T
	step
}]() action {
	decode := func(spec json.RawMessage) (PT, error) {
		v := PT(new(T))
		if err := strictJSON(spec, v); err != nil {
			return nil, err
		}
		return v, v.validate()
	}
	return action{
		validate: func(spec json.RawMessage) error { _, err := decode(spec); return err },
		apply: func(ctx context.Context, c kubernetes.Interface, ns string, spec json.RawMessage) error {
			v, err := decode(spec)
			if err != nil {
				return err
			}
			return v.apply(ctx, c, ns)
		},
	}
}

var actions = map[string]action{
	"patch":          actionOf[PatchStep](),
	"rolloutRestart": actionOf[RolloutRestartStep](),
	"scale":          actionOf[ScaleStep](),
	"delete":         actionOf[DeleteStep](),
	"create":         actionOf[CreateStep](),
	"recreate":       actionOf[RecreateStep](),
	"barePod":        actionOf[BarePodStep](),
	"fromTemplate":   actionOf[FromTemplateStep](),
}

func actionNames() []string {
	out := make([]string, 0, len(actions))
	for k := range actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kinds the steps can touch, each with an empty object: strategic merge
// patches are computed against its Go type and manifests decode into it.
var kinds = map[string]func() runtime.Object{
	"Deployment": func() runtime.Object { return &appsv1.Deployment{} },
	"Pod":        func() runtime.Object { return &corev1.Pod{} },
	"Secret":     func() runtime.Object { return &corev1.Secret{} },
	"ConfigMap":  func() runtime.Object { return &corev1.ConfigMap{} },
	"Service":    func() runtime.Object { return &corev1.Service{} },
	"Job":        func() runtime.Object { return &batchv1.Job{} },
	"CronJob":    func() runtime.Object { return &batchv1.CronJob{} },
}

func kindNames() string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// ObjectRef names an object of the lab namespace.
type ObjectRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (r ObjectRef) check(only ...string) error {
	if _, ok := kinds[r.Kind]; !ok {
		return fmt.Errorf("kind %q is not one the steps know (%s)", r.Kind, kindNames())
	}
	if len(only) > 0 && !contains(only, r.Kind) {
		return fmt.Errorf("kind %s: this step takes %s", r.Kind, strings.Join(only, " or "))
	}
	if r.Name == "" {
		return fmt.Errorf("name is missing")
	}
	return nil
}

// parseRef reads "Kind/name".
func parseRef(s string, only ...string) (ObjectRef, error) {
	kind, name, ok := strings.Cut(s, "/")
	if !ok {
		return ObjectRef{}, fmt.Errorf("from %q: write Kind/name, e.g. Deployment/orders-api", s)
	}
	r := ObjectRef{Kind: kind, Name: name}
	return r, r.check(only...)
}

// PatchStep is `kubectl patch --type strategic|merge|json`.
type PatchStep struct {
	ObjectRef
	Type  string          `json:"type,omitempty"` // strategic (default), merge or json
	Patch json.RawMessage `json:"patch"`
}

func (p *PatchStep) patchType() types.PatchType {
	switch p.Type {
	case "merge":
		return types.MergePatchType
	case "json":
		return types.JSONPatchType
	}
	return types.StrategicMergePatchType
}

func (p *PatchStep) validate() error {
	if err := p.check(); err != nil {
		return err
	}
	if len(p.Patch) == 0 || string(p.Patch) == "null" {
		return fmt.Errorf("patch is missing")
	}
	switch p.Type {
	case "", "strategic":
		return checkStrategic(p.Kind, p.Patch)
	case "merge":
		// A merge patch reads like the object itself, nulls deleting.
		return strictJSON(p.Patch, kinds[p.Kind]())
	case "json":
		return checkJSONPatch(p.Patch)
	}
	return fmt.Errorf("type %q: must be strategic, merge or json", p.Type)
}

func (p *PatchStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	o, err := objectsOf(c, ns, p.Kind)
	if err != nil {
		return err
	}
	return o.patch(ctx, p.Name, p.patchType(), p.Patch)
}

// checkStrategic applies a strategic merge patch to an empty object of the
// kind and decodes the result strictly: a misspelt field fails here.
func checkStrategic(kind string, patch json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(patch, &m); err != nil {
		return fmt.Errorf("a strategic merge patch is an object: %w", err)
	}
	_, err := strategicLocal(kind, kinds[kind](), patch)
	return err
}

type jsonOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

func checkJSONPatch(patch json.RawMessage) error {
	var ops []jsonOp
	if err := strictJSON(patch, &ops); err != nil {
		return fmt.Errorf("a JSON patch is a list of {op, path, value}: %w", err)
	}
	if len(ops) == 0 {
		return fmt.Errorf("a JSON patch needs at least one operation")
	}
	for i, op := range ops {
		if !strings.HasPrefix(op.Path, "/") {
			return fmt.Errorf("operation %d: path %q must start with /", i+1, op.Path)
		}
		switch op.Op {
		case "add", "replace", "test":
			if len(op.Value) == 0 {
				return fmt.Errorf("operation %d (%s): value is missing", i+1, op.Op)
			}
		case "move", "copy":
			if op.From == "" {
				return fmt.Errorf("operation %d (%s): from is missing", i+1, op.Op)
			}
		case "remove":
		default:
			return fmt.Errorf("operation %d: op %q is not a JSON patch operation", i+1, op.Op)
		}
	}
	return nil
}

// RolloutRestartStep is `kubectl rollout restart`: a new template annotation,
// so the Deployment rolls out fresh pods (which re-read Secrets into env).
type RolloutRestartStep struct{ ObjectRef }

func (s *RolloutRestartStep) validate() error { return s.check("Deployment") }

func (s *RolloutRestartStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{"kubectl.kubernetes.io/restartedAt": time.Now().Format(time.RFC3339Nano)}}}}})
	if err != nil {
		return err
	}
	_, err = c.AppsV1().Deployments(ns).Patch(ctx, s.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// ScaleStep is `kubectl scale --replicas`.
type ScaleStep struct {
	ObjectRef
	Replicas *int32 `json:"replicas"`
}

func (s *ScaleStep) validate() error {
	if err := s.check("Deployment"); err != nil {
		return err
	}
	if s.Replicas == nil || *s.Replicas < 0 {
		return fmt.Errorf("replicas is missing or negative")
	}
	return nil
}

func (s *ScaleStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, *s.Replicas)
	_, err := c.AppsV1().Deployments(ns).Patch(ctx, s.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// DeleteStep is `kubectl delete --cascade=background|foreground|orphan`;
// without propagation the API server's default for the kind applies. Like
// kubectl, it returns once the object is gone.
type DeleteStep struct {
	ObjectRef
	Propagation string `json:"propagation,omitempty"`
}

func (s *DeleteStep) validate() error {
	if err := s.check(); err != nil {
		return err
	}
	switch s.Propagation {
	case "", string(metav1.DeletePropagationBackground), string(metav1.DeletePropagationForeground), string(metav1.DeletePropagationOrphan):
		return nil
	}
	return fmt.Errorf("propagation %q: must be Background, Foreground or Orphan", s.Propagation)
}

func (s *DeleteStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	o, err := objectsOf(c, ns, s.Kind)
	if err != nil {
		return err
	}
	opts := metav1.DeleteOptions{}
	if s.Propagation != "" {
		p := metav1.DeletionPropagation(s.Propagation)
		opts.PropagationPolicy = &p
	}
	if err := o.delete(ctx, s.Name, opts); err != nil {
		return err
	}
	// kubectl delete waits until the object is gone (--wait=true); with
	// Foreground or Orphan a finalizer holds it until the garbage collector
	// has dealt with its dependents.
	return wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := o.get(ctx, s.Name)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// CreateStep is `kubectl create -f` of one full object (apiVersion, kind,
// metadata.name, ...), created in the lab namespace.
type CreateStep struct {
	Manifest json.RawMessage `json:"manifest"`
}

func (s *CreateStep) decode() (runtime.Object, string, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(s.Manifest, &tm); err != nil {
		return nil, "", fmt.Errorf("manifest: %w", err)
	}
	mk, ok := kinds[tm.Kind]
	if !ok {
		return nil, "", fmt.Errorf("manifest kind %q is not one the steps know (%s)", tm.Kind, kindNames())
	}
	obj := mk()
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		return nil, "", err
	}
	if want := gvks[0].GroupVersion().String(); tm.APIVersion != want {
		return nil, "", fmt.Errorf("manifest of kind %s needs apiVersion %s, got %q", tm.Kind, want, tm.APIVersion)
	}
	if err := strictJSON(s.Manifest, obj); err != nil {
		return nil, "", fmt.Errorf("manifest: %w", err)
	}
	m, ok := obj.(metav1.Object)
	if !ok || m.GetName() == "" {
		return nil, "", fmt.Errorf("manifest needs metadata.name")
	}
	return obj, tm.Kind, nil
}

func (s *CreateStep) validate() error {
	_, _, err := s.decode()
	return err
}

func (s *CreateStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	obj, kind, err := s.decode()
	if err != nil {
		return err
	}
	obj.(metav1.Object).SetNamespace(ns)
	o, err := objectsOf(c, ns, kind)
	if err != nil {
		return err
	}
	return o.create(ctx, obj)
}

// RecreateStep deletes an object and creates an edited copy of it under the
// same name, as `kubectl get -o yaml`, an edit, `kubectl delete` and
// `kubectl create -f` would: same content, new UID. Patch (strategic merge,
// optional) is the edit.
type RecreateStep struct {
	ObjectRef
	Patch json.RawMessage `json:"patch,omitempty"`
}

// recreatable kinds: their copy needs no server-set fields removed beyond
// metadata and status.
var recreatable = []string{"Deployment", "Secret", "ConfigMap"}

func (s *RecreateStep) validate() error {
	if err := s.check(recreatable...); err != nil {
		return err
	}
	if len(s.Patch) > 0 {
		return checkStrategic(s.Kind, s.Patch)
	}
	return nil
}

func (s *RecreateStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	o, err := objectsOf(c, ns, s.Kind)
	if err != nil {
		return err
	}
	live, err := o.get(ctx, s.Name)
	if err != nil {
		return err
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		return err
	}
	// Keep what a learner's copy keeps: name, labels and the content; the
	// server-set metadata and the status go.
	meta := live.(metav1.Object)
	delete(u, "status")
	md := map[string]any{"name": meta.GetName()}
	if l := meta.GetLabels(); l != nil {
		md["labels"] = toAny(l)
	}
	u["metadata"] = md
	fresh := kinds[s.Kind]()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, fresh); err != nil {
		return err
	}
	if len(s.Patch) > 0 {
		if fresh, err = strategicLocal(s.Kind, fresh, s.Patch); err != nil {
			return err
		}
	}
	fresh.(metav1.Object).SetNamespace(ns)
	bg := metav1.DeletePropagationBackground
	if err := o.delete(ctx, s.Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		return err
	}
	// The old object may linger for a moment (finalizers); kubectl create
	// would fail with AlreadyExists and a learner would run it again.
	return wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		err := o.create(ctx, fresh.DeepCopyObject())
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return err == nil, err
	})
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// BarePodStep copies a Deployment's pod template into a Pod of its own (no
// owner), edited by Patch (strategic merge on the Pod). With replace, the
// Deployment is deleted before the Pod is created, as a learner replacing the
// workload by "just a pod" would (and so that its ReplicaSet cannot adopt the
// Pod while it still exists).
type BarePodStep struct {
	From    string          `json:"from"`
	Name    string          `json:"name"`
	Replace bool            `json:"replace,omitempty"`
	Patch   json.RawMessage `json:"patch,omitempty"`
}

func (s *BarePodStep) validate() error {
	if _, err := parseRef(s.From, "Deployment"); err != nil {
		return err
	}
	if s.Name == "" {
		return fmt.Errorf("name is missing")
	}
	if len(s.Patch) > 0 {
		return checkStrategic("Pod", s.Patch)
	}
	return nil
}

func (s *BarePodStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	from, _ := parseRef(s.From)
	d, err := c.AppsV1().Deployments(ns).Get(ctx, from.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	tmpl := d.Spec.Template.DeepCopy()
	var pod runtime.Object = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: ns, Labels: tmpl.Labels, Annotations: tmpl.Annotations},
		Spec:       tmpl.Spec,
	}
	if len(s.Patch) > 0 {
		if pod, err = strategicLocal("Pod", pod, s.Patch); err != nil {
			return err
		}
	}
	if s.Replace {
		if err := c.AppsV1().Deployments(ns).Delete(ctx, from.Name, metav1.DeleteOptions{}); err != nil {
			return err
		}
	}
	_, err = c.CoreV1().Pods(ns).Create(ctx, pod.(*corev1.Pod), metav1.CreateOptions{})
	return err
}

// FromTemplateStep makes a Job or CronJob from a Deployment's pod template, as
// a learner copying the manifest into a Job would, or a Job from a CronJob's
// job template, as `kubectl create job NAME --from=cronjob/CRON` does.
// A pod template taken from a Deployment gets restartPolicy OnFailure (a Job
// refuses Always); podLabels, when given, replace its labels; patch (strategic
// merge on the new object) edits the rest.
type FromTemplateStep struct {
	From      string            `json:"from"`
	Kind      string            `json:"kind"`
	Name      string            `json:"name"`
	Schedule  string            `json:"schedule,omitempty"` // CronJob only, required there
	PodLabels map[string]string `json:"podLabels,omitempty"`
	Patch     json.RawMessage   `json:"patch,omitempty"`
}

func (s *FromTemplateStep) validate() error {
	from, err := parseRef(s.From, "Deployment", "CronJob")
	if err != nil {
		return err
	}
	if err := (ObjectRef{Kind: s.Kind, Name: s.Name}).check("Job", "CronJob"); err != nil {
		return err
	}
	switch {
	case from.Kind == "CronJob" && s.Kind != "Job":
		return fmt.Errorf("from a CronJob only a Job can be made")
	case s.Kind == "CronJob" && s.Schedule == "":
		return fmt.Errorf("a CronJob needs schedule")
	case s.Kind == "Job" && s.Schedule != "":
		return fmt.Errorf("schedule is for a CronJob")
	}
	if len(s.Patch) > 0 {
		return checkStrategic(s.Kind, s.Patch)
	}
	return nil
}

func (s *FromTemplateStep) apply(ctx context.Context, c kubernetes.Interface, ns string) error {
	from, _ := parseRef(s.From)
	var obj runtime.Object
	switch from.Kind {
	case "Deployment":
		d, err := c.AppsV1().Deployments(ns).Get(ctx, from.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		tmpl := *d.Spec.Template.DeepCopy()
		if tmpl.Spec.RestartPolicy == "" || tmpl.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}
		if s.PodLabels != nil {
			tmpl.Labels = s.PodLabels
		}
		meta := metav1.ObjectMeta{Name: s.Name, Namespace: ns}
		spec := batchv1.JobSpec{Template: tmpl}
		if s.Kind == "CronJob" {
			obj = &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: s.Schedule, JobTemplate: batchv1.JobTemplateSpec{Spec: spec}}}
		} else {
			obj = &batchv1.Job{ObjectMeta: meta, Spec: spec}
		}
	case "CronJob":
		cj, err := c.BatchV1().CronJobs(ns).Get(ctx, from.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		jt := cj.Spec.JobTemplate.DeepCopy()
		ann := map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}
		for k, v := range jt.Annotations {
			ann[k] = v
		}
		if s.PodLabels != nil {
			jt.Spec.Template.Labels = s.PodLabels
		}
		obj = &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: ns, Labels: jt.Labels, Annotations: ann,
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))}},
			Spec: jt.Spec,
		}
	}
	var err error
	if len(s.Patch) > 0 {
		if obj, err = strategicLocal(s.Kind, obj, s.Patch); err != nil {
			return err
		}
	}
	o, err := objectsOf(c, ns, s.Kind)
	if err != nil {
		return err
	}
	return o.create(ctx, obj)
}

// strategicLocal applies a strategic merge patch to an object in memory, as
// the API server would to a stored one: lists with a merge key (containers,
// env, ports, ...) merge by it, "$patch: delete" and nulls remove.
func strategicLocal(kind string, obj runtime.Object, patch json.RawMessage) (runtime.Object, error) {
	orig, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	schema := kinds[kind]()
	merged, err := strategicpatch.StrategicMergePatch(orig, patch, schema)
	if err != nil {
		return nil, fmt.Errorf("strategic merge patch on a %s: %w", kind, err)
	}
	out := kinds[kind]()
	if err := strictJSON(merged, out); err != nil {
		return nil, fmt.Errorf("patch on a %s: %w", kind, err)
	}
	return out, nil
}

// objects is what the steps do to one kind, through the typed client.
type objects struct {
	get    func(ctx context.Context, name string) (runtime.Object, error)
	create func(ctx context.Context, obj runtime.Object) error
	patch  func(ctx context.Context, name string, pt types.PatchType, data []byte) error
	delete func(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

type typedClient[T runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

func wrap[T runtime.Object](cl typedClient[T]) objects {
	return objects{
		get: func(ctx context.Context, name string) (runtime.Object, error) {
			o, err := cl.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return o, nil
		},
		create: func(ctx context.Context, obj runtime.Object) error {
			t, ok := obj.(T)
			if !ok {
				return fmt.Errorf("cannot create a %T here", obj)
			}
			_, err := cl.Create(ctx, t, metav1.CreateOptions{})
			return err
		},
		patch: func(ctx context.Context, name string, pt types.PatchType, data []byte) error {
			_, err := cl.Patch(ctx, name, pt, data, metav1.PatchOptions{})
			return err
		},
		delete: cl.Delete,
	}
}

func objectsOf(c kubernetes.Interface, ns, kind string) (objects, error) {
	switch kind {
	case "Deployment":
		return wrap[*appsv1.Deployment](c.AppsV1().Deployments(ns)), nil
	case "Pod":
		return wrap[*corev1.Pod](c.CoreV1().Pods(ns)), nil
	case "Secret":
		return wrap[*corev1.Secret](c.CoreV1().Secrets(ns)), nil
	case "ConfigMap":
		return wrap[*corev1.ConfigMap](c.CoreV1().ConfigMaps(ns)), nil
	case "Service":
		return wrap[*corev1.Service](c.CoreV1().Services(ns)), nil
	case "Job":
		return wrap[*batchv1.Job](c.BatchV1().Jobs(ns)), nil
	case "CronJob":
		return wrap[*batchv1.CronJob](c.BatchV1().CronJobs(ns)), nil
	}
	return objects{}, fmt.Errorf("kind %q is not one the steps know (%s)", kind, kindNames())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
