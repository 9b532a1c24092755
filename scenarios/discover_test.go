package scenarios

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metaYAML is a scenario.yaml that validates; line 2 is aliases.
const metaYAML = `id: ID
aliases: [ALIASES]
title: The shop is down
cause: the image does not exist
level: 1
workload:
  kind: Deployment
  name: shop
  container: app
  replicas: 1
failsWithin: 2s
signature: [family=ImagePullBackOff]
teaches: [family=ImagePullBackOff]
briefing: The shop is down.
questions:
  - id: family
    prompt: Which status family?
    fact: family
hints: [one, two, three]
approaches:
  - id: image
    text: set the image
expert:
  - {look: describe, kind: pod, evidence: true}
`

// manifestsYAML has a comment and a Service first, so that the Deployment's
// lines are counted from the file's start, not the document's.
const manifestsYAML = `# The shop.
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: app
          image: {{ .Image }}
          resources:
            limits: {memory: 64Mi}
`

// folder is the files of one good scenario folder called id.
func folder(id string, aliases ...string) map[string]string {
	return map[string]string{
		MetaFile:        strings.NewReplacer("ID", id, "ALIASES", strings.Join(aliases, ", ")).Replace(metaYAML),
		ManifestsFile:   manifestsYAML,
		ExplanationFile: "The image did not exist.\n",
	}
}

func catalogueFS(folders map[string]map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for dir, files := range folders {
		for name, text := range files {
			fsys[dir+"/"+name] = &fstest.MapFile{Data: []byte(text)}
		}
	}
	return fsys
}

// edit returns files with one file's text replaced as old → new.
func edit(files map[string]string, name, old, new string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	out[name] = strings.Replace(out[name], old, new, 1)
	return out
}

func without(files map[string]string, name string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		if k != name {
			out[k] = v
		}
	}
	return out
}

// Every mistake a catalogue folder can hold is an error naming the file (as
// its author knows it) and the line, never a panic and never a value dropped
// in silence.
func TestDiscoverReportsEveryCatalogueMistake(t *testing.T) {
	good := folder("shop-down")
	for _, tc := range []struct {
		name    string
		folders map[string]map[string]string
		hooks   map[string]Hooks
		twice   []string
		want    []string
	}{{
		name:    "a typo in a manifest's field",
		folders: map[string]map[string]string{"shop-down": edit(good, ManifestsFile, "limits:", "limts:")},
		want:    []string{`scenarios/shop-down/manifests.yaml:25: field limts is not known (at spec.template.spec.containers[0].resources.limts)`},
	}, {
		name:    "a manifest's key given twice",
		folders: map[string]map[string]string{"shop-down": edit(good, ManifestsFile, "  replicas: 1\n", "  replicas: 1\n  replicas: 3\n")},
		want:    []string{`scenarios/shop-down/manifests.yaml:15: key "replicas" is given twice in one mapping (first at line 14)`},
	}, {
		name:    "a typo in the first document",
		folders: map[string]map[string]string{"shop-down": edit(good, ManifestsFile, "ports:", "prots:")},
		want:    []string{`scenarios/shop-down/manifests.yaml:7: field prots is not known (at spec.prots)`},
	}, {
		name:    "a kind the schema does not have",
		folders: map[string]map[string]string{"shop-down": edit(good, ManifestsFile, "kind: Service", "kind: Servcie")},
		want:    []string{`scenarios/shop-down/manifests.yaml:2: `, "Servcie"},
	}, {
		name:    "a template field Values lack",
		folders: map[string]map[string]string{"shop-down": edit(good, ManifestsFile, ".Image", ".Imag")},
		want:    []string{`scenarios/shop-down/manifests.yaml:23:`, "Imag"},
	}, {
		name:    "a typo in scenario.yaml",
		folders: map[string]map[string]string{"shop-down": edit(good, MetaFile, "  replicas: 1", "  replicsa: 1")},
		want:    []string{`scenarios/shop-down/scenario.yaml:10: field replicsa is not known (at workload.replicsa)`},
	}, {
		name:    "a key of scenario.yaml given twice",
		folders: map[string]map[string]string{"shop-down": edit(good, MetaFile, "level: 1\n", "level: 1\nlevel: 2\n")},
		want:    []string{`scenarios/shop-down/scenario.yaml:6: key "level" is given twice`},
	}, {
		name:    "a value of the wrong type in scenario.yaml",
		folders: map[string]map[string]string{"shop-down": edit(good, MetaFile, "level: 1", "level: one")},
		want:    []string{`scenarios/shop-down/scenario.yaml:5: level: expected int, found string`},
	}, {
		name:    "an id other than the folder's name",
		folders: map[string]map[string]string{"shop-down": good, "shop-down-2": folder("shop-down")},
		want:    []string{`scenarios/shop-down-2/scenario.yaml:1: id "shop-down" differs from the folder's name shop-down-2`},
	}, {
		name:    "an alias two scenarios claim",
		folders: map[string]map[string]string{"shop-a": folder("shop-a", "old-shop"), "shop-b": folder("shop-b", "old-shop")},
		want:    []string{`scenarios/shop-b/scenario.yaml:2: alias "old-shop" is already the id or an alias of shop-a`},
	}, {
		name:    "an alias that is another scenario's id",
		folders: map[string]map[string]string{"shop-a": folder("shop-a", "shop-b"), "shop-b": folder("shop-b")},
		want:    []string{`scenarios/shop-a/scenario.yaml:2: alias "shop-b" is already the id or an alias of shop-b`},
	}, {
		name:    "no manifests.yaml",
		folders: map[string]map[string]string{"shop-down": without(good, ManifestsFile)},
		want:    []string{`scenarios/shop-down/manifests.yaml`, "file does not exist"},
	}, {
		name:    "no scenario.yaml beside manifests.yaml",
		folders: map[string]map[string]string{"shop-down": without(good, MetaFile)},
		want:    []string{`scenarios/shop-down: has a manifests.yaml but no scenario.yaml`},
	}, {
		name:    "a rule the folder's validation refuses",
		folders: map[string]map[string]string{"shop-down": edit(good, MetaFile, "hints: [one, two, three]", "hints: [one]")},
		want:    []string{`scenarios/shop-down: scenario shop-down: needs at least three hints`},
	}, {
		name:    "hooks with no folder",
		folders: map[string]map[string]string{"shop-down": good},
		hooks:   map[string]Hooks{"gone": {}},
		want:    []string{`Go hooks registered for [gone], which has no scenario folder`},
	}, {
		name:    "hooks registered twice",
		folders: map[string]map[string]string{"shop-down": good},
		hooks:   map[string]Hooks{"shop-down": {}},
		twice:   []string{"shop-down"},
		want:    []string{`scenarios/shop-down: Go hooks registered twice`},
	}, {
		name: "every folder's mistakes at once",
		folders: map[string]map[string]string{
			"shop-a": edit(folder("shop-a"), ManifestsFile, "limits:", "limts:"),
			"shop-b": edit(folder("shop-b"), MetaFile, "title:", "titel:"),
		},
		want: []string{"scenarios/shop-a/manifests.yaml:25: field limts", "scenarios/shop-b/scenario.yaml:3: field titel"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() {
				_, err = discover(catalogueFS(tc.folders), Root, tc.hooks, tc.twice)
			})
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestDiscoverTakesAGoodCatalogue(t *testing.T) {
	all, err := discover(catalogueFS(map[string]map[string]string{"shop-a": folder("shop-a", "old-a"), "shop-b": folder("shop-b")}), Root, nil, nil)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, []string{"old-a"}, all[0].Aliases)
}

// A document starts on its "---" line: the third below on line 6.
func TestSplitDocsCountsLinesBeforeEachDocument(t *testing.T) {
	docs := splitDocs("a: 1\n---\nb: 2\n\n---\n---\n# c\nc: 3\n")
	require.Len(t, docs, 3)
	assert.Equal(t, []int{0, 1, 5}, []int{docs[0].lineOffset, docs[1].lineOffset, docs[2].lineOffset})
	assert.Equal(t, len(trimDocs("a: 1\n---\nb: 2\n\n---\n---\n# c\nc: 3\n")), len(docs), "the documents trimDocs finds")
}
