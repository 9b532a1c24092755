package scenarios_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

const validMeta = `id: test-scenario
title: A test incident
cause: the test's own
level: 2
workload:
  kind: Deployment
  name: web
  container: app
  replicas: 2
failsWithin: 3s
signature:
  - waitingReason=CrashLoopBackOff
briefing: Something is broken.
questions:
  - id: last-reason
    prompt: Which reason?
    fact: lastReason
  - id: cause
    prompt: Why?
    choices:
      - id: right
        text: the right one
        evidence: ["missingSecretKey"]
      - id: wrong
        text: the wrong one
        evidence: ["lastReason=OOMKilled"]
hints:
  - one
  - two
  - three
explanation: Because.
expert:
  - {look: get, kind: pod}
  - {look: describe, kind: pod, name: web, evidence: true, shows: the web pods' events}
approaches:
  - {id: fixed, text: fixed it}
`

const validManifests = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  key: value
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels:
    team: orders
data:
  arch: "{{ .NodeArch }}"
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: {{ .Image }}
        - name: helper
          image: {{ .ForeignImage }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {{ .Image }}
`

func scenarioFS(meta, manifests string) fstest.MapFS {
	fsys := fstest.MapFS{}
	if meta != "" {
		fsys["scenario.yaml"] = &fstest.MapFile{Data: []byte(meta)}
	}
	if manifests != "" {
		fsys["manifests.yaml"] = &fstest.MapFile{Data: []byte(manifests)}
	}
	return fsys
}

// replace changes one exact piece of the valid scenario and fails the test if
// the piece is not there (so that a row cannot silently test the valid file).
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	require.Contains(t, s, old, "fixture changed: row no longer applies")
	return strings.Replace(s, old, new, 1)
}

func loadValid(t *testing.T, h scenarios.Hooks) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.LoadWith(scenarioFS(validMeta, validManifests), h)
	require.NoError(t, err)
	return s
}

func TestLoadValidScenario(t *testing.T) {
	s, err := scenarios.Load(scenarioFS(validMeta, validManifests), nil)
	require.NoError(t, err)
	assert.Equal(t, "test-scenario", s.ID)
	assert.Equal(t, 2, s.Level)
	assert.Equal(t, int32(2), s.Workload.Replicas)
	assert.Equal(t, 3*time.Second, s.FailsWithin.Duration)
	assert.Len(t, s.Questions, 2)
	assert.Len(t, s.Hints, 3)
	assert.Equal(t, podstate.Target{Namespace: "ns1", Kind: "Deployment", Name: "web", Container: "app"}, s.Target("ns1"))
}

func TestLoadRejectsBrokenScenarios(t *testing.T) {
	tests := []struct {
		name      string
		meta      func(t *testing.T, m string) string
		manifests func(t *testing.T, m string) string
		wantErr   string
	}{
		{name: "missing scenario.yaml", meta: func(*testing.T, string) string { return "" }, wantErr: "scenario.yaml"},
		{name: "missing manifests.yaml", manifests: func(*testing.T, string) string { return "" }, wantErr: "manifests.yaml"},
		{name: "unknown field in scenario.yaml", meta: func(t *testing.T, m string) string { return m + "colour: blue\n" }, wantErr: "colour"},
		{name: "id is not a DNS label", meta: func(t *testing.T, m string) string { return replace(t, m, "id: test-scenario", "id: Test_Scenario") }, wantErr: "DNS label"},
		{name: "id missing", meta: func(t *testing.T, m string) string { return replace(t, m, "id: test-scenario\n", "") }, wantErr: "DNS label"},
		{name: "title missing", meta: func(t *testing.T, m string) string { return replace(t, m, "title: A test incident\n", "") }, wantErr: "title"},
		{name: "briefing missing", meta: func(t *testing.T, m string) string { return replace(t, m, "briefing: Something is broken.\n", "") }, wantErr: "briefing"},
		{name: "explanation missing", meta: func(t *testing.T, m string) string { return replace(t, m, "explanation: Because.\n", "") }, wantErr: "explanation"},
		{name: "cause missing", meta: func(t *testing.T, m string) string { return replace(t, m, "cause: the test's own\n", "") }, wantErr: "cause"},
		{name: "no approaches", meta: func(t *testing.T, m string) string {
			return replace(t, m, "approaches:\n  - {id: fixed, text: fixed it}\n", "")
		}, wantErr: "approaches"},
		{name: "approach without a text", meta: func(t *testing.T, m string) string { return replace(t, m, "text: fixed it", "text: \"\"") }, wantErr: "approach \"fixed\""},
		{name: "approach twice", meta: func(t *testing.T, m string) string { return m + "  - {id: fixed, text: again}\n" }, wantErr: "approach \"fixed\""},
		{name: "alias that is not a DNS label", meta: func(t *testing.T, m string) string { return m + "aliases: [Old_Name]\n" }, wantErr: "alias"},
		{name: "alias equal to the id", meta: func(t *testing.T, m string) string { return m + "aliases: [test-scenario]\n" }, wantErr: "alias"},
		{name: "workload kind the lab cannot judge", meta: func(t *testing.T, m string) string { return replace(t, m, "kind: Deployment", "kind: DaemonSet") }, wantErr: "one of [Deployment StatefulSet Job CronJob Pod]"},
		{name: "workload kind with no such object in the manifests", meta: func(t *testing.T, m string) string { return replace(t, m, "kind: Deployment", "kind: StatefulSet") }, wantErr: "manifests have no StatefulSet web"},
		{name: "workload name missing", meta: func(t *testing.T, m string) string { return replace(t, m, "  name: web\n", "") }, wantErr: "workload"},
		{name: "workload container missing", meta: func(t *testing.T, m string) string { return replace(t, m, "  container: app\n", "") }, wantErr: "workload"},
		{name: "zero replicas", meta: func(t *testing.T, m string) string { return replace(t, m, "replicas: 2", "replicas: 0") }, wantErr: "replicas"},
		{name: "fewer than three hints", meta: func(t *testing.T, m string) string { return replace(t, m, "  - three\n", "") }, wantErr: "three hints"},
		{name: "no questions", meta: func(t *testing.T, m string) string {
			return replace(t, m, m[strings.Index(m, "questions:"):strings.Index(m, "hints:")], "")
		}, wantErr: "questions"},
		{name: "no signature", meta: func(t *testing.T, m string) string {
			return replace(t, m, "signature:\n  - waitingReason=CrashLoopBackOff\n", "")
		}, wantErr: "signature"},
		{name: "unknown evidence in the signature", meta: func(t *testing.T, m string) string {
			return replace(t, m, "  - waitingReason=CrashLoopBackOff", "  - waitingReasn=CrashLoopBackOff")
		}, wantErr: "waitingReasn"},
		{name: "unknown evidence in a choice", meta: func(t *testing.T, m string) string {
			return replace(t, m, `["lastReason=OOMKilled"]`, `["lastReason~OOM"]`)
		}, wantErr: "lastReason~OOM"},
		{name: "unknown fact in a question", meta: func(t *testing.T, m string) string { return replace(t, m, "fact: lastReason", "fact: lastColour") }, wantErr: "lastColour"},
		{name: "failsWithin without a unit", meta: func(t *testing.T, m string) string { return replace(t, m, "failsWithin: 3s", "failsWithin: 3") }, wantErr: "duration"},
		{name: "manifests without the workload Deployment", manifests: func(t *testing.T, m string) string {
			return replace(t, m, "kind: Deployment\nmetadata:\n  name: web", "kind: Deployment\nmetadata:\n  name: api")
		}, wantErr: "no Deployment web"},
		{name: "workload Deployment without the container", manifests: func(t *testing.T, m string) string {
			return replace(t, m, "- name: app\n", "- name: main\n")
		}, wantErr: "no container app"},
		{name: "template field that does not exist", manifests: func(t *testing.T, m string) string { return replace(t, m, "{{ .NodeArch }}", "{{ .Registry }}") }, wantErr: "Registry"},
		{name: "broken template", manifests: func(t *testing.T, m string) string { return replace(t, m, "{{ .NodeArch }}", "{{ .NodeArch ") }, wantErr: "template"},
		{name: "document that is not a Kubernetes object", manifests: func(t *testing.T, m string) string { return m + "---\nnot: an object\n" }, wantErr: "Kind' is missing"},
		{name: "no expert path", meta: func(t *testing.T, m string) string {
			return m[:strings.Index(m, "expert:")] + m[strings.Index(m, "approaches:"):]
		}, wantErr: "expert: expert path has no step"},
		{name: "an expert look that does not exist", meta: func(t *testing.T, m string) string {
			return replace(t, m, "{look: get, kind: pod}", "{look: peek, kind: pod}")
		}, wantErr: `expert: expert step 1: unknown look "peek"`},
		{name: "an expert look at an unknown kind", meta: func(t *testing.T, m string) string {
			return replace(t, m, "{look: get, kind: pod}", "{look: get, kind: widget}")
		}, wantErr: `unknown kind "widget"`},
		{name: "no expert look shows the evidence", meta: func(t *testing.T, m string) string {
			return replace(t, m, "evidence: true, shows", "shows")
		}, wantErr: "expert: no step of the expert path shows the evidence"},
		{name: "an expert look at an object the manifests lack", meta: func(t *testing.T, m string) string {
			return replace(t, m, "{look: get, kind: pod}", "{look: get, kind: secret, name: credentials}")
		}, wantErr: "expert step 1 looks at secret credentials, which the manifests do not have"},
		{name: "an expert look at the pods of a workload the manifests lack", meta: func(t *testing.T, m string) string {
			return replace(t, m, "name: web, evidence", "name: api, evidence")
		}, wantErr: "expert step 2 looks at pod api"},
		{name: "an expert look at a container no pod has", meta: func(t *testing.T, m string) string {
			return replace(t, m, "{look: get, kind: pod}", "{look: logs, container: sidecar}")
		}, wantErr: "expert step 1 looks at container sidecar, which no pod of the manifests has"},
		{name: "an unknown field in an expert step", meta: func(t *testing.T, m string) string {
			return replace(t, m, "{look: get, kind: pod}", "{look: get, kind: pod, evidense: true}")
		}, wantErr: "evidense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta, man := validMeta, validManifests
			if tt.meta != nil {
				meta = tt.meta(t, meta)
			}
			if tt.manifests != nil {
				man = tt.manifests(t, man)
			}
			_, err := scenarios.Load(scenarioFS(meta, man), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestMustLoadPanicsOnBrokenScenario(t *testing.T) {
	assert.Panics(t, func() { scenarios.MustLoad(scenarioFS(validMeta, ""), nil) })
	assert.NotPanics(t, func() { scenarios.MustLoad(scenarioFS(validMeta, validManifests), nil) })
}

func TestRenderSubstitutesValues(t *testing.T) {
	s := loadValid(t, scenarios.Hooks{})
	v := scenarios.Values{Image: "crashlab/workload:amd64", ForeignImage: "crashlab/workload:arm64", NodeArch: "amd64"}
	b, err := s.Render(v)
	require.NoError(t, err)
	assert.Equal(t, v, b.Values)
	require.Len(t, b.Objects, 5, "one object per document, in order")
	assert.IsType(t, &corev1.Secret{}, b.Objects[0])
	assert.IsType(t, &corev1.ConfigMap{}, b.Objects[1])
	assert.IsType(t, &corev1.Service{}, b.Objects[2])
	assert.IsType(t, &appsv1.Deployment{}, b.Objects[3])
	assert.IsType(t, &batchv1.Job{}, b.Objects[4])

	require.NotNil(t, b.Container("web", "app"))
	assert.Equal(t, v.Image, b.Container("web", "app").Image)
	assert.Equal(t, v.ForeignImage, b.Container("web", "helper").Image)
	assert.Equal(t, v.NodeArch, b.Objects[1].(*corev1.ConfigMap).Data["arch"])
	assert.Equal(t, v.Image, b.Objects[4].(*batchv1.Job).Spec.Template.Spec.Containers[0].Image)
	require.NotNil(t, b.Secret("creds"))
	assert.Equal(t, "value", b.Secret("creds").StringData["key"])

	assert.Nil(t, b.Deployment("nope"))
	assert.Nil(t, b.Secret("nope"))
	assert.Nil(t, b.Container("nope", "app"))
	assert.Nil(t, b.Container("web", "nope"))

	// Each Render decodes fresh objects: changing one baseline leaves the next intact.
	b.Container("web", "app").Image = "changed"
	b2, err := s.Render(v)
	require.NoError(t, err)
	assert.Equal(t, v.Image, b2.Container("web", "app").Image)
}

func TestDurationRoundTrip(t *testing.T) {
	var d scenarios.Duration
	require.NoError(t, d.UnmarshalJSON([]byte(`"1m30s"`)))
	assert.Equal(t, 90*time.Second, d.Duration)
	out, err := d.MarshalJSON()
	require.NoError(t, err)
	var back scenarios.Duration
	require.NoError(t, back.UnmarshalJSON(out))
	assert.Equal(t, d, back)
	assert.Error(t, d.UnmarshalJSON([]byte(`"soon"`)))
}

func checkNames(cs []grader.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestFixChecks(t *testing.T) {
	own := func(scenarios.Baseline) []grader.Check {
		return []grader.Check{{Name: "own-rule", Run: func(*podstate.State) grader.Result { return grader.Pass("ok") }}}
	}
	live := func(kubernetes.Interface, string, scenarios.Baseline, grader.LiveOptions) grader.LiveJudge {
		return nil
	}
	tests := []struct {
		name  string
		hooks scenarios.Hooks
		want  []string
	}{
		{name: "shared rules only", want: []string{"workload-kept", "no-stand-ins", "broken-pods-gone"}},
		{name: "shared rules then the scenario's own", hooks: scenarios.Hooks{Checks: own}, want: []string{"workload-kept", "no-stand-ins", "broken-pods-gone", "own-rule"}},
		{name: "own live judge drops workload-kept", hooks: scenarios.Hooks{Checks: own, Live: live}, want: []string{"no-stand-ins", "broken-pods-gone", "own-rule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadValid(t, tt.hooks)
			b, err := s.Render(scenarios.Values{Image: "i"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, checkNames(s.FixChecks(b)))
		})
	}
}

func TestFixChecksWorkloadKeptUsesTheScenarioReplicas(t *testing.T) {
	s := loadValid(t, scenarios.Hooks{})
	b, err := s.Render(scenarios.Values{Image: "i"})
	require.NoError(t, err)
	kept := s.FixChecks(b)[0]
	require.Equal(t, "workload-kept", kept.Name)
	d := b.Deployment("web").DeepCopy()
	st := &podstate.State{Target: s.Target("ns"), Deployment: d}
	assert.True(t, kept.Run(st).Passed, "replicas as in scenario.yaml")
	d.Spec.Replicas = new(int32)
	assert.False(t, kept.Run(st).Passed)
}

func TestLiveUsesTheScenarioHookWhenSet(t *testing.T) {
	var gotNS string
	var gotOpt grader.LiveOptions
	marker := []grader.CheckResult{{Name: "own-live", Passed: true}}
	hook := func(_ kubernetes.Interface, ns string, _ scenarios.Baseline, opt grader.LiveOptions) grader.LiveJudge {
		gotNS, gotOpt = ns, opt
		return func(context.Context, *podstate.State) []grader.CheckResult { return marker }
	}
	s := loadValid(t, scenarios.Hooks{Live: hook})
	j := s.Live(nil, "ns1", scenarios.Baseline{}, grader.LiveOptions{ReadyTimeout: time.Second})
	require.NotNil(t, j)
	assert.Equal(t, marker, j(context.Background(), nil))
	assert.Equal(t, "ns1", gotNS)
	assert.Equal(t, time.Second, gotOpt.ReadyTimeout)

	assert.NotNil(t, loadValid(t, scenarios.Hooks{}).Live(nil, "ns1", scenarios.Baseline{}, grader.LiveOptions{}), "default Deployment judge")
}

func TestRulesAreValidatedAndRunBeforeGoChecks(t *testing.T) {
	withRules := func(rules string) string {
		return strings.Replace(validMeta, "briefing:", "rules:\n"+rules+"briefing:", 1)
	}
	tests := []struct {
		name, rules string
		wantErr     string
		wantNames   []string
	}{
		{name: "keep", rules: "  - {rule: keep, parts: [image, args], fail: f, pass: p}\n", wantNames: []string{"app-unchanged"}},
		{name: "probe rules", rules: "  - {rule: probeKept, name: liveness-kept, probe: liveness, fail: f, pass: p}\n  - {rule: probeOnHealth, name: on-health, probes: [liveness]}\n", wantNames: []string{"liveness-kept", "on-health"}},
		{name: "unknown rule", rules: "  - {rule: keepish}\n", wantErr: `unknown rule "keepish"`},
		{name: "unknown part", rules: "  - {rule: keep, parts: [memory], fail: f, pass: p}\n", wantErr: `unknown part "memory"`},
		{name: "keep without messages", rules: "  - {rule: keep, parts: [image]}\n", wantErr: "parts, fail and pass"},
		{name: "unknown probe", rules: "  - {rule: probeKept, name: x, probe: lively, fail: f, pass: p}\n", wantErr: "probe (one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenarios.LoadWith(scenarioFS(withRules(tt.rules), validManifests), scenarios.Hooks{Checks: func(scenarios.Baseline) []grader.Check {
				return []grader.Check{{Name: "go-check", Run: func(*podstate.State) grader.Result { return grader.Pass("ok") }}}
			}})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			b, err := s.Render(testValues)
			require.NoError(t, err)
			names := checkNames(s.FixChecks(b))
			want := append(append([]string{"workload-kept", "no-stand-ins", "broken-pods-gone"}, tt.wantNames...), "go-check")
			assert.Equal(t, want, names)
		})
	}
}

// withoutExplanation is the valid scenario.yaml with its explanation taken
// out, for a folder that keeps it in explanation.md.
func withoutExplanation(t *testing.T) string {
	t.Helper()
	lines := strings.Split(validMeta, "\n")
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "explanation:") {
			continue
		}
		out = append(out, l)
	}
	require.Len(t, out, len(lines)-1, "fixture changed: explanation is no longer one line")
	return strings.Join(out, "\n")
}

func TestLoadReadsTheExplanationFromMarkdown(t *testing.T) {
	fsys := scenarioFS(withoutExplanation(t), validManifests)
	fsys[scenarios.ExplanationFile] = &fstest.MapFile{Data: []byte("Why it failed: `a` key (observed on kind).\n")}
	s, err := scenarios.Load(fsys, nil)
	require.NoError(t, err)
	assert.Equal(t, "Why it failed: `a` key (observed on kind).\n", s.Explanation)

	fsys[scenarios.ExplanationFile] = &fstest.MapFile{Data: []byte(" \n\n")}
	_, err = scenarios.Load(fsys, nil)
	assert.ErrorContains(t, err, "explanation.md is empty")

	delete(fsys, scenarios.ExplanationFile)
	_, err = scenarios.Load(fsys, nil)
	assert.ErrorContains(t, err, "explanation are required", "no explanation anywhere")
}

func TestLoadRefusesAnExplanationInBothPlaces(t *testing.T) {
	fsys := scenarioFS(validMeta, validManifests)
	fsys[scenarios.ExplanationFile] = &fstest.MapFile{Data: []byte("Why it failed.\n")}
	_, err := scenarios.Load(fsys, nil)
	assert.ErrorContains(t, err, "both in explanation.md and in scenario.yaml")
}

// Every scenario of the catalogue keeps its explanation in explanation.md,
// which the embed carries into the binary.
func TestEmbeddedScenariosExplainInMarkdown(t *testing.T) {
	all, err := scenarios.Discover()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, s := range all {
		md, err := os.ReadFile(filepath.Join(s.ID, scenarios.ExplanationFile))
		require.NoError(t, err, s.ID)
		assert.Equal(t, string(md), s.Explanation, s.ID)
		assert.Contains(t, s.Explanation, "observed on", "%s: a fact stated says where it was observed", s.ID)
	}
}
