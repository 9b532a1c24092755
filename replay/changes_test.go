package replay

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChanges(t *testing.T) {
	tests := []struct {
		name string
		verb string
		uri  string
		body string
		want []Change
	}{
		{"strategic merge patch of an env var", "patch", apps("deployments/web?fieldManager=kubectl-edit"),
			`{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],"containers":[{"$setElementOrder/env":[{"name":"DATABASE_URL"}],"env":[{"name":"DATABASE_URL","valueFrom":{"secretKeyRef":{"key":"database_url"}}}],"name":"app"}]}}}}`,
			[]Change{{Path: "spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key", Op: OpSet, Value: "database_url"}}},
		{"several leaves, sorted", "patch", apps("deployments/web"),
			`{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"app","image":"web:v2","args":["--port","8080"]}]}}}}`,
			[]Change{
				{Path: "spec.replicas", Op: OpSet, Value: "3"},
				{Path: "spec.template.spec.containers[app].args", Op: OpSet, Value: `["--port","8080"]`},
				{Path: "spec.template.spec.containers[app].image", Op: OpSet, Value: "web:v2"},
			}},
		{"merge keys other than name", "patch", apps("deployments/web"),
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":8080,"protocol":"TCP"}],"volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}}}}`,
			[]Change{
				{Path: "spec.template.spec.containers[app].ports[8080].protocol", Op: OpSet, Value: "TCP"},
				{Path: "spec.template.spec.containers[app].volumeMounts[/data].readOnly", Op: OpSet, Value: "true"},
			}},
		{"a list element deleted", "patch", apps("deployments/web"),
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"$patch":"delete","name":"DEBUG"}]}]}}}}`,
			[]Change{{Path: "spec.template.spec.containers[app].env[DEBUG]", Op: OpRemove}}},
		{"merge patch null removes", "patch", apps("deployments/web"),
			`{"spec":{"template":{"spec":{"nodeSelector":null}}}}`,
			[]Change{{Path: "spec.template.spec.nodeSelector", Op: OpRemove}}},
		{"annotation keys in brackets", "patch", apps("deployments/web?fieldManager=kubectl-rollout"),
			`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-06T18:05:00Z"}}}}}`,
			[]Change{{Path: restartedAt, Op: OpSet, Value: "2026-12-06T18:05:00Z"}}},
		{"last applied configuration elided", "patch", apps("deployments/web"),
			`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\"}"}}}`,
			[]Change{{Path: `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, Op: OpSet, Value: "(the applied object)"}}},
		{"json patch", "patch", apps("deployments/web"),
			`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"web:v3"},{"op":"remove","path":"/metadata/annotations/a~1b"}]`,
			[]Change{{Path: "spec.template.spec.containers[0].image", Op: OpSet, Value: "web:v3"}, {Path: `metadata.annotations["a/b"]`, Op: OpRemove}}},
		{"primitive list delete directive", "patch", apps("deployments/web"),
			`{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}`,
			[]Change{{Path: "metadata.finalizers", Op: OpRemove, Value: `["x"]`}}},
		{"long value cut", "patch", core("configmaps/cfg"),
			`{"data":{"k":"` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}`,
			[]Change{{Path: "data.k", Op: OpSet, Value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"}}},
		{"a Secret's values never shown", "patch", core("secrets/db"),
			`{"data":{"database-url":"cG9zdGdyZXM6Ly8="},"stringData":{"password":"hunter2"}}`,
			[]Change{{Path: "data.database-url", Op: OpSet, Hidden: true}, {Path: "stringData.password", Op: OpSet, Hidden: true}}},
		{"a Secret created: its keys only", "create", core("secrets"),
			`{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},"data":{"password":"aHVudGVyMg=="},"type":"Opaque"}`,
			[]Change{{Path: "data.password", Op: OpWhole, Hidden: true}, {Path: "type", Op: OpWhole}}},
		{"an update carries the whole object", "update", apps("deployments/web"),
			`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web"},"spec":{"replicas":1},"status":{}}`,
			[]Change{{Path: "spec", Op: OpWhole}}},
		{"a ConfigMap created shows its data", "create", core("configmaps"),
			`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg"},"data":{"LOG_LEVEL":"debug"}}`,
			[]Change{{Path: "data.LOG_LEVEL", Op: OpWhole, Value: "debug"}}},
		{"no body (level Metadata)", "patch", core("secrets/db"), ``, nil},
		{"a body that is not JSON", "patch", apps("deployments/web"), `spec: {}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []any
			if tt.body != "" {
				opts = append(opts, []byte(tt.body))
			}
			assert.Equal(t, tt.want, changesOf(NewRequest(ev(0, tt.verb, tt.uri, opts...))))
		})
	}
}
