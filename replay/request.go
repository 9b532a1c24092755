package replay

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Request is one completed API request, as the replay reads it from an
// audit event.
type Request struct {
	Time        time.Time `json:"time"`
	AuditID     string    `json:"auditID"`
	Verb        string    `json:"verb"`
	Resource    string    `json:"resource"`
	Subresource string    `json:"subresource,omitempty"`
	Name        string    `json:"name,omitempty"`
	Namespace   string    `json:"namespace,omitempty"`
	APIGroup    string    `json:"apiGroup,omitempty"`
	// Query is the request URI's query, the first value of each parameter.
	Query     map[string]string `json:"query,omitempty"`
	Code      int               `json:"code,omitempty"`
	User      string            `json:"user"`
	UserAgent string            `json:"userAgent,omitempty"`
	// object is the request body (levels Request and above).
	object json.RawMessage
}

// NewRequest reads the request of an audit event.
func NewRequest(e Event) Request {
	r := Request{
		Time:      e.RequestReceivedTimestamp,
		AuditID:   e.AuditID,
		Verb:      e.Verb,
		Code:      e.Code(),
		User:      e.Username(),
		UserAgent: e.UserAgent,
		object:    e.RequestObject,
	}
	if o := e.ObjectRef; o != nil {
		r.Resource, r.Subresource, r.Name, r.Namespace, r.APIGroup = o.Resource, o.Subresource, o.Name, o.Namespace, o.APIGroup
	}
	if u, err := url.ParseRequestURI(e.RequestURI); err == nil {
		for k, v := range u.Query() {
			if r.Query == nil {
				r.Query = map[string]string{}
			}
			r.Query[k] = v[0]
		}
	}
	return r
}

// Path is the request's object as the API names it: pods, pods/X,
// pods/X/log.
func (r Request) Path() string {
	p := r.Resource
	if r.Name != "" {
		p += "/" + r.Name
	}
	if r.Subresource != "" {
		p += "/" + r.Subresource
	}
	return p
}

// String is the raw request: "GET pods/X/log", "LIST pods", "PATCH
// deployments/X".
func (r Request) String() string { return strings.ToUpper(r.Verb) + " " + r.Path() }

// IsWrite tells whether the request changes an object.
func (r Request) IsWrite() bool {
	switch r.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		// exec, attach and port-forward are POSTs (create) that change
		// nothing stored.
		return !isStream(r.Subresource)
	}
	return false
}

func isStream(sub string) bool { return sub == "exec" || sub == "attach" || sub == "portforward" }

// selector parses a label or field selector query parameter into its
// equality terms (a=b, a==b); other terms are left out.
func (r Request) selector(param string) map[string]string {
	s := r.Query[param]
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, term := range strings.Split(s, ",") {
		if strings.Contains(term, "!=") {
			continue
		}
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(strings.TrimPrefix(v, "="))
	}
	return out
}

// fieldName is the name a field selector picks (involvedObject.name for
// events, metadata.name otherwise), "" when none.
func (r Request) fieldName(field string) string { return r.selector("fieldSelector")[field] }

func (r Request) isGetOf(resource, name string) bool {
	return r.Verb == "get" && r.Subresource == "" && r.Resource == resource && r.Name == name
}

// isEventsFor tells whether the request lists the events of the object
// named name (what describe asks after the object).
func (r Request) isEventsFor(name string) bool {
	return (r.Verb == "list" || r.Verb == "watch") && r.Resource == "events" && r.fieldName("involvedObject.name") == name
}

func (r Request) isRead() bool { return r.Verb == "get" || r.Verb == "list" || r.Verb == "watch" }

// kind is the singular, lowercase kind of a resource: pods → pod.
func kindOf(resource string) string {
	if k, ok := resourceKinds[resource]; ok {
		return k
	}
	switch {
	case strings.HasSuffix(resource, "ies"):
		return strings.TrimSuffix(resource, "ies") + "y"
	case strings.HasSuffix(resource, "sses"), strings.HasSuffix(resource, "sses"):
		return strings.TrimSuffix(resource, "es")
	case strings.HasSuffix(resource, "s"):
		return strings.TrimSuffix(resource, "s")
	}
	return resource
}

var resourceKinds = map[string]string{
	"pods": "pod", "deployments": "deployment", "replicasets": "replicaset", "statefulsets": "statefulset",
	"daemonsets": "daemonset", "jobs": "job", "cronjobs": "cronjob", "secrets": "secret",
	"configmaps": "configmap", "nodes": "node", "events": "event", "services": "service",
	"endpoints": "endpoints", "endpointslices": "endpointslice", "namespaces": "namespace",
	"persistentvolumeclaims": "persistentvolumeclaim", "persistentvolumes": "persistentvolume",
	"storageclasses": "storageclass", "serviceaccounts": "serviceaccount", "ingresses": "ingress",
	"networkpolicies": "networkpolicy", "resourcequotas": "resourcequota", "limitranges": "limitrange",
	"horizontalpodautoscalers": "horizontalpodautoscaler", "priorityclasses": "priorityclass",
	"runtimeclasses": "runtimeclass", "poddisruptionbudgets": "poddisruptionbudget",
	"roles": "role", "rolebindings": "rolebinding",
}

// workloadResources own pods through a label selector.
var workloadResources = map[string]bool{
	"deployments": true, "replicasets": true, "statefulsets": true, "daemonsets": true, "jobs": true,
}
