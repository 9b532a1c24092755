package schemas

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// compiledSchemas are the committed schema files, compiled (which checks
// each against the 2020-12 meta-schema), by file name.
func compiledSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		compiled = map[string]*jsonschema.Schema{}
		for _, f := range schemaFiles {
			raw, err := os.ReadFile(f.name)
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compileErr = err
				return
			}
			if compileErr = c.AddResource(BaseURL+f.name, doc); compileErr != nil {
				return
			}
		}
		for _, f := range schemaFiles {
			if compiled[f.name], compileErr = c.Compile(BaseURL + f.name); compileErr != nil {
				return
			}
		}
	})
	if compileErr != nil {
		t.Fatal(compileErr)
	}
	return compiled
}

// validate checks YAML text against the schema file named.
func validate(t *testing.T, schema string, raw []byte) error {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return compiledSchemas(t)[schema].Validate(inst)
}

// schemaOf is the schema of a file a trainer writes, by its path.
func schemaOf(path string) string {
	switch {
	case filepath.Base(path) == scenarios.MetaFile:
		return "scenario.schema.json"
	case filepath.Base(path) == scenarios.PackFile:
		return "pack.schema.json"
	case filepath.Base(path) == fixes.DiagnosisFile:
		return "diagnosis.schema.json"
	}
	return "fix.schema.json"
}

// TestRepositoryFilesValidate checks every built-in scenario.yaml, fixes/
// file and diagnosis.yaml, the author skeleton's and the example packs'
// (pack.yaml too), against the schemas.
func TestRepositoryFilesValidate(t *testing.T) {
	var files []string
	for _, pattern := range []string{
		"../scenarios/*/scenario.yaml", "../scenarios/*/fixes/*.yaml",
		"../author/skeleton/scenario.yaml", "../author/skeleton/fixes/*.yaml",
		// packs kept in the repository, such as examples/starter-pack
		"../examples/*/pack.yaml", "../examples/*/*/scenario.yaml", "../examples/*/*/fixes/*.yaml",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	count := map[string]int{}
	for _, path := range files {
		count[schemaOf(path)]++
		t.Run(strings.TrimPrefix(path, "../"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// The skeleton's id is __ID__ until `crashlab author new` names it.
			raw = bytes.ReplaceAll(raw, []byte("__ID__"), []byte("demo-api"))
			if err := validate(t, schemaOf(path), raw); err != nil {
				t.Errorf("%s does not validate against schemas/%s:\n%v", path, schemaOf(path), err)
			}
		})
	}
	for _, s := range []string{"scenario.schema.json", "fix.schema.json", "diagnosis.schema.json"} {
		if count[s] < 2 {
			t.Errorf("found %d files for %s: the globs miss the repository's files", count[s], s)
		}
	}
}

// skeleton is the author skeleton's scenario folder with an id, as
// `crashlab author new` writes it.
func skeleton(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{scenarios.MetaFile, scenarios.ManifestsFile, scenarios.ExplanationFile} {
		raw, err := os.ReadFile(filepath.Join("../author/skeleton", name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(raw), "__ID__", "demo-api"))}
	}
	return fsys
}

// loadScenario loads the skeleton with scenario.yaml edited by edit.
func loadScenario(t *testing.T, edit func(string) string) ([]byte, error) {
	t.Helper()
	fsys := skeleton(t)
	meta := []byte(edit(string(fsys[scenarios.MetaFile].Data)))
	fsys[scenarios.MetaFile] = &fstest.MapFile{Data: meta}
	_, err := scenarios.LoadWith(fsys, scenarios.Hooks{})
	return meta, err
}

// fixFileText is a fix file that the lab accepts, with its steps.
func fixFileText(steps string) string {
	return "expect: pass\napproach: reference-fixed\nwhy: because\nsteps:\n" + steps
}

const packText = `name: acme-onboarding
version: 1.2.0
authors: [Ada Lovelace <ada@example.com>]
description: the incidents of ACME's on-call onboarding
crashlab: ">=0.9.0"
`

// readPack is scenarios.ReadPack of pack.yaml text.
func readPack(t *testing.T, text string) error {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, scenarios.PackFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := scenarios.ReadPack(dir, "dev")
	return err
}

// TestSchemasAgreeWithTheLab feeds the schemas and the lab's own loaders
// the same files: what the lab accepts validates, and a mistake it refuses
// (an unknown field above all, as it decodes strictly) the schema refuses.
func TestSchemasAgreeWithTheLab(t *testing.T) {
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("the skeleton has no %q", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	scenarioCases := []struct {
		name string
		edit func(string) string
		ok   bool
	}{
		{"skeleton", func(s string) string { return s }, true},
		{"unknown field", func(s string) string { return s + "limts: 1\n" }, false},
		{"misspelt nested field", replace("  container: app\n", "  containr: app\n"), false},
		{"duration without unit", replace("failsWithin: 2s", "failsWithin: '2'"), false},
		{"unknown rule", replace("  - rule: keep", "  - rule: kept"), false},
		{"unknown keep part", replace("parts: [image, command, args]", "parts: [image, cmd]"), false},
		{"case with fail and pass", replace("        fail: UPSTREAM_URL still refers to a key that does not exist\n",
			"        fail: UPSTREAM_URL still refers to a key that does not exist\n        pass: both\n"), false},
		{"unknown look", replace("{look: get, kind: pod,", "{look: list, kind: pod,"), false},
		{"question with fact and choices", replace("    fact: lastExitCode\n",
			"    fact: lastExitCode\n    choices: [{id: a, text: a, evidence: [log~a]}, {id: b, text: b, evidence: [log~b]}]\n"), false},
	}
	for _, tc := range scenarioCases {
		t.Run("scenario/"+tc.name, func(t *testing.T) {
			meta, labErr := loadScenario(t, tc.edit)
			schemaErr := validate(t, "scenario.schema.json", meta)
			agree(t, tc.ok, labErr, schemaErr)
		})
	}

	patch := "  - patch: {kind: Deployment, name: demo-api, patch: {spec: {replicas: 2}}}\n"
	fixCases := []struct {
		name, text string
		ok         bool
	}{
		{"patch", fixFileText(patch), true},
		{"every action", fixFileText(patch +
			"  - patch: {kind: Deployment, name: demo-api, type: json, patch: [{op: replace, path: /spec/replicas, value: 2}]}\n" +
			"  - rolloutRestart: {kind: Deployment, name: demo-api}\n" +
			"  - scale: {kind: Deployment, name: demo-api, replicas: 0}\n" +
			"  - delete: {kind: Pod, name: demo-api-0, propagation: Background}\n" +
			"  - create: {manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {a: b}}}\n" +
			"  - recreate: {kind: Secret, name: s, patch: {stringData: {a: b}}}\n" +
			"  - barePod: {from: Deployment/demo-api, name: p, replace: true}\n" +
			"  - fromTemplate: {from: Deployment/demo-api, kind: CronJob, name: c, schedule: '* * * * *', podLabels: {a: b}}\n" +
			"after: {signature: [waitingReason=CrashLoopBackOff], timeout: 1m30s}\n"), true},
		{"unknown top-level field", fixFileText(patch) + "expects: pass\n", false},
		{"unknown action", fixFileText("  - edit: {kind: Deployment, name: demo-api}\n"), false},
		{"two actions in one step", fixFileText("  - rolloutRestart: {kind: Deployment, name: demo-api}\n    scale: {kind: Deployment, name: demo-api, replicas: 1}\n"), false},
		{"misspelt body field", fixFileText("  - rolloutRestart: {kind: Deployment, nmae: demo-api}\n"), false},
		{"kind the action refuses", fixFileText("  - scale: {kind: Pod, name: demo-api, replicas: 1}\n"), false},
		{"scale without replicas", fixFileText("  - scale: {kind: Deployment, name: demo-api}\n"), false},
		{"pass without approach", strings.Replace(fixFileText(patch), "approach: reference-fixed\n", "", 1), false},
		{"refuse with approach", strings.Replace(fixFileText(patch), "expect: pass", "expect: refuse\nrefusedBy: app-unchanged", 1), false},
		{"job with schedule", fixFileText("  - fromTemplate: {from: Deployment/demo-api, kind: Job, name: j, schedule: '* * * * *'}\n"), false},
		{"no steps", "expect: pass\napproach: a\nwhy: because\nsteps: []\n", false},
	}
	for _, tc := range fixCases {
		t.Run("fix/"+tc.name, func(t *testing.T) {
			_, labErr := fixes.Parse("demo-fix", []byte(tc.text))
			agree(t, tc.ok, labErr, validate(t, "fix.schema.json", []byte(tc.text)))
		})
	}

	packCases := []struct {
		name, text string
		ok         bool
	}{
		{"full", packText, true},
		{"name and version", "name: p\nversion: 0.1.0-rc.1\n", true},
		{"unknown field", packText + "homepage: x\n", false},
		{"version not semver", "name: p\nversion: v1.2\n", false},
		{"name with capitals", "name: Acme\nversion: 1.0.0\n", false},
	}
	for _, tc := range packCases {
		t.Run("pack/"+tc.name, func(t *testing.T) {
			agree(t, tc.ok, readPack(t, tc.text), validate(t, "pack.schema.json", []byte(tc.text)))
		})
	}

	diagnosisCases := []struct {
		name, text string
		ok         bool
	}{
		{"answers", "correct: {cause: a}\nwrong: {cause: b}\n", true},
		{"unknown field", "correct: {cause: a}\nwrong: {cause: b}\nright: {cause: a}\n", false},
	}
	for _, tc := range diagnosisCases {
		t.Run("diagnosis/"+tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), fixes.DiagnosisFile)
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, labErr := fixes.LoadDiagnosis(path)
			agree(t, tc.ok, labErr, validate(t, "diagnosis.schema.json", []byte(tc.text)))
		})
	}
}

// agree fails unless both the lab and the schema accept (ok) or both refuse.
func agree(t *testing.T, ok bool, labErr, schemaErr error) {
	t.Helper()
	switch {
	case ok && labErr != nil:
		t.Fatalf("the lab refuses a file the test means as valid: %v", labErr)
	case ok && schemaErr != nil:
		t.Errorf("the schema refuses a file the lab accepts:\n%v", schemaErr)
	case !ok && labErr == nil:
		t.Fatalf("the lab accepts a file the test means as wrong")
	case !ok && schemaErr == nil:
		t.Errorf("the schema accepts a file the lab refuses (%v)", labErr)
	}
}

// TestHandWrittenListsAreTheLabs compares the lists the generator writes by
// hand (the lab keeps them unexported) with those the lab's errors name.
func TestHandWrittenListsAreTheLabs(t *testing.T) {
	// listed is the comma-separated list in err after prefix, up to ")".
	listed := func(t *testing.T, err error, prefix string) []string {
		t.Helper()
		if err == nil {
			t.Fatal("the lab accepted the file")
		}
		m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([^)]*)\)`).FindStringSubmatch(err.Error())
		if m == nil {
			t.Fatalf("the lab's error no longer lists %q: %v", prefix, err)
		}
		return strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '[' || r == ']' })
	}
	same := func(t *testing.T, what string, hand, lab []string) {
		t.Helper()
		hand, lab = slices.Sorted(slices.Values(hand)), slices.Sorted(slices.Values(lab))
		if !slices.Equal(hand, lab) {
			t.Errorf("%s: the schema lists %v, the lab %v: update schemas_test.go and run go test ./schemas -update", what, hand, lab)
		}
	}

	t.Run("step actions", func(t *testing.T) {
		_, err := fixes.Parse("x", []byte(fixFileText("  - nosuch: {}\n")))
		var names []string
		for _, a := range stepActions {
			names = append(names, a.name)
		}
		same(t, "step actions", names, listed(t, err, "known: "))
	})
	t.Run("object kinds", func(t *testing.T) {
		_, err := fixes.Parse("x", []byte(fixFileText("  - delete: {kind: Nope, name: x}\n")))
		same(t, "object kinds", objectKinds, listed(t, err, "steps know ("))
	})
	for action, kinds := range actionKinds {
		t.Run(action+" kinds", func(t *testing.T) {
			other := "Service" // a kind none of the restricted actions takes
			if slices.Contains(kinds, other) {
				t.Fatalf("pick another kind than %s to test %s", other, action)
			}
			extra := map[string]string{"scale": ", replicas: 1", "fromTemplate": ", from: Deployment/d"}[action]
			_, err := fixes.Parse("x", []byte(fixFileText("  - "+action+": {kind: "+other+", name: x"+extra+"}\n")))
			if err == nil {
				t.Fatal("the lab accepted the file")
			}
			m := regexp.MustCompile(`this step takes ([A-Za-z ]+)`).FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("the lab's error no longer says which kinds %s takes: %v", action, err)
			}
			same(t, action+" kinds", kinds, strings.Split(m[1], " or "))
		})
	}
	t.Run("rules", func(t *testing.T) {
		_, err := loadScenario(t, func(s string) string { return strings.Replace(s, "  - rule: keep", "  - rule: nosuch", 1) })
		same(t, "rules", ruleNames, listed(t, err, "(rules: "))
	})
	t.Run("keep parts", func(t *testing.T) {
		_, err := loadScenario(t, func(s string) string {
			return strings.Replace(s, "parts: [image, command, args]", "parts: [nosuch]", 1)
		})
		same(t, "keep parts", keepParts, listed(t, err, "(parts: "))
	})
}
