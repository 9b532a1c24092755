package grader

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/podstate"
)

// ChangesSinceStart lists what differs between the objects an attempt
// deployed (baseline, with the UIDs the state's Recorded map holds) and the
// live state: a workload whose spec changed, an object deleted or replaced,
// a ConfigMap or Secret whose data changed, and a ConfigMap or Secret the
// workloads read that did not exist at the start but does now. Empty means
// the incident is as deployed.
//
// A diagnosis is of the incident as deployed: otherwise a learner could
// change the workload until another answer's evidence shows (a tiny memory
// limit makes an OOM kill) and be graded right for a failure they made.
// Workload specs are compared by metadata.generation, which the API server
// raises on every change of a spec (scale, pause, a template edit, a
// rollout restart) and never for status: it is what the controllers act on,
// where a field-by-field comparison would trip over the server's defaults.
func ChangesSinceStart(s *podstate.State, baseline []runtime.Object) []string {
	var out []string
	present := map[string]bool{}
	for _, obj := range baseline {
		kind, name := kindName(obj)
		key := kind + "/" + name
		present[key] = true
		live, uid, gen := liveObject(s, kind, name)
		switch {
		case live == nil:
			out = append(out, fmt.Sprintf("%s %s was deleted", kind, name))
			continue
		case s.Recorded[key] != "" && s.Recorded[key] != uid:
			out = append(out, fmt.Sprintf("%s %s was deleted and created again", kind, name))
			continue
		}
		switch o := obj.(type) {
		case *appsv1.Deployment, *appsv1.StatefulSet, *batchv1.Job, *batchv1.CronJob:
			if gen > 1 {
				out = append(out, fmt.Sprintf("%s %s's spec was changed (generation %d)", kind, name, gen))
			}
		case *corev1.Pod:
			if !sameContainers(o.Spec, live.(*corev1.Pod).Spec) {
				out = append(out, fmt.Sprintf("Pod %s's containers were changed", name))
			}
		case *corev1.ConfigMap:
			l := live.(*corev1.ConfigMap)
			if !equality.Semantic.DeepEqual(nonNil(o.Data), nonNil(l.Data)) || len(o.BinaryData) != len(l.BinaryData) {
				out = append(out, fmt.Sprintf("ConfigMap %s's data was changed", name))
			}
		case *corev1.Secret:
			if !sameSecretData(o, live.(*corev1.Secret)) {
				out = append(out, fmt.Sprintf("Secret %s's data was changed", name))
			}
		}
	}
	for _, key := range referencedNow(s) {
		if !present[key] {
			kind, name := splitKey(key)
			if live, _, _ := liveObject(s, kind, name); live != nil {
				out = append(out, fmt.Sprintf("%s %s, which the workload reads, was created after the start", kind, name))
			}
		}
	}
	return out
}

func kindName(obj runtime.Object) (string, string) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return fmt.Sprintf("%T", obj), ""
	}
	switch obj.(type) {
	case *appsv1.Deployment:
		return podstate.KindDeployment, m.GetName()
	case *appsv1.StatefulSet:
		return podstate.KindStatefulSet, m.GetName()
	case *batchv1.Job:
		return podstate.KindJob, m.GetName()
	case *batchv1.CronJob:
		return podstate.KindCronJob, m.GetName()
	case *corev1.Pod:
		return podstate.KindPod, m.GetName()
	case *corev1.ConfigMap:
		return "ConfigMap", m.GetName()
	case *corev1.Secret:
		return "Secret", m.GetName()
	}
	return obj.GetObjectKind().GroupVersionKind().Kind, m.GetName()
}

// liveObject finds an object of the state by kind and name, with its UID and
// generation; nil when the state holds none (or does not read that kind:
// Services and the like are not what a pod's failure reads).
func liveObject(s *podstate.State, kind, name string) (runtime.Object, string, int64) {
	var found metav1.Object
	var obj runtime.Object
	switch kind {
	case podstate.KindDeployment:
		for i := range s.Deployments {
			if s.Deployments[i].Name == name {
				found, obj = &s.Deployments[i], &s.Deployments[i]
			}
		}
	case podstate.KindStatefulSet:
		for i := range s.StatefulSets {
			if s.StatefulSets[i].Name == name {
				found, obj = &s.StatefulSets[i], &s.StatefulSets[i]
			}
		}
	case podstate.KindJob:
		for i := range s.Jobs {
			if s.Jobs[i].Name == name {
				found, obj = &s.Jobs[i], &s.Jobs[i]
			}
		}
	case podstate.KindCronJob:
		for i := range s.CronJobs {
			if s.CronJobs[i].Name == name {
				found, obj = &s.CronJobs[i], &s.CronJobs[i]
			}
		}
	case podstate.KindPod:
		for i := range s.Pods {
			if s.Pods[i].Name == name {
				found, obj = &s.Pods[i], &s.Pods[i]
			}
		}
	case "ConfigMap":
		if c := s.ConfigMaps[name]; c != nil {
			found, obj = c, c
		}
	case "Secret":
		if c := s.Secrets[name]; c != nil {
			found, obj = c, c
		}
	default:
		// A kind the reader does not list cannot be compared: it is taken as
		// it is, since nothing the diagnosis reads depends on it.
		return &metav1.PartialObjectMetadata{}, s.Recorded[kind+"/"+name], 0
	}
	if found == nil {
		return nil, "", 0
	}
	return obj, string(found.GetUID()), found.GetGeneration()
}

// referencedNow lists the ConfigMaps and Secrets ("Kind/name") that the pod
// templates of the live workloads and bare pods read: env, envFrom and
// volumes, projected ones included.
func referencedNow(s *podstate.State) []string {
	set := map[string]bool{}
	add := func(spec *corev1.PodSpec) {
		for _, key := range podSpecRefs(spec) {
			set[key] = true
		}
	}
	for i := range s.Deployments {
		add(&s.Deployments[i].Spec.Template.Spec)
	}
	for i := range s.StatefulSets {
		add(&s.StatefulSets[i].Spec.Template.Spec)
	}
	for i := range s.Jobs {
		add(&s.Jobs[i].Spec.Template.Spec)
	}
	for i := range s.CronJobs {
		add(&s.CronJobs[i].Spec.JobTemplate.Spec.Template.Spec)
	}
	for i := range s.Pods {
		// A controller's pods read what its template reads; only a bare
		// pod is its own template.
		if len(s.Pods[i].OwnerReferences) == 0 {
			add(&s.Pods[i].Spec)
		}
	}
	// The control plane publishes its CA into every namespace, a moment after
	// the namespace is created, and the ServiceAccount admission mounts it
	// into every pod: it is never the learner's doing.
	delete(set, "ConfigMap/"+rootCAConfigMap)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rootCAConfigMap is the ConfigMap kube-controller-manager's root CA
// publisher creates in every namespace.
const rootCAConfigMap = "kube-root-ca.crt"

func podSpecRefs(spec *corev1.PodSpec) []string {
	var out []string
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				out = append(out, "ConfigMap/"+r.Name)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				out = append(out, "Secret/"+r.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				out = append(out, "ConfigMap/"+e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil {
				out = append(out, "Secret/"+e.SecretRef.Name)
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			out = append(out, "ConfigMap/"+v.ConfigMap.Name)
		}
		if v.Secret != nil {
			out = append(out, "Secret/"+v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					out = append(out, "ConfigMap/"+src.ConfigMap.Name)
				}
				if src.Secret != nil {
					out = append(out, "Secret/"+src.Secret.Name)
				}
			}
		}
	}
	return out
}

func splitKey(key string) (string, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// sameContainers compares what a learner can change on a bare pod: the
// images (the only container field a pod lets one update) and, should a
// pod be created again under the same name, the commands, args and env.
func sameContainers(want, got corev1.PodSpec) bool {
	if len(want.Containers) != len(got.Containers) || len(want.InitContainers) != len(got.InitContainers) {
		return false
	}
	pairs := append(zip(want.Containers, got.Containers), zip(want.InitContainers, got.InitContainers)...)
	for _, p := range pairs {
		w, g := p[0], p[1]
		if w.Name != g.Name || w.Image != g.Image ||
			!equality.Semantic.DeepEqual(w.Command, g.Command) || !equality.Semantic.DeepEqual(w.Args, g.Args) ||
			len(w.Env) != len(g.Env) {
			return false
		}
	}
	return true
}

func zip(a, b []corev1.Container) [][2]corev1.Container {
	out := make([][2]corev1.Container, len(a))
	for i := range a {
		out[i] = [2]corev1.Container{a[i], b[i]}
	}
	return out
}

// sameSecretData compares a Secret as written (stringData and data) with
// the live one, whose API server folded stringData into data.
func sameSecretData(want, got *corev1.Secret) bool {
	w := map[string]string{}
	for k, v := range want.Data {
		w[k] = string(v)
	}
	for k, v := range want.StringData {
		w[k] = v
	}
	g := map[string]string{}
	for k, v := range got.Data {
		g[k] = string(v)
	}
	for k, v := range got.StringData {
		g[k] = v
	}
	return equality.Semantic.DeepEqual(w, g)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CheckNothingChanged names the verdict of a fix check on an incident that
// is still exactly as deployed.
const CheckNothingChanged = "something-changed"

// NothingChangedVerdict is the fix verdict for an incident the learner has
// not changed at all. It is given instead of running the incident's rules:
// their refusals name what is wrong ("the key the Secret does not have"),
// and a check run before any investigation must not answer the diagnosis.
// Every accepted fix changes the workload or an object it reads, so nothing
// a fix could pass is refused by it.
func NothingChangedVerdict(scenario string) Verdict {
	v := Verdict{Kind: "fix", Scenario: scenario}
	v.add(CheckNothingChanged, false, "nothing has changed since the start: the workload and the objects it reads are as deployed, so it fails as it did; find the cause, change it, then check again")
	v.finish()
	return v
}

// Untouched reports whether the learner has done nothing to the incident
// that a check could judge: no change ChangesSinceStart finds, and no
// workload, pod, ConfigMap or Secret that the lab did not create (a
// stand-in next to the broken workload is something to refuse by name, not
// "nothing changed"). The lab's own objects (the attempt record, an
// interview's requests, which Read leaves out) and the control plane's CA
// are not the learner's.
func Untouched(s *podstate.State, baseline []runtime.Object) bool {
	if len(ChangesSinceStart(s, baseline)) > 0 {
		return false
	}
	mine := func(kind, name string) bool { return s.Recorded[kind+"/"+name] != "" }
	for _, d := range s.Deployments {
		if !mine(podstate.KindDeployment, d.Name) {
			return false
		}
	}
	for _, o := range s.StatefulSets {
		if !mine(podstate.KindStatefulSet, o.Name) {
			return false
		}
	}
	for _, o := range s.Jobs {
		if len(o.OwnerReferences) == 0 && !mine(podstate.KindJob, o.Name) {
			return false
		}
	}
	for _, o := range s.CronJobs {
		if !mine(podstate.KindCronJob, o.Name) {
			return false
		}
	}
	for _, o := range s.ReplicaSets {
		if len(o.OwnerReferences) == 0 {
			return false
		}
	}
	for _, p := range s.Pods {
		if len(p.OwnerReferences) == 0 && !mine(podstate.KindPod, p.Name) {
			return false
		}
	}
	for name, cm := range s.ConfigMaps {
		if _, record := cm.Labels[cluster.LabelRecord]; !record && name != rootCAConfigMap && !mine("ConfigMap", name) {
			return false
		}
	}
	for name := range s.Secrets {
		if !mine("Secret", name) {
			return false
		}
	}
	return true
}
