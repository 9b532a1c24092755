package controller

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// unstructuredObject carries an applied object as a map, so that server-side
// apply sends only the fields the lab sets (a typed object would send its
// zero values too, and own them).
type unstructuredObject struct{ m map[string]any }

func (u *unstructuredObject) object() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: u.m}
}
