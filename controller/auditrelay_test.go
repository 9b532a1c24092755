package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/replay"
)

func auditEvent(at time.Time, user, agent, ns, name string) string {
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "stage": "ResponseComplete",
		"auditID": fmt.Sprintf("id-%d", at.UnixNano()), "requestURI": "/api/v1/namespaces/" + ns + "/pods/" + name, "verb": "get",
		"user": map[string]any{"username": user}, "userAgent": agent,
		"objectRef":                map[string]any{"resource": "pods", "namespace": ns, "name": name, "apiVersion": "v1"},
		"responseStatus":           map[string]any{"code": 200},
		"requestReceivedTimestamp": at.UTC().Format(time.RFC3339Nano),
		"stageTimestamp":           at.UTC().Format(time.RFC3339Nano),
	}
	b, _ := json.Marshal(ev)
	return string(b) + "\n"
}

const (
	ann     = "system:serviceaccount:crashlab-workshop-room:ann"
	bob     = "system:serviceaccount:crashlab-workshop-room:bob"
	kubectl = "kubectl/v1.34.1 (linux/amd64) kubernetes/abc"
)

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// The tail reads each file once, across a rotation and a line cut in two,
// and keeps workshop learners' requests only, by user.
func TestTheAuditTailReadsWhatTheLogGained(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(AuditRelayHandler(dir))
	defer srv.Close()
	tail := newAuditTail(HTTPAuditSource{Base: srv.URL})
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	current := filepath.Join(dir, "audit.log")

	appendTo(t, current, auditEvent(at, ann, kubectl, "ns-ann", "a1")+
		auditEvent(at.Add(time.Second), "kubernetes-admin", kubectl, "ns-ann", "admin")+
		auditEvent(at.Add(2*time.Second), ann, "crashlab/dev", "ns-ann", "lab"))
	half := auditEvent(at.Add(3*time.Second), bob, kubectl, "ns-bob", "b1")
	appendTo(t, current, half[:40])
	require.NoError(t, tail.poll(ctx))
	assert.Len(t, tail.events[ann], 1, "the admin's and the lab's own requests are not kept")
	assert.Empty(t, tail.events[bob], "a line not ended yet waits")

	appendTo(t, current, half[40:])
	// The API server rotates: audit.log is renamed, a new one begins.
	require.NoError(t, os.Rename(current, filepath.Join(dir, "audit-2026-12-06T10-00-04.000.log")))
	appendTo(t, current, auditEvent(at.Add(5*time.Second), ann, kubectl, "ns-ann", "a2"))
	require.NoError(t, tail.poll(ctx))
	require.NoError(t, tail.poll(ctx), "a poll with nothing new")
	names := func(user string) []string {
		var out []string
		for _, e := range tail.events[user] {
			out = append(out, e.ObjectRef.Name)
		}
		return out
	}
	assert.Equal(t, []string{"a1", "a2"}, names(ann), "each request once, in order")
	assert.Equal(t, []string{"b1"}, names(bob))
	assert.Equal(t, 2, tail.seen[ann])
}

func TestTheRelayRefusesWhatItShouldNotServe(t *testing.T) {
	dir := t.TempDir()
	appendTo(t, filepath.Join(dir, "audit.log"), "x\n")
	srv := httptest.NewServer(AuditRelayHandler(dir))
	defer srv.Close()
	files, err := HTTPAuditSource{Base: srv.URL}.Files(context.Background())
	require.NoError(t, err)
	require.Len(t, files, 1)
	tests := []struct {
		name  string
		query string
		code  int
	}{
		{name: "another folder", query: "name=../audit.log&id=" + files[0].ID + "&offset=0", code: http.StatusBadRequest},
		{name: "no offset", query: "name=audit.log&id=" + files[0].ID, code: http.StatusBadRequest},
		{name: "a negative offset", query: "name=audit.log&id=" + files[0].ID + "&offset=-1", code: http.StatusBadRequest},
		{name: "a file rotated since the listing", query: "name=audit.log&id=1&offset=0", code: http.StatusConflict},
		{name: "a file that is not there", query: "name=audit-x.log&id=1&offset=0", code: http.StatusNotFound},
		{name: "the listed file", query: "name=audit.log&id=" + files[0].ID + "&offset=0", code: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/file?" + tt.query)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.code, resp.StatusCode)
		})
	}
}

// The status keeps the replay without the raw requests, and the board's
// last looks.
func TestInvestigationOf(t *testing.T) {
	page := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var entries []replay.Entry
	for i, c := range []string{"kubectl get pods", "kubectl describe pod x", "kubectl logs x --previous", "kubectl edit deployment x"} {
		entries = append(entries, replay.Entry{Source: replay.SourceKubectl, Command: c, Since: time.Duration(i+1) * 65 * time.Second, Write: i == 3, Requests: []replay.Request{{Verb: "get"}}})
	}
	entries = append(entries, replay.Entry{Source: replay.SourceLab, Command: "crashlab check", Since: 5 * time.Minute})
	inv, err := investigationOf(lab.Replay{Scenario: "x", Page: page, Timeline: replay.Timeline{Page: page, Entries: entries}})
	require.NoError(t, err)
	assert.Equal(t, int32(3), inv.Looks)
	assert.Equal(t, int32(1), inv.Writes)
	assert.Equal(t, []string{"+2m10s kubectl describe pod x", "+3m15s kubectl logs x --previous", "+4m20s kubectl edit deployment x"}, inv.Recent)
	var back lab.Replay
	require.NoError(t, json.Unmarshal([]byte(inv.Replay), &back))
	require.Len(t, back.Timeline.Entries, 5)
	for _, e := range back.Timeline.Entries {
		assert.Empty(t, e.Requests)
	}
}

// With the audit log, the relay runs beside the controller as the log's
// owner with nothing else: no capability, read-only, loopback only; the
// controller stays non-root.
func TestTheAuditRelayHasNothingButTheLog(t *testing.T) {
	objs, err := Objects(InstallOptions{Image: "crashlab.local/crashlab:test", AuditLogDir: "/var/log/kubernetes/audit"})
	require.NoError(t, err)
	var spec *corev1.PodSpec
	for _, o := range objs {
		if dep, ok := o.(*appsv1.Deployment); ok {
			spec = &dep.Spec.Template.Spec
		}
	}
	require.NotNil(t, spec)
	require.Len(t, spec.Containers, 2)
	ctl, relay := spec.Containers[0], spec.Containers[1]
	assert.Contains(t, ctl.Args, AuditRelayURL)
	assert.Nil(t, ctl.SecurityContext.RunAsUser, "the controller runs as the pod's non-root user")
	assert.True(t, *spec.SecurityContext.RunAsNonRoot)
	sc := relay.SecurityContext
	assert.Equal(t, int64(0), *sc.RunAsUser)
	assert.False(t, *sc.AllowPrivilegeEscalation)
	assert.True(t, *sc.ReadOnlyRootFilesystem)
	assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	assert.Empty(t, sc.Capabilities.Add)
	require.Len(t, relay.VolumeMounts, 1)
	assert.True(t, relay.VolumeMounts[0].ReadOnly)
	assert.Contains(t, relay.Args, "127.0.0.1:8090")
	var hostPaths []string
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostPaths = append(hostPaths, v.HostPath.Path)
		}
	}
	assert.Equal(t, []string{"/var/log/kubernetes/audit"}, hostPaths)

	plain, err := Objects(InstallOptions{Image: "crashlab.local/crashlab:test"})
	require.NoError(t, err)
	for _, o := range plain {
		if dep, ok := o.(*appsv1.Deployment); ok {
			assert.Len(t, dep.Spec.Template.Spec.Containers, 1, "without the log, no relay and no host mount")
			assert.Empty(t, dep.Spec.Template.Spec.NodeSelector)
		}
	}
}
