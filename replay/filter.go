package replay

import (
	"slices"
	"strings"
	"time"
)

// Filter selects the requests of one learner's investigation of one
// incident.
type Filter struct {
	// Namespaces are the incident's namespaces; requests in other
	// namespaces are left out. Cluster-scoped looks that concern any
	// incident (nodes, storage classes, ...) and lists across all
	// namespaces are kept.
	Namespaces []string `json:"namespaces"`
	// From and To bound the time the API server received the request:
	// [From, To). A zero bound is open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Username keeps only the requests of that identity (a workshop
	// learner's); "" keeps every user that is not a system component (on
	// the local kind cluster the learner and the lab share the admin user).
	Username string `json:"username,omitempty"`
}

// LabUserAgentPrefixes start the user agents of the lab's own clients: the
// crashlab command (client-go's default user agent is the binary's name,
// "crashlab/v1.2.3 (linux/amd64) kubernetes/abc123") and its controller.
var LabUserAgentPrefixes = []string{"crashlab/", "crashlab-controller"}

// systemUserPrefixes start the users of cluster components and of the
// lab's controller, never a learner.
var systemUserPrefixes = []string{
	"system:node:",
	"system:kube-",
	"system:serviceaccount:kube-system:",
	"system:serviceaccount:crashlab-system:",
	"system:serviceaccount:local-path-storage:",
}

// clusterLooks are cluster-scoped resources a learner may look at for any
// incident.
var clusterLooks = []string{"nodes", "persistentvolumes", "storageclasses", "priorityclasses", "runtimeclasses"}

// IsLabRequest tells whether the event is a request of the lab itself.
func IsLabRequest(e Event) bool {
	for _, p := range LabUserAgentPrefixes {
		if strings.HasPrefix(e.UserAgent, p) {
			return true
		}
	}
	return false
}

// IsSystemUser tells whether the username is a cluster component's (a
// kubelet, the scheduler, a kube-system service account, the lab's
// controller).
func IsSystemUser(name string) bool {
	if name == "system:apiserver" {
		return true
	}
	for _, p := range systemUserPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Keep tells whether the filter keeps the event.
func (f Filter) Keep(e Event) bool {
	t := e.RequestReceivedTimestamp
	switch {
	case e.ObjectRef == nil: // a non-resource URL (/api, /healthz): discovery
		return false
	case !f.From.IsZero() && t.Before(f.From), !f.To.IsZero() && !t.Before(f.To):
		return false
	case IsLabRequest(e):
		return false
	case f.Username != "" && e.Username() != f.Username:
		return false
	case f.Username == "" && IsSystemUser(e.Username()):
		return false
	}
	return f.inScope(*e.ObjectRef)
}

func (f Filter) inScope(o ObjectRef) bool {
	if o.Namespace != "" {
		return len(f.Namespaces) == 0 || slices.Contains(f.Namespaces, o.Namespace)
	}
	switch {
	case slices.Contains(clusterLooks, o.Resource):
		return true
	case o.Resource == "namespaces":
		return o.Name == "" || len(f.Namespaces) == 0 || slices.Contains(f.Namespaces, o.Name)
	case o.Name == "" && namespacedLooks[o.Resource]:
		return true // a list across all namespaces (kubectl get pods -A)
	}
	return false
}

// namespacedLooks are namespaced resources whose list across all namespaces
// still looks at the incident's objects.
var namespacedLooks = map[string]bool{
	"pods": true, "events": true, "deployments": true, "replicasets": true, "statefulsets": true,
	"daemonsets": true, "jobs": true, "cronjobs": true, "services": true, "endpoints": true,
	"endpointslices": true, "configmaps": true, "secrets": true, "persistentvolumeclaims": true,
}

// Apply returns the events f keeps, in order.
func (f Filter) Apply(events []Event) []Event {
	var out []Event
	for _, e := range events {
		if f.Keep(e) {
			out = append(out, e)
		}
	}
	return out
}
