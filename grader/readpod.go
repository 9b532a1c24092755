package grader

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// ReadPod reads one pod the way Read reads a lab namespace, for `crashlab
// explain POD` on any cluster: the pod, the events about it, its node and
// the Secrets its env refers to. Only GETs and LISTs, never a write. The pod
// must be readable; everything else is best effort, because a user who may
// read a pod may not read Secrets or Nodes: what could not be read is listed
// in Unreadable instead of failing the whole explanation.
func ReadPod(ctx context.Context, c kubernetes.Interface, namespace, name string) (*State, []string, error) {
	pod, err := c.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("read pod %s/%s: %w", namespace, name, err)
	}
	s := &State{Target: Target{Namespace: namespace, Kind: KindPod, Name: name},
		Pods: []corev1.Pod{*pod}, Current: []corev1.Pod{*pod},
		Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	var unreadable []string
	note := func(what string, err error) {
		if apierrors.IsForbidden(err) {
			unreadable = append(unreadable, what+" (forbidden)")
			return
		}
		unreadable = append(unreadable, fmt.Sprintf("%s (%v)", what, err))
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
	for _, ref := range secretRefs(&pod.Spec) {
		sec, err := c.CoreV1().Secrets(namespace).Get(ctx, ref, metav1.GetOptions{})
		switch {
		case err == nil:
			s.Secrets[ref] = sec
		case apierrors.IsNotFound(err):
			// Missing is a fact: missingSecretKeys reports it.
		default:
			note("secret "+ref, err)
		}
	}
	return s, unreadable, nil
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
