package replay

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pod  = "orders-api-6d8f7c9b5d-x2x4q"
	pod2 = "orders-api-6d8f7c9b5d-7kq9z"
)

func fixtureTimeline(t *testing.T, lab ...LabCommand) Timeline {
	t.Helper()
	l, err := ReadDir(fixture)
	require.NoError(t, err)
	events := Filter{Namespaces: []string{testNS}, From: page}.Apply(l.Events)
	return Build(events, page, lab)
}

func TestBuildFixture(t *testing.T) {
	tl := fixtureTimeline(t, LabCommand{Time: page.Add(75 * time.Second), Command: "hint"}, LabCommand{Time: page.Add(250 * time.Second), Command: "diagnose"})
	type row struct {
		since   string
		command string
		source  Source
		write   bool
		code    int
	}
	var got []row
	for _, e := range tl.Entries {
		got = append(got, row{e.Since.String(), e.Command, e.Source, e.Write, e.Code})
	}
	assert.Equal(t, []row{
		{"12.304512s", "kubectl get pods", SourceKubectl, false, 200},
		{"31.010203s", "kubectl describe pod " + pod, SourceKubectl, false, 200},
		{"58.400001s", "kubectl logs " + pod + " --previous", SourceKubectl, false, 200},
		{"1m15s", "crashlab hint", SourceLab, false, 0},
		{"1m35.2s", "kubectl get deployment orders-api", SourceKubectl, false, 200},
		{"2m20s", "kubectl edit deployment orders-api", SourceKubectl, true, 200},
		{"3m0.29s", "kubectl get pods -w", SourceKubectl, false, 200},
		{"3m45.6s", "kubectl get secret orders-database", SourceKubectl, false, 404},
		{"3m51.05s", "kubectl get secret orders-db", SourceKubectl, false, 200},
		{"4m10s", "crashlab diagnose", SourceLab, false, 0},
		{"4m22s", "kubectl edit deployment orders-api", SourceKubectl, true, 200},
		{"5m0.1s", "kubectl rollout restart deployment/orders-api", SourceKubectl, true, 200},
		{"5m20.5s", "kubectl delete pod " + pod2, SourceKubectl, true, 200},
	}, got)

	describe := tl.Entries[1]
	assert.Len(t, describe.Requests, 3)
	assert.Equal(t, []Ref{{Kind: "pod", Name: pod, Namespace: testNS}, {Kind: "event", Namespace: testNS}}, describe.Touched)
	assert.Equal(t, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true, Container: "app"}, tl.Entries[2].Look)

	wrong, right := tl.Entries[5], tl.Entries[10]
	assert.Equal(t, []Change{{Path: "spec.template.spec.containers[app].resources.limits.memory", Op: OpSet, Value: "256Mi"}}, wrong.Changes)
	assert.Equal(t, page.Add(171500*time.Millisecond), wrong.WrittenAt, "the edit wrote when the editor closed")
	assert.Equal(t, []Change{{Path: "spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key", Op: OpSet, Value: "database_url"}}, right.Changes)
	assert.Equal(t, []Change{{Path: restartedAt, Op: OpSet, Value: "2026-12-06T18:05:00Z"}}, tl.Entries[11].Changes)
	assert.Len(t, tl.Entries[12].Requests, 3, "delete waits for the pod to go")
}

// seq builds a kubectl request sequence at page+start, 10ms apart.
func seq(start float64, reqs ...[]any) []Event {
	var out []Event
	for i, r := range reqs {
		args := append([]any{}, r[2:]...)
		out = append(out, ev(start+float64(i)*0.01, r[0].(string), r[1].(string), args...))
	}
	return out
}

func req(verb, uri string, opts ...any) []any { return append([]any{verb, uri}, opts...) }

func TestRecognise(t *testing.T) {
	evSel := func(name string) string {
		return core("events?fieldSelector=involvedObject.name%3D" + name + "%2CinvolvedObject.namespace%3D" + testNS + "%2CinvolvedObject.uid%3Dabc&limit=500")
	}
	tests := []struct {
		name     string
		events   []Event
		commands []string
		look     Look // of the first entry
	}{
		{"get pods", seq(0, req("list", core("pods?limit=500"))), []string{"kubectl get pods"}, Look{Action: ActionGet, Kind: "pod"}},
		{"get pods -l", seq(0, req("list", core("pods?labelSelector=app%3Dweb&limit=500"))), []string{"kubectl get pods -l app=web"}, Look{Action: ActionGet, Kind: "pod"}},
		{"get pods -A", seq(0, req("list", "/api/v1/pods?limit=500")), []string{"kubectl get pods -A"}, Look{Action: ActionGet, Kind: "pod"}},
		{"get pod X (any output)", seq(0, req("get", core("pods/"+pod))), []string{"kubectl get pod " + pod}, Look{Action: ActionGet, Kind: "pod", Name: pod}},
		{"describe pod", seq(0, req("get", core("pods/"+pod)), req("get", core("pods/"+pod)), req("list", evSel(pod))),
			[]string{"kubectl describe pod " + pod}, Look{Action: ActionDescribe, Kind: "pod", Name: pod}},
		{"describe deployment", seq(0, req("get", apps("deployments/web")), req("get", apps("deployments/web")), req("list", evSel("web")), req("list", apps("replicasets?labelSelector=app%3Dweb&limit=500"))),
			[]string{"kubectl describe deployment web"}, Look{Action: ActionDescribe, Kind: "deployment", Name: "web"}},
		{"describe replicaset lists pods before events", seq(0, req("get", apps("replicasets/web-5d")), req("get", apps("replicasets/web-5d")), req("list", core("pods?labelSelector=app%3Dweb")), req("list", evSel("web-5d"))),
			[]string{"kubectl describe replicaset web-5d"}, Look{Action: ActionDescribe, Kind: "replicaset", Name: "web-5d"}},
		{"describe node", seq(0, req("get", "/api/v1/nodes/crashlab-control-plane"), req("get", "/api/v1/nodes/crashlab-control-plane"), req("list", "/api/v1/pods?fieldSelector=spec.nodeName%3Dcrashlab-control-plane%2Cstatus.phase%21%3DFailed&limit=500"), req("list", "/api/v1/events?fieldSelector=involvedObject.name%3Dcrashlab-control-plane&limit=500")),
			[]string{"kubectl describe node crashlab-control-plane"}, Look{Action: ActionDescribe, Kind: "node", Name: "crashlab-control-plane"}},
		{"describe secret (no events)", seq(0, req("get", core("secrets/db")), req("get", core("secrets/db"))), []string{"kubectl describe secret db"}, Look{Action: ActionDescribe, Kind: "secret", Name: "db"}},
		{"get events", seq(0, req("list", core("events?limit=500"))), []string{"kubectl get events"}, Look{Action: ActionEvents, Kind: "event"}},
		{"get events -w", seq(0, req("list", core("events?limit=500")), req("watch", core("events?resourceVersion=1&watch=true"))), []string{"kubectl get events -w"}, Look{Action: ActionEvents, Kind: "event"}},
		{"kubectl events --for", seq(0, req("list", core("events?fieldSelector=involvedObject.kind%3DPod%2CinvolvedObject.apiVersion%3Dv1%2CinvolvedObject.name%3D"+pod+"&limit=500"))),
			[]string{"kubectl events --for pod/" + pod}, Look{Action: ActionEvents, Kind: "event", Name: pod}},
		{"debug", seq(0, req("get", core("pods/"+pod)), req("patch", core("pods/"+pod+"/ephemeralcontainers"), []byte(`{"spec":{"ephemeralContainers":[{"name":"debugger-x","image":"busybox"}]}}`))),
			[]string{"kubectl debug " + pod}, Look{Action: ActionDebug, Kind: "pod", Name: pod}},
		{"logs", seq(0, req("get", core("pods/"+pod)), req("get", core("pods/"+pod+"/log?container=app"))), []string{"kubectl logs " + pod}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Container: "app"}},
		{"logs --previous -c", seq(0, req("get", core("pods/"+pod)), req("get", core("pods/"+pod+"/log?container=wait-db&previous=true"))), []string{"kubectl logs " + pod + " --previous"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true, Container: "wait-db"}},
		{"logs -f --tail", seq(0, req("get", core("pods/"+pod)), req("get", core("pods/"+pod+"/log?container=app&follow=true&tailLines=20"))), []string{"kubectl logs " + pod + " -f --tail=20"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Container: "app"}},
		{"logs deploy/X", seq(0, req("get", apps("deployments/orders-api")), req("list", core("pods?labelSelector=app%3Dorders-api")), req("get", core("pods/"+pod+"/log?container=app&previous=true"))),
			[]string{"kubectl logs deployment/orders-api --previous"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true, Container: "app"}},
		{"logs -l", seq(0, req("list", core("pods?labelSelector=app%3Dweb")), req("get", core("pods/web-1/log?container=app")), req("get", core("pods/web-2/log?container=app"))),
			[]string{"kubectl logs -l app=web"}, Look{Action: ActionLogs, Kind: "pod", Name: "web-1", Container: "app"}},
		{"exec", seq(0, req("get", core("pods/"+pod)), req("get", core("pods/"+pod+"/exec?command=sh&container=app&stdin=true&stdout=true&tty=true"))), []string{"kubectl exec " + pod + " -c app"}, Look{Action: ActionExec, Kind: "pod", Name: pod, Container: "app"}},
		{"port-forward", seq(0, req("get", core("pods/"+pod)), req("create", core("pods/"+pod+"/portforward"))), []string{"kubectl port-forward " + pod}, Look{Action: ActionPortForward, Kind: "pod", Name: pod}},
		{"get then get another", seq(0, req("get", core("pods/a")), req("get", core("pods/b"))), []string{"kubectl get pod a", "kubectl get pod b"}, Look{Action: ActionGet, Kind: "pod", Name: "a"}},
		{"get all", seq(0, req("list", core("pods?limit=500")), req("list", core("replicationcontrollers?limit=500")), req("list", core("services?limit=500")), req("list", "/apis/apps/v1/namespaces/"+testNS+"/daemonsets?limit=500"), req("list", apps("deployments?limit=500")), req("list", apps("replicasets?limit=500")), req("list", apps("statefulsets?limit=500"))),
			[]string{"kubectl get all"}, Look{Action: ActionGet, Kind: "all"}},
		{"set image", seq(0, req("get", apps("deployments/web")), req("patch", apps("deployments/web?fieldManager=kubectl-set"), []byte(`{"spec":{"template":{"spec":{"containers":[{"image":"web:v2","name":"app"}]}}}}`))),
			[]string{"kubectl set image deployment/web"}, Look{Action: ActionSet, Kind: "deployment", Name: "web"}},
		{"set env", seq(0, req("get", apps("deployments/web")), req("patch", apps("deployments/web?fieldManager=kubectl-set"), []byte(`{"spec":{"template":{"spec":{"containers":[{"env":[{"name":"A","value":"1"}],"name":"app"}]}}}}`))),
			[]string{"kubectl set env deployment/web"}, Look{Action: ActionSet, Kind: "deployment", Name: "web"}},
		{"scale", seq(0, req("get", apps("deployments/web")), req("patch", apps("deployments/web/scale"), []byte(`{"spec":{"replicas":3}}`))),
			[]string{"kubectl scale deployment/web --replicas=3"}, Look{Action: ActionScale, Kind: "deployment", Name: "web"}},
		{"client-side apply", seq(0, req("get", apps("deployments/web")), req("patch", apps("deployments/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"), []byte(`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}"}},"spec":{"replicas":2}}`))),
			[]string{"kubectl apply # deployment web"}, Look{Action: ActionApply, Kind: "deployment", Name: "web"}},
		{"client-side apply creates", seq(0, req("get", core("configmaps/cfg"), 404), req("create", core("configmaps?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"), "name=cfg", 201)),
			[]string{"kubectl apply # configmap cfg"}, Look{Action: ActionApply, Kind: "configmap", Name: "cfg"}},
		{"server-side apply", seq(0, req("patch", apps("deployments/web?fieldManager=kubectl&fieldValidation=Strict&force=false"), []byte(`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":2}}`))),
			[]string{"kubectl apply --server-side # deployment web"}, Look{Action: ActionApply, Kind: "deployment", Name: "web"}},
		{"patch", seq(0, req("patch", apps("deployments/web?fieldManager=kubectl-patch"), []byte(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:v3"}]`))),
			[]string{"kubectl patch deployment web"}, Look{Action: ActionPatch, Kind: "deployment", Name: "web"}},
		{"create", seq(0, req("create", core("secrets/db?fieldManager=kubectl-create&fieldValidation=Strict"), 201)), []string{"kubectl create secret db"}, Look{Action: ActionCreate, Kind: "secret", Name: "db"}},
		{"rollout status", seq(0, req("get", apps("deployments/web")), req("list", apps("deployments?fieldSelector=metadata.name%3Dweb")), req("watch", apps("deployments?fieldSelector=metadata.name%3Dweb&watch=true"))),
			[]string{"kubectl rollout status deployment/web"}, Look{Action: ActionRolloutStatus, Kind: "deployment", Name: "web"}},
		{"edit while describing elsewhere", append(seq(0, req("get", apps("deployments/web"))), seq(40, req("get", core("pods/"+pod)), req("patch", apps("deployments/web?fieldManager=kubectl-edit&fieldValidation=Strict"), []byte(`{"spec":{"replicas":1}}`)))...),
			[]string{"kubectl edit deployment web", "kubectl get pod " + pod}, Look{Action: ActionEdit, Kind: "deployment", Name: "web"}},
		{"describe pods -l", seq(0, req("list", core("pods?labelSelector=app%3Dweb&limit=500")), req("get", core("pods/web-1")), req("list", evSel("web-1")), req("get", core("pods/web-2")), req("list", evSel("web-2"))),
			[]string{"kubectl describe pods -l app=web"}, Look{Action: ActionDescribe, Kind: "pod", Name: "web-1"}},
		{"get pod X -w", seq(0, req("list", core("pods?fieldSelector=metadata.name%3D"+pod+"&limit=500")), req("watch", core("pods?fieldSelector=metadata.name%3D"+pod+"&resourceVersion=5&watch=true"))),
			[]string{"kubectl get pod " + pod + " -w"}, Look{Action: ActionGet, Kind: "pod", Name: pod}},
		{"top pods", seq(0, req("list", "/apis/metrics.k8s.io/v1beta1/namespaces/"+testNS+"/pods")), []string{"kubectl top pod"}, Look{Action: ActionTop, Kind: "pod"}},
		{"rollout history", seq(0, req("get", apps("deployments/web")), req("list", apps("replicasets?labelSelector=app%3Dweb"))),
			[]string{"kubectl rollout history deployment/web"}, Look{Action: ActionRolloutHistory, Kind: "deployment", Name: "web"}},
		{"rollout undo", seq(0, req("get", apps("deployments/web")), req("list", apps("replicasets?labelSelector=app%3Dweb")), req("patch", apps("deployments/web"), []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"web:v1"}]}}}}`))),
			[]string{"kubectl rollout undo deployment/web"}, Look{Action: ActionRolloutUndo, Kind: "deployment", Name: "web"}},
		{"unknown kubectl write shown raw", seq(0, req("patch", apps("deployments/web"), []byte(`{"spec":{"paused":true}}`))), []string{"PATCH deployments/web"}, Look{Action: ActionWrite, Kind: "deployment", Name: "web"}},
		{"lone log without its pod read", seq(0, req("get", core("pods/"+pod+"/log?container=app"))), []string{"kubectl logs " + pod}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Container: "app"}},
		{"another client is raw", seq(0, req("get", core("pods/"+pod+"/log?container=app&previous=true"), "ua=k9s/v0.32.5 (linux/amd64)")), []string{"GET pods/" + pod + "/log"}, Look{Action: ActionLogs, Kind: "pod", Name: pod, Previous: true, Container: "app"}},
		{"two clients interleaved", []Event{
			ev(0, "get", core("pods/a")), ev(0.005, "list", core("pods"), "ua=k9s/v0.32.5"), ev(0.01, "get", core("pods/a")), ev(0.02, "list", evSel("a"))},
			[]string{"kubectl describe pod a", "LIST pods"}, Look{Action: ActionDescribe, Kind: "pod", Name: "a"}},
		{"commands far apart are not grouped", []Event{ev(0, "get", core("pods/a")), ev(15, "get", core("pods/a"))}, []string{"kubectl get pod a", "kubectl get pod a"}, Look{Action: ActionGet, Kind: "pod", Name: "a"}},
		{"two gets a second apart are no describe", []Event{ev(0, "get", core("secrets/a")), ev(1, "get", core("secrets/a"))}, []string{"kubectl get secret a"}, Look{Action: ActionGet, Kind: "secret", Name: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(tt.events, page, nil)
			assert.Equal(t, tt.commands, commands(tl))
			require.NotEmpty(t, tl.Entries)
			assert.Equal(t, tt.look, tl.Entries[0].Look)
			n := 0
			for _, e := range tl.Entries {
				n += len(e.Requests)
			}
			assert.Equal(t, len(tt.events), n, "every request is in one entry")
		})
	}
}

func TestBuildRepeats(t *testing.T) {
	var events []Event
	for i := range 5 {
		events = append(events, ev(float64(2*i), "list", core("pods?limit=500")))
	}
	events = append(events, ev(30, "list", core("pods?limit=500")), ev(31, "get", core("pods/a")), ev(32.9, "get", core("pods/a")))
	tl := Build(events, page, nil)
	assert.Equal(t, []string{"kubectl get pods", "kubectl get pods", "kubectl get pod a"}, commands(tl))
	assert.Equal(t, 4, tl.Entries[0].Repeats, "watch kubectl get pods")
	assert.Equal(t, page.Add(8*time.Second), tl.Entries[0].Until)
	assert.Len(t, tl.Entries[0].Requests, 5)
	assert.Equal(t, 0, tl.Entries[1].Repeats, "20s later is a look of its own")
	assert.Equal(t, 1, tl.Entries[2].Repeats)
}

func TestBuildLabCommands(t *testing.T) {
	tl := Build([]Event{ev(10, "list", core("pods"))}, page, []LabCommand{
		{Time: page.Add(20 * time.Second), Command: "check"},
		{Time: page.Add(5 * time.Second), Command: "crashlab status"},
	})
	assert.Equal(t, []string{"crashlab status", "kubectl get pods", "crashlab check"}, commands(tl))
	assert.Equal(t, SourceLab, tl.Entries[0].Source)
	assert.Equal(t, "status", tl.Entries[0].Look.Action)
	assert.Equal(t, 20*time.Second, tl.Entries[2].Since)
}

func ExampleBuild() {
	tl := Build([]Event{
		ev(3, "get", core("pods/"+pod)),
		ev(3.01, "get", core("pods/"+pod+"/log?container=app&previous=true")),
	}, page, nil)
	for _, e := range tl.Entries {
		fmt.Println(e.Since, e.Command)
	}
	// Output: 3s kubectl logs orders-api-6d8f7c9b5d-x2x4q --previous
}

// TestTimelineJSONHasNoSecretValue: even from an event that still carries
// a Secret's body, the timeline's JSON has its keys and no value.
func TestTimelineJSONHasNoSecretValue(t *testing.T) {
	tl := Build(seq(0,
		req("get", core("secrets/db")),
		req("patch", core("secrets/db?fieldManager=kubectl-edit&fieldValidation=Strict"), []byte(`{"data":{"password":"aHVudGVyMg=="},"stringData":{"token":"hunter2"}}`)),
	), page, nil)
	require.Len(t, tl.Entries, 1)
	assert.Equal(t, "kubectl edit secret db", tl.Entries[0].Command)
	b, err := json.Marshal(tl)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "aHVudGVyMg==")
	assert.NotContains(t, string(b), "hunter2")
	assert.Contains(t, string(b), `"path":"data.password"`)
	assert.Contains(t, string(b), `"hidden":true`)
}

func TestCountTellsLooksWritesAndLabCommands(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    Counts
	}{
		{name: "empty", want: Counts{}},
		{name: "each kind", entries: []Entry{
			{Source: SourceLab, Command: "crashlab start"},
			{Source: SourceKubectl, Command: "kubectl get pods"},
			{Source: SourceClient, Command: "GET pods/x"},
			{Source: SourceKubectl, Command: "kubectl edit deployment x", Write: true},
		}, want: Counts{Looks: 2, Writes: 1, LabCommands: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Timeline{Entries: tt.entries}.Count())
		})
	}
}
