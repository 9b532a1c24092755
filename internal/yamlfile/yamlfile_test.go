package yamlfile_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/internal/yamlfile"
)

type resources struct {
	Limits map[string]string `json:"limits"`
}

type container struct {
	Name      string    `json:"name"`
	Resources resources `json:"resources"`
}

type spec struct {
	Replicas   int         `json:"replicas"`
	Containers []container `json:"containers"`
}

func TestDecodeNamesFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{{
		name: "unknown field in a list item",
		text: "replicas: 1\ncontainers:\n  - name: app\n    resources:\n      limts:\n        memory: 64Mi\n",
		want: []string{"spec.yaml:5: field limts is not known (at containers[0].resources.limts)"},
	}, {
		name: "unknown field at the top",
		text: "replicas: 1\nreplica: 2\n",
		want: []string{"spec.yaml:2: field replica is not known (at replica)"},
	}, {
		name: "key given twice",
		text: "replicas: 1\ncontainers: []\nreplicas: 2\n",
		want: []string{`spec.yaml:3: key "replicas" is given twice in one mapping (first at line 1)`},
	}, {
		name: "value of the wrong type",
		text: "replicas: many\n",
		want: []string{"spec.yaml:1: replicas: expected int, found string"},
	}, {
		name: "every mistake is reported",
		text: "replicas: 1\ncontainers:\n  - name: app\n    nmae: x\n  - name: b\n    resource: {}\n",
		want: []string{"spec.yaml:4: field nmae is not known", "spec.yaml:6: field resource is not known"},
	}, {
		name: "syntax error",
		text: "replicas: 1\ncontainers:\n  - name: [app\n",
		want: []string{"spec.yaml:"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var s spec
			err := yamlfile.Decode("spec.yaml", []byte(tc.text), &s)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestDecodeTakesAGoodFile(t *testing.T) {
	var s spec
	require.NoError(t, yamlfile.Decode("spec.yaml", []byte("replicas: 2\ncontainers:\n  - name: app\n    resources: {limits: {memory: 64Mi}}\n"), &s))
	assert.Equal(t, spec{Replicas: 2, Containers: []container{{Name: "app", Resources: resources{Limits: map[string]string{"memory": "64Mi"}}}}}, s)
}

func TestLine(t *testing.T) {
	doc, err := yamlfile.Parse("x.yaml", []byte("metadata:\n  labels:\n    app.kubernetes.io/name: a\nspec:\n  items:\n    - a: 1\n    - b: 2\n"), 10)
	require.NoError(t, err)
	for path, want := range map[string]int{
		"metadata.labels.app.kubernetes.io/name": 3,
		"spec.items[1].b":                        7,
		"spec.items.b":                           7, // no index: the first item where it resolves
		"spec.nothing":                           0,
		"spec.items[5]":                          0,
	} {
		assert.Equal(t, want, yamlfile.Line(doc, path), path)
	}
	assert.Equal(t, 7, yamlfile.Find(doc, "items[1].b"), "a path relative to an inner node")
}
