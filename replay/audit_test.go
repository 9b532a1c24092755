package replay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixture = "testdata/investigation"

func TestRead(t *testing.T) {
	const good = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns/pods?limit=500","verb":"list","user":{"username":"kubernetes-admin","groups":["system:authenticated"]},"sourceIPs":["172.18.0.1"],"userAgent":"kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9","objectRef":{"resource":"pods","namespace":"ns","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-12-06T18:00:02.000001Z","stageTimestamp":"2026-12-06T18:00:02.004512Z"}`
	early := strings.NewReplacer(`"a1"`, `"a0"`, "18:00:02.000001", "18:00:01.500000").Replace(good)
	tests := []struct {
		name      string
		in        string
		ids       []string
		skipped   int
		wantError bool
	}{
		{name: "one event", in: good + "\n", ids: []string{"a1"}},
		{name: "no final newline", in: good, ids: []string{"a1"}},
		{name: "blank lines", in: "\n" + good + "\n\n", ids: []string{"a1"}},
		{name: "truncated last line", in: good + "\n" + good[:90], ids: []string{"a1"}, skipped: 1},
		{name: "garbage between", in: "not json\n" + good + "\n{}\n", ids: []string{"a1"}, skipped: 2},
		{name: "other stages left out, not skipped", in: strings.Replace(good, "ResponseComplete", "RequestReceived", 1) + "\n" + strings.Replace(good, "ResponseComplete", "ResponseStarted", 1)},
		{name: "panic counts", in: strings.Replace(good, "ResponseComplete", "Panic", 1), ids: []string{"a1"}},
		{name: "sorted by arrival", in: good + "\n" + early + "\n", ids: []string{"a0", "a1"}},
		{name: "not an Event", in: strings.Replace(good, `"kind":"Event"`, `"kind":"Policy"`, 1), skipped: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(strings.NewReader(tt.in))
			require.NoError(t, err)
			var ids []string
			for _, e := range l.Events {
				ids = append(ids, e.AuditID)
			}
			assert.Equal(t, tt.ids, ids)
			assert.Equal(t, tt.skipped, l.Skipped)
		})
	}
}

func TestReadFields(t *testing.T) {
	l, err := Read(strings.NewReader(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"b2","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/ns/deployments/web?fieldManager=kubectl-edit\u0026fieldValidation=Strict","verb":"patch","user":{"username":"kubernetes-admin","groups":["kubeadm:cluster-admins","system:authenticated"]},"impersonatedUser":{"username":"alice","groups":["learners"]},"sourceIPs":["172.18.0.1"],"userAgent":"kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9","objectRef":{"resource":"deployments","namespace":"ns","name":"web","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"spec":{"replicas":3}},"requestReceivedTimestamp":"2026-12-06T18:00:02.123456Z","stageTimestamp":"2026-12-06T18:00:02.130000Z","annotations":{"authorization.k8s.io/decision":"allow"}}`))
	require.NoError(t, err)
	require.Len(t, l.Events, 1)
	e := l.Events[0]
	assert.Equal(t, "alice", e.Username())
	assert.Equal(t, 200, e.Code())
	assert.Equal(t, "apps", e.ObjectRef.APIGroup)
	assert.Equal(t, 123456000, e.RequestReceivedTimestamp.Nanosecond())
	assert.JSONEq(t, `{"spec":{"replicas":3}}`, string(e.RequestObject))
	r := NewRequest(e)
	assert.Equal(t, "kubectl-edit", r.Query["fieldManager"])
	assert.Equal(t, "PATCH deployments/web", r.String())
}

func TestReadFailingReader(t *testing.T) {
	_, err := Read(iotest.ErrReader(errors.New("disk gone")))
	assert.ErrorContains(t, err, "disk gone")
}

func TestReadDir(t *testing.T) {
	l, err := ReadDir(fixture)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(fixture, "audit-2026-12-06T18-01-00.000.log"), filepath.Join(fixture, "audit.log")}, l.Files)
	// A line cut by the crash before rotation, a line of text, and the
	// current file's last line, still being written.
	assert.Equal(t, 3, l.Skipped)
	for i := 1; i < len(l.Events); i++ {
		assert.False(t, l.Events[i].RequestReceivedTimestamp.Before(l.Events[i-1].RequestReceivedTimestamp), "event %d out of order", i)
		assert.Equal(t, StageResponseComplete, l.Events[i].Stage)
	}
	assert.Equal(t, 26, len(l.Events))
}

func TestLogFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"audit.log", "audit-2026-12-06T18-10-00.000.log", "audit-2026-12-06T09-00-00.000.log", "audit-2026-12-05T23-00-00.000.log.gz", "kube-apiserver.log", "policy.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "audit-dir.log"), 0o755))
	files, err := LogFiles(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{
		filepath.Join(dir, "audit-2026-12-06T09-00-00.000.log"),
		filepath.Join(dir, "audit-2026-12-06T18-10-00.000.log"),
		filepath.Join(dir, "audit.log"),
	}, files)

	assert.Equal(t, []string{"audit-2026-12-06T09-00-00.000.log", "audit.log"},
		OrderLogFiles([]string{"audit.log", "policy.yaml", "audit-2026-12-06T09-00-00.000.log", "audit-2026-12-05T09-00-00.000.log.gz", "auditor.log"}))
	assert.Empty(t, OrderLogFiles([]string{"kube-apiserver.log"}))

	_, err = ReadDir(t.TempDir())
	assert.ErrorIs(t, err, ErrNoAuditLog)
	_, err = ReadDir(filepath.Join(dir, "absent"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestReadRedactsSecrets(t *testing.T) {
	const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"c3","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns/secrets?fieldManager=kubectl-create","verb":"create","user":{"username":"kubernetes-admin"},"objectRef":{"resource":"secrets","namespace":"ns","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},"data":{"password":"aHVudGVyMg=="},"stringData":{"token":"s3cr3t"},"type":"Opaque"},"requestReceivedTimestamp":"2026-12-06T18:00:02.000001Z","stageTimestamp":"2026-12-06T18:00:02.004512Z"}`
	l, err := Read(strings.NewReader(line))
	require.NoError(t, err)
	require.Len(t, l.Events, 1)
	body := string(l.Events[0].RequestObject)
	for _, secret := range []string{"aHVudGVyMg==", "s3cr3t", "hunter2"} {
		assert.NotContains(t, body, secret)
	}
	assert.JSONEq(t, `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":""}},"data":{"password":""},"stringData":{"token":""},"type":"Opaque"}`, body)

	patch := strings.NewReplacer(`"verb":"create"`, `"verb":"patch"`, `"auditID":"c3"`, `"auditID":"c4"`).Replace(line)
	patch = patch[:strings.Index(patch, `"requestObject":`)] + `"requestObject":[{"op":"add","path":"/data/key","value":"c2VjcmV0"}],` + patch[strings.Index(patch, `"requestReceivedTimestamp"`):]
	l, err = Read(strings.NewReader(patch))
	require.NoError(t, err)
	require.Len(t, l.Events, 1)
	assert.JSONEq(t, `[{"op":"add","path":"/data/key","value":""}]`, string(l.Events[0].RequestObject))
}
