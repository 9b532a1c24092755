package fixes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

const validFix = `
expect: pass
approach: reference-fixed
why: the reference names the key the Secret holds
steps:
  - patch:
      kind: Deployment
      name: orders-api
      patch: {spec: {template: {spec: {containers: [{name: app, image: "{{ .Image }}"}]}}}}
  - rolloutRestart: {kind: Deployment, name: orders-api}
after:
  signature: [lastReason=Error]
  timeout: 90s
`

func TestParseReadsAValidFix(t *testing.T) {
	fx, err := fixes.Parse("ref-fixed", []byte(validFix))
	require.NoError(t, err)
	assert.Equal(t, "ref-fixed", fx.Name)
	assert.Equal(t, fixes.ExpectPass, fx.Expect)
	assert.Equal(t, "reference-fixed", fx.Approach)
	require.Len(t, fx.Steps, 2)
	assert.Equal(t, "patch", fx.Steps[0].Action)
	assert.Equal(t, "rolloutRestart", fx.Steps[1].Action)
	require.NotNil(t, fx.After)
	assert.Equal(t, 90*time.Second, fx.After.Wait())
	assert.Equal(t, fixes.DefaultAfterTimeout, fixes.After{}.Wait(), "no timeout given: the default")
}

// Every way a fix file can be wrong gives one error that says what to change.
func TestParseRefusesBadFiles(t *testing.T) {
	const head = "expect: refuse\nrefusedBy: env-X\nwhy: because\n"
	step := func(s string) string { return head + "steps:\n  - " + s + "\n" }
	tests := []struct {
		name    string
		fixName string
		yaml    string
		wantErr string
	}{
		{name: "name that is no DNS label", fixName: "Bad_Name", yaml: step("scale: {kind: Deployment, name: d, replicas: 0}"), wantErr: "must be a DNS label"},
		{name: "expect missing", yaml: "why: x\nsteps: [{scale: {kind: Deployment, name: d, replicas: 0}}]", wantErr: "expect is missing"},
		{name: "expect neither pass nor refuse", yaml: "expect: maybe\nwhy: x\nsteps: []", wantErr: "must be pass or refuse"},
		{name: "pass without approach", yaml: "expect: pass\nwhy: x\nsteps: [{scale: {kind: Deployment, name: d, replicas: 0}}]", wantErr: "needs approach"},
		{name: "pass with refusedBy", yaml: "expect: pass\napproach: a\nrefusedBy: b\nwhy: x\nsteps: []", wantErr: "takes no refusedBy"},
		{name: "refuse without refusedBy", yaml: "expect: refuse\nwhy: x\nsteps: []", wantErr: "needs refusedBy"},
		{name: "refuse with approach", yaml: "expect: refuse\nrefusedBy: b\napproach: a\nwhy: x\nsteps: []", wantErr: "takes no approach"},
		{name: "why missing", yaml: "expect: refuse\nrefusedBy: b\nsteps: [{scale: {kind: Deployment, name: d, replicas: 0}}]", wantErr: "why is missing"},
		{name: "no steps", yaml: head + "steps: []", wantErr: "at least one step"},
		{name: "misspelt top-level field", yaml: head + "aproach: x\nsteps: []", wantErr: `some-fix.yaml:4: field aproach is not known`},
		{name: "unknown step", yaml: step("patchh: {kind: Deployment, name: d}"), wantErr: `unknown step "patchh"`},
		{name: "two actions in one step", yaml: head + "steps:\n  - {scale: {kind: Deployment, name: d, replicas: 0}, delete: {kind: Deployment, name: d}}\n", wantErr: "exactly one action"},
		{name: "misspelt field of a step", yaml: step("scale: {kind: Deployment, name: d, replica: 0}"), wantErr: `unknown field "replica"`},
		{name: "unknown kind", yaml: step("delete: {kind: StatefulSet, name: d}"), wantErr: `kind "StatefulSet" is not one the steps know`},
		{name: "name missing", yaml: step("delete: {kind: Deployment}"), wantErr: "name is missing"},
		{name: "scale without replicas", yaml: step("scale: {kind: Deployment, name: d}"), wantErr: "replicas is missing"},
		{name: "scale of a Secret", yaml: step("scale: {kind: Secret, name: d, replicas: 1}"), wantErr: "this step takes Deployment"},
		{name: "unknown propagation", yaml: step("delete: {kind: Deployment, name: d, propagation: Cascade}"), wantErr: "must be Background, Foreground or Orphan"},
		{name: "unknown patch type", yaml: step("patch: {kind: Deployment, name: d, type: apply, patch: {spec: {}}}"), wantErr: "must be strategic, merge or json"},
		{name: "patch missing", yaml: step("patch: {kind: Deployment, name: d}"), wantErr: "patch is missing"},
		{name: "strategic patch with a misspelt field", yaml: step("patch: {kind: Deployment, name: d, patch: {spec: {template: {spec: {containers: [{name: app, comand: [x]}]}}}}}"), wantErr: `unknown field "spec.template.spec.containers[0].comand"`},
		{name: "merge patch with a misspelt field", yaml: step("patch: {kind: Secret, name: s, type: merge, patch: {stringdata: {k: v}}}"), wantErr: `unknown field "stringdata"`},
		{name: "JSON patch that is no list", yaml: step("patch: {kind: Deployment, name: d, type: json, patch: {op: add}}"), wantErr: "a JSON patch is a list"},
		{name: "JSON patch with an unknown op", yaml: step("patch: {kind: Deployment, name: d, type: json, patch: [{op: append, path: /spec, value: 1}]}"), wantErr: `op "append" is not a JSON patch operation`},
		{name: "JSON patch add without value", yaml: step("patch: {kind: Deployment, name: d, type: json, patch: [{op: add, path: /spec}]}"), wantErr: "value is missing"},
		{name: "JSON patch with a relative path", yaml: step("patch: {kind: Deployment, name: d, type: json, patch: [{op: remove, path: spec}]}"), wantErr: "must start with /"},
		{name: "manifest of the wrong apiVersion", yaml: step("create: {manifest: {apiVersion: v1, kind: Deployment, metadata: {name: d}}}"), wantErr: "needs apiVersion apps/v1"},
		{name: "manifest without a name", yaml: step("create: {manifest: {apiVersion: v1, kind: ConfigMap}}"), wantErr: "needs metadata.name"},
		{name: "manifest of an unknown kind", yaml: step("create: {manifest: {apiVersion: v1, kind: Namespace, metadata: {name: n}}}"), wantErr: `manifest kind "Namespace"`},
		{name: "recreate of a Job", yaml: step("recreate: {kind: Job, name: j}"), wantErr: "this step takes Deployment or Secret or ConfigMap"},
		{name: "barePod from without a kind", yaml: step("barePod: {from: orders-api, name: p}"), wantErr: "write Kind/name"},
		{name: "barePod without a name", yaml: step("barePod: {from: Deployment/orders-api}"), wantErr: "name is missing"},
		{name: "CronJob without a schedule", yaml: step("fromTemplate: {from: Deployment/d, kind: CronJob, name: c}"), wantErr: "needs schedule"},
		{name: "schedule on a Job", yaml: step("fromTemplate: {from: Deployment/d, kind: Job, name: j, schedule: '* * * * *'}"), wantErr: "schedule is for a CronJob"},
		{name: "CronJob from a CronJob", yaml: step("fromTemplate: {from: CronJob/c, kind: CronJob, name: c2, schedule: '* * * * *'}"), wantErr: "only a Job"},
		{name: "template that does not parse", yaml: step(`patch: {kind: Deployment, name: d, patch: {metadata: {labels: {a: "{{ .Image"}}}}`), wantErr: "unclosed action"},
		{name: "template naming an unknown function", yaml: step(`patch: {kind: Deployment, name: d, patch: {metadata: {labels: {a: "{{ secret \"a\" }}"}}}}`), wantErr: `function "secret" not defined`},
		{name: "after without signature", yaml: step("delete: {kind: Deployment, name: d}") + "after: {timeout: 1m}", wantErr: "after: signature"},
		{name: "after with unknown evidence", yaml: step("delete: {kind: Deployment, name: d}") + "after: {signature: [lastReasn=Error]}", wantErr: "unknown evidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.fixName
			if name == "" {
				name = "some-fix"
			}
			_, err := fixes.Parse(name, []byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// A mistake is named by file and line, even deep in a step's patch, whose
// fields are checked against the Kubernetes type it patches.
func TestParseNamesTheLine(t *testing.T) {
	const fix = `expect: refuse
refusedBy: env-X
why: because
steps:
  - scale: {kind: Deployment, name: d, replicas: 0}
  - patch:
      kind: Deployment
      name: d
      patch:
        spec:
          template:
            spec:
              containers:
                - name: app
                  comand: [x]
`
	for _, tc := range []struct{ name, yaml, want string }{
		{name: "a misspelt field in a patch", yaml: fix, want: "typo.yaml:15: step 2: "},
		{name: "a key given twice", yaml: strings.Replace(fix, "why: because\n", "why: because\nwhy: again\n", 1), want: `typo.yaml:4: key "why" is given twice`},
		{name: "an unknown step", yaml: strings.Replace(fix, "  - scale:", "  - scael:", 1), want: `typo.yaml:5: step 1: unknown step "scael"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fixes.Parse("typo", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A folder with several bad files reports each of them by name, and still
// returns the good ones.
func TestLoadReportsEveryBadFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yaml", validFix)
	write(t, dir, "no-why.yaml", "expect: pass\napproach: a\nsteps: [{delete: {kind: Deployment, name: d}}]\n")
	write(t, dir, "bad-step.yaml", "expect: pass\napproach: a\nwhy: x\nsteps: [{kubectl: {}}]\n")
	write(t, dir, "short.yml", validFix)
	write(t, dir, fixes.DiagnosisFile, "correct: {cause: a}\nwrong: {cause: b}\n")
	write(t, dir, "notes.txt", "not a fix")

	got, err := fixes.Load(dir)
	require.Error(t, err)
	for _, want := range []string{"no-why.yaml: why is missing", `bad-step.yaml:4: step 1: unknown step "kubectl"`, "short.yml: name fix files *.yaml"} {
		assert.Contains(t, err.Error(), want)
	}
	require.Len(t, got, 1, "diagnosis.yaml and other files are not fixes")
	assert.Equal(t, "good", got[0].Name)
	assert.Equal(t, filepath.Join(dir, "good.yaml"), got[0].File)
}

func TestLoadScenarioNeedsBothKindsOfFixAndTheDiagnosis(t *testing.T) {
	s := scenarios.Scenario{Meta: scenarios.Meta{ID: "demo", Questions: []grader.Question{
		{ID: "exit-code", Prompt: "?", Fact: grader.FactLastExitCode},
		{ID: "cause", Prompt: "?", Choices: []grader.Choice{{ID: "a"}, {ID: "b"}}},
	}}}
	const refused = "expect: refuse\nrefusedBy: c\nwhy: x\nsteps: [{delete: {kind: Deployment, name: d}}]\n"
	const diagnosis = "correct: {cause: a}\nwrong: {cause: b}\n"
	tests := []struct {
		name    string
		files   map[string]string
		wantErr []string
	}{
		{name: "complete folder", files: map[string]string{"ok.yaml": validFix, "no.yaml": refused, fixes.DiagnosisFile: diagnosis}},
		{name: "only accepted fixes", files: map[string]string{"ok.yaml": validFix, fixes.DiagnosisFile: diagnosis}, wantErr: []string{"no shortcut with expect: refuse"}},
		{name: "only shortcuts", files: map[string]string{"no.yaml": refused, fixes.DiagnosisFile: diagnosis}, wantErr: []string{"no fix with expect: pass"}},
		{name: "no diagnosis", files: map[string]string{"ok.yaml": validFix, "no.yaml": refused}, wantErr: []string{fixes.DiagnosisFile}},
		{name: "diagnosis naming an unknown choice", files: map[string]string{"ok.yaml": validFix, "no.yaml": refused, fixes.DiagnosisFile: "correct: {cause: a}\nwrong: {cause: z}\n"}, wantErr: []string{`no choice "z"`}},
		{name: "empty folder", files: map[string]string{}, wantErr: []string{"no fix with expect: pass", "no shortcut with expect: refuse", fixes.DiagnosisFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := fixes.Dir(root, s.ID)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			f, err := fixes.LoadScenario(root, s)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				assert.Len(t, f.Passing(), 1)
				assert.Len(t, f.Refused(), 1)
				assert.Equal(t, map[string]string{"cause": "a"}, f.Diagnosis.Correct)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestDiagnosisValidate(t *testing.T) {
	qs := []grader.Question{
		{ID: "exit-code", Prompt: "?", Fact: grader.FactLastExitCode},
		{ID: "cause", Prompt: "?", Choices: []grader.Choice{{ID: "a"}, {ID: "b"}}},
		{ID: "why", Prompt: "?", Choices: []grader.Choice{{ID: "x"}, {ID: "y"}}},
	}
	tests := []struct {
		name    string
		d       fixes.Diagnosis
		wantErr string
	}{
		{name: "every choice question answered both ways", d: fixes.Diagnosis{Correct: map[string]string{"cause": "a", "why": "x"}, Wrong: map[string]string{"cause": "b", "why": "y"}}},
		{name: "a choice question left out", d: fixes.Diagnosis{Correct: map[string]string{"cause": "a"}, Wrong: map[string]string{"cause": "b"}}, wantErr: `"why" needs a correct and a wrong answer`},
		{name: "wrong answer equal to the correct one", d: fixes.Diagnosis{Correct: map[string]string{"cause": "a", "why": "x"}, Wrong: map[string]string{"cause": "a", "why": "y"}}, wantErr: "the wrong answer is the correct one"},
		{name: "a fact question answered", d: fixes.Diagnosis{Correct: map[string]string{"cause": "a", "why": "x", "exit-code": "1"}, Wrong: map[string]string{"cause": "b", "why": "y"}}, wantErr: "asks for a fact"},
		{name: "a question the scenario does not ask", d: fixes.Diagnosis{Correct: map[string]string{"cause": "a", "why": "x", "how": "z"}, Wrong: map[string]string{"cause": "b", "why": "y"}}, wantErr: `"how" is not in scenario.yaml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate(qs)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestRepoRootFindsTheModule(t *testing.T) {
	root, err := fixes.RepoRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.DirExists(t, filepath.Join(root, "scenarios"))
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}
