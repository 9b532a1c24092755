package replay

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

const (
	testNS  = "crashlab-orders-api-down-after-config"
	kubectl = "kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9"
	admin   = "kubernetes-admin"
)

var page = time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)

// ev builds the audit event of a request, its objectRef read from the URI
// as the API server does: "GET /api/v1/namespaces/ns/pods/x/log?previous=true"
// at page+sec. Options: a string starting with "ua=" or "user=", an int
// status code, a JSON body ([]byte).
func ev(sec float64, verb, uri string, opts ...any) (e Event) {
	at := page.Add(time.Duration(sec * float64(time.Second)))
	e = Event{
		Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: "Metadata", AuditID: "id-" + uri,
		Stage: StageResponseComplete, RequestURI: uri, Verb: verb,
		User: User{Username: admin}, UserAgent: kubectl,
		ResponseStatus:           &ResponseStatus{Code: 200},
		RequestReceivedTimestamp: at, StageTimestamp: at.Add(3 * time.Millisecond),
	}
	for _, o := range opts {
		switch v := o.(type) {
		case string:
			switch {
			case strings.HasPrefix(v, "ua="):
				e.UserAgent = strings.TrimPrefix(v, "ua=")
			case strings.HasPrefix(v, "user="):
				e.User.Username = strings.TrimPrefix(v, "user=")
			case strings.HasPrefix(v, "as="):
				e.ImpersonatedUser = &User{Username: strings.TrimPrefix(v, "as=")}
			}
		case int:
			e.ResponseStatus.Code = v
		case []byte:
			e.Level, e.RequestObject = "Request", json.RawMessage(v)
		}
	}
	defer func() {
		for _, o := range opts {
			if v, ok := o.(string); ok && strings.HasPrefix(v, "name=") && e.ObjectRef != nil {
				e.ObjectRef.Name = strings.TrimPrefix(v, "name=")
			}
		}
	}()
	path, _, _ := strings.Cut(uri, "?")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	group := ""
	if parts[0] == "api" && len(parts) > 2 {
		parts = parts[2:]
	} else if parts[0] == "apis" && len(parts) > 3 {
		group, parts = parts[1], parts[3:]
	} else {
		return e // a non-resource URL
	}
	ref := &ObjectRef{APIVersion: "v1", APIGroup: group}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		ref.Namespace, parts = parts[1], parts[2:]
	}
	ref.Resource = parts[0]
	if len(parts) > 1 {
		ref.Name = parts[1]
	}
	if len(parts) > 2 {
		ref.Subresource = parts[2]
	}
	e.ObjectRef = ref
	return e
}

func core(rest string) string { return "/api/v1/namespaces/" + testNS + "/" + rest }
func apps(rest string) string { return "/apis/apps/v1/namespaces/" + testNS + "/" + rest }

func commands(t Timeline) []string {
	var out []string
	for _, e := range t.Entries {
		out = append(out, e.Command)
	}
	return out
}

func bufioReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
