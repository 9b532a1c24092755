// Package fakekube is client-go's fake clientset with the little of an API
// server and its controllers that the lab's unit tests rely on.
package fakekube

import (
	"fmt"
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// namespaced are the kinds a lab namespace can hold.
var namespaced = []schema.GroupVersionKind{
	corev1.SchemeGroupVersion.WithKind("Secret"), corev1.SchemeGroupVersion.WithKind("ConfigMap"),
	corev1.SchemeGroupVersion.WithKind("Service"), corev1.SchemeGroupVersion.WithKind("Pod"),
	appsv1.SchemeGroupVersion.WithKind("Deployment"), appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
	appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
	batchv1.SchemeGroupVersion.WithKind("Job"), batchv1.SchemeGroupVersion.WithKind("CronJob"),
}

var (
	replicaSets = appsv1.SchemeGroupVersion.WithResource("replicasets")
	pods        = corev1.SchemeGroupVersion.WithResource("pods")
	deployments = appsv1.SchemeGroupVersion.WithResource("deployments")
)

// New is a fake clientset where, as on an API server, every created object
// gets a fresh UID (a re-created object must differ from the original) and
// deleting a namespace deletes what is in it (at once: the fake has no
// Terminating phase).
func New(objs ...runtime.Object) *fake.Clientset {
	cs := fake.NewClientset(objs...)
	var n atomic.Int64
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if o, ok := a.(k8stesting.CreateAction).GetObject().(metav1.Object); ok && o.GetUID() == "" {
			o.SetUID(types.UID(fmt.Sprintf("uid-%d", n.Add(1))))
		}
		return false, nil, nil
	})
	generations(cs)
	cs.PrependReactor("delete", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ns := a.(k8stesting.DeleteAction).GetName()
		tr := cs.Tracker()
		for _, gvk := range namespaced {
			gvr, _ := meta.UnsafeGuessKindToResource(gvk)
			list, err := tr.List(gvr, gvk, ns)
			if err != nil {
				return true, nil, err
			}
			items, err := meta.ExtractList(list)
			if err != nil {
				return true, nil, err
			}
			for _, o := range items {
				if err := tr.Delete(gvr, ns, o.(metav1.Object).GetName()); err != nil {
					return true, nil, err
				}
			}
		}
		return false, nil, nil // the tracker deletes the namespace itself
	})
	return cs
}

// WithDeploymentGC adds the garbage collector's part in deleting a
// Deployment: its ReplicaSets and their pods go too, or, with propagation
// Orphan, the ReplicaSets lose their owner and keep running their pods.
func WithDeploymentGC(cs *fake.Clientset) *fake.Clientset {
	cs.PrependReactor("delete", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		da := a.(k8stesting.DeleteActionImpl)
		obj, err := cs.Tracker().Get(deployments, da.Namespace, da.Name)
		if err != nil {
			return false, nil, nil // the object reaction reports it
		}
		p := da.DeleteOptions.PropagationPolicy
		orphan := p != nil && *p == metav1.DeletePropagationOrphan
		return false, nil, collect(cs.Tracker(), da.Namespace, obj.(*appsv1.Deployment).UID, orphan)
	})
	return cs
}

// collect deletes (or orphans) the ReplicaSets owned by uid, and their pods.
func collect(tr k8stesting.ObjectTracker, ns string, uid types.UID, orphan bool) error {
	list, err := tr.List(replicaSets, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"), ns)
	if err != nil {
		return err
	}
	for _, rs := range list.(*appsv1.ReplicaSetList).Items {
		if !ownedBy(rs.OwnerReferences, uid) {
			continue
		}
		if orphan {
			rs.OwnerReferences = nil
			if err := tr.Update(replicaSets, &rs, ns); err != nil {
				return err
			}
			continue
		}
		ps, err := tr.List(pods, corev1.SchemeGroupVersion.WithKind("Pod"), ns)
		if err != nil {
			return err
		}
		for _, p := range ps.(*corev1.PodList).Items {
			if ownedBy(p.OwnerReferences, rs.UID) {
				if err := tr.Delete(pods, ns, p.Name); err != nil {
					return err
				}
			}
		}
		if err := tr.Delete(replicaSets, ns, rs.Name); err != nil {
			return err
		}
	}
	return nil
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// workloads are the kinds whose metadata.generation the API server raises
// on every change of their spec (and never for status).
var workloads = map[string]bool{"deployments": true, "statefulsets": true, "jobs": true, "cronjobs": true}

// generations gives workloads the API server's generation: 1 when created,
// one more on every update or patch that changes the spec. The lab reads it
// to tell an incident changed since its start from one left as deployed.
func generations(cs *fake.Clientset) {
	tr := cs.Tracker()
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if workloads[a.GetResource().Resource] && a.GetSubresource() == "" {
			if o, ok := a.(k8stesting.CreateAction).GetObject().(metav1.Object); ok {
				o.SetGeneration(1)
			}
		}
		return false, nil, nil
	})
	bump := func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !workloads[a.GetResource().Resource] || a.GetSubresource() != "" {
			return false, nil, nil
		}
		var name string
		switch act := a.(type) {
		case k8stesting.PatchAction:
			name = act.GetName()
		case k8stesting.UpdateAction:
			o, ok := act.GetObject().(metav1.Object)
			if !ok {
				return false, nil, nil
			}
			name = o.GetName()
		}
		before, err := tr.Get(a.GetResource(), a.GetNamespace(), name)
		if err != nil {
			return false, nil, nil // the object reaction reports it
		}
		handled, after, err := k8stesting.ObjectReaction(tr)(a)
		if err != nil || after == nil {
			return handled, after, err
		}
		gen := before.(metav1.Object).GetGeneration()
		if !equality.Semantic.DeepEqual(specOf(before), specOf(after)) {
			gen++
		}
		after.(metav1.Object).SetGeneration(gen)
		if err := tr.Update(a.GetResource(), after, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, after, nil
	}
	cs.PrependReactor("update", "*", bump)
	cs.PrependReactor("patch", "*", bump)
}

func specOf(o runtime.Object) any {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil
	}
	return u["spec"]
}
