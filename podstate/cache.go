package podstate

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Cache is a watch-based cache of one lab namespace's workloads and pods,
// for the live judge, which reads them again on every change for minutes: it
// lists and watches once, then reads from memory. Only the namespace is
// watched, and nothing outside it.
type Cache struct {
	factory informers.SharedInformerFactory
	pods    cache.SharedIndexInformer
	others  []cache.SharedIndexInformer
	changed chan struct{}
	c       kubernetes.Interface
	cancel  context.CancelFunc
}

// NewCache starts the informers and waits until they hold the namespace.
// They stop when ctx ends or Stop is called.
func NewCache(ctx context.Context, c kubernetes.Interface, ns string) (*Cache, error) {
	f := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithNamespace(ns))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	n := &Cache{factory: f, changed: make(chan struct{}, 1), c: c, cancel: cancel}
	n.pods = f.Core().V1().Pods().Informer()
	n.others = []cache.SharedIndexInformer{
		f.Apps().V1().Deployments().Informer(),
		f.Apps().V1().StatefulSets().Informer(),
		f.Apps().V1().ReplicaSets().Informer(),
		f.Batch().V1().Jobs().Informer(),
		f.Batch().V1().CronJobs().Informer(),
	}
	notify := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { n.notify() },
		UpdateFunc: func(any, any) { n.notify() },
		DeleteFunc: func(any) { n.notify() },
	}
	for _, inf := range append([]cache.SharedIndexInformer{n.pods}, n.others...) {
		if _, err := inf.AddEventHandler(notify); err != nil {
			cancel()
			return nil, fmt.Errorf("watch namespace %s: %w", ns, err)
		}
	}
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			n.Stop()
			if parent.Err() != nil {
				return nil, Interrupted(parent)
			}
			return nil, fmt.Errorf("watch namespace %s: %v did not sync", ns, typ)
		}
	}
	return n, nil
}

func (n *Cache) notify() {
	select {
	case n.changed <- struct{}{}:
	default: // a change is already pending; one look covers both
	}
}

// Changed delivers after any change in the namespace since the last receive.
func (n *Cache) Changed() <-chan struct{} { return n.changed }

// Stop ends the informers and waits for their goroutines.
func (n *Cache) Stop() {
	n.cancel()
	n.factory.Shutdown()
}

// Current returns the target's current pods as the one reader chooses them,
// from memory; found is false when the target workload is gone.
func (n *Cache) Current(t Target) (pods []corev1.Pod, found bool, err error) {
	all := labels.Everything()
	f := n.factory
	deps, err := f.Apps().V1().Deployments().Lister().Deployments(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	sts, err := f.Apps().V1().StatefulSets().Lister().StatefulSets(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	rss, err := f.Apps().V1().ReplicaSets().Lister().ReplicaSets(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	jobs, err := f.Batch().V1().Jobs().Lister().Jobs(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	cjs, err := f.Batch().V1().CronJobs().Lister().CronJobs(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	ps, err := f.Core().V1().Pods().Lister().Pods(t.Namespace).List(all)
	if err != nil {
		return nil, false, err
	}
	// Listers hand out the cache's own objects: copy before anyone keeps them.
	s := &State{Target: t}
	for _, d := range deps {
		s.Deployments = append(s.Deployments, *d.DeepCopy())
	}
	for _, o := range sts {
		s.StatefulSets = append(s.StatefulSets, *o.DeepCopy())
	}
	for _, o := range jobs {
		s.Jobs = append(s.Jobs, *o.DeepCopy())
	}
	for _, o := range cjs {
		s.CronJobs = append(s.CronJobs, *o.DeepCopy())
	}
	for _, o := range ps {
		s.Pods = append(s.Pods, *o.DeepCopy())
	}
	for i := range s.Deployments {
		if t.Kind == KindDeployment && s.Deployments[i].Name == t.Name {
			s.Deployment = &s.Deployments[i]
		}
	}
	rsList := make([]appsv1.ReplicaSet, 0, len(rss))
	for _, o := range rss {
		rsList = append(rsList, *o.DeepCopy())
	}
	return currentPods(t, s.Deployments, s.StatefulSets, rsList, s.Jobs, s.CronJobs, s.Pods), s.WorkloadFound(), nil
}

// Observed tells whether the target's controller has acted on its latest
// spec (Deployment, StatefulSet); other kinds have nothing to wait for.
func (n *Cache) Observed(t Target) (bool, error) {
	switch t.Kind {
	case KindDeployment:
		d, err := n.factory.Apps().V1().Deployments().Lister().Deployments(t.Namespace).Get(t.Name)
		if err != nil {
			return false, fmt.Errorf("Deployment %s: %w", t.Name, err)
		}
		return d.Status.ObservedGeneration >= d.Generation, nil
	case KindStatefulSet:
		o, err := n.factory.Apps().V1().StatefulSets().Lister().StatefulSets(t.Namespace).Get(t.Name)
		if err != nil {
			return false, fmt.Errorf("StatefulSet %s: %w", t.Name, err)
		}
		return o.Status.ObservedGeneration >= o.Generation, nil
	}
	return true, nil
}
