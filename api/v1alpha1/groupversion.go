// Package v1alpha1 is the lab's API: an Attempt is one learner's work on one
// incident, and a Workshop is a room of them. A learner writes an Attempt's
// spec (what they ask for); only the lab's controller writes its status (what
// the lab decided), because status is a subresource the learner's RBAC never
// grants. That is what lets a trainer trust a score the learner cannot write.
//
// +kubebuilder:object:generate=true
// +groupName=crashlab.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the lab's API group and this version of it.
var GroupVersion = schema.GroupVersion{Group: "crashlab.dev", Version: "v1alpha1"}

// AddToScheme registers Attempt and Workshop with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Attempt{}, &AttemptList{}, &Workshop{}, &WorkshopList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
