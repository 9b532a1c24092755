package podstate

import (
	"context"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// ReadPod reads one pod the way Read reads a lab namespace, for `crashlab
// explain POD` on any cluster: the pod, the events about it, its node, the
// Secrets its env refers to, the ConfigMaps and Secrets its volumes mount,
// the Job that owns it, and for a pod that waits for a node what the
// scheduler weighs (readPlacement). Only GETs and LISTs, never a write. The pod
// must be readable; everything else is best effort, because a user who may
// read a pod may not read Secrets or Nodes: what could not be read is listed
// in Unreadable instead of failing the whole explanation.
func ReadPod(ctx context.Context, c kubernetes.Interface, namespace, name string) (*State, []string, error) {
	pod, err := c.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("read pod %s/%s: %w", namespace, name, err)
	}
	s := &State{Target: Target{Namespace: namespace, Kind: KindPod, Name: name}, ForPod: true,
		Pods: []corev1.Pod{*pod}, Current: []corev1.Pod{*pod},
		Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}, Unread: map[string]bool{}}
	var unreadable []string
	note := func(what string, err error) {
		if apierrors.IsForbidden(err) {
			unreadable = append(unreadable, what+" (forbidden)")
			return
		}
		unreadable = append(unreadable, fmt.Sprintf("%s (%v)", what, err))
	}
	// get reads one object; NotFound is a fact (the object is missing), any
	// other error leaves it unknown.
	get := func(kind, what string, fn func() error) {
		if err := fn(); err != nil && !apierrors.IsNotFound(err) {
			s.Unread[kind+"/"+what] = true
			note(strings.ToLower(kind)+" "+what, err)
		}
	}
	sel := fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": name}.AsSelector().String()
	if ev, err := c.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: sel}); err == nil {
		for _, e := range ev.Items {
			// The name alone could match an earlier pod of the same name.
			if e.InvolvedObject.UID == "" || e.InvolvedObject.UID == pod.UID {
				s.Events = append(s.Events, e)
			}
		}
	} else {
		note("events", err)
	}
	if pod.Spec.NodeName != "" {
		if n, err := c.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{}); err == nil {
			s.Nodes = []corev1.Node{*n}
		} else {
			note("node "+pod.Spec.NodeName, err)
		}
	}
	// A pod on a node that is still Pending may be held by its volumes;
	// once its containers run, its volumes were mounted, and reading every
	// pod's service account CA would only add noise where it is forbidden.
	var cms, secs []string
	if pod.Spec.NodeName != "" && pod.Status.Phase == corev1.PodPending {
		cms, secs = configRefs(&pod.Spec)
	}
	for _, ref := range append(secretRefs(&pod.Spec), secs...) {
		if _, done := s.Secrets[ref]; done || s.Unread["Secret/"+ref] {
			continue
		}
		get("Secret", ref, func() error {
			sec, err := c.CoreV1().Secrets(namespace).Get(ctx, ref, metav1.GetOptions{})
			if err == nil {
				s.Secrets[ref] = sec
			}
			return err
		})
	}
	for _, ref := range cms {
		get("ConfigMap", ref, func() error {
			cm, err := c.CoreV1().ConfigMaps(namespace).Get(ctx, ref, metav1.GetOptions{})
			if err == nil {
				s.ConfigMaps[ref] = cm
			}
			return err
		})
	}
	if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == KindJob {
		get("Job", ref.Name, func() error {
			j, err := c.BatchV1().Jobs(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				s.Jobs = []batchv1.Job{*j}
			}
			return err
		})
	}
	if pod.Spec.NodeName == "" && unschedulable(pod) != "" {
		readPlacement(ctx, c, pod, s, note)
	}
	return s, unreadable, nil
}

// readPlacement reads what the scheduler weighs for a pod it has not
// placed: the nodes, the pods already on them when it lacks room, and its
// claims with their StorageClass, volumes and events. Everything is
// optional: what cannot be read stays nil, which means unknown.
func readPlacement(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, s *State, note func(string, error)) {
	if nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		s.Nodes = nodes.Items
	} else {
		note("nodes", err)
	}
	// Listing every bound pod of the cluster is the costly read, so it is
	// done only when the scheduler says a resource is short.
	if len(s.Nodes) > 0 && strings.Contains(unschedulable(pod), "Insufficient") {
		running := "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed"
		if l, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: running}); err == nil {
			s.NodePods = l.Items
		} else {
			note("pods of every namespace (what the nodes already run)", err)
		}
	}
	var claims []string
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if len(claims) == 0 {
		return
	}
	s.Claims = map[string]*corev1.PersistentVolumeClaim{}
	unbound := false
	for _, name := range claims {
		var err error
		var pvc *corev1.PersistentVolumeClaim
		if pvc, err = c.CoreV1().PersistentVolumeClaims(pod.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			s.Claims[name] = pvc
			unbound = unbound || pvc.Status.Phase != corev1.ClaimBound
		} else if !apierrors.IsNotFound(err) {
			s.Unread["PersistentVolumeClaim/"+name] = true
			note("persistentvolumeclaim "+name, err)
			continue
		}
		sel := fields.Set{"involvedObject.kind": "PersistentVolumeClaim", "involvedObject.name": name}.AsSelector().String()
		if ev, err := c.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel}); err == nil {
			s.Events = append(s.Events, ev.Items...)
		} else {
			note("events of claim "+name, err)
		}
	}
	if !unbound {
		return
	}
	if l, err := c.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{}); err == nil {
		s.StorageClasses = map[string]*storagev1.StorageClass{}
		for i := range l.Items {
			s.StorageClasses[l.Items[i].Name] = &l.Items[i]
		}
	} else {
		note("storageclasses", err)
	}
	if l, err := c.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{}); err == nil {
		s.PersistentVolumes = l.Items
		if s.PersistentVolumes == nil {
			s.PersistentVolumes = []corev1.PersistentVolume{}
		}
	} else {
		note("persistentvolumes", err)
	}
}

// secretRefs names the Secrets the pod's env refers to by key.
func secretRefs(spec *corev1.PodSpec) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range list {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !seen[e.ValueFrom.SecretKeyRef.Name] {
					seen[e.ValueFrom.SecretKeyRef.Name] = true
					out = append(out, e.ValueFrom.SecretKeyRef.Name)
				}
			}
		}
	}
	return out
}
