package schemas

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/grader/celcheck"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/replay"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/scenarios/fixes"
)

var update = flag.Bool("update", false, "rewrite the *.schema.json files from the Go types")

// BaseURL is where the schemas are published: the modelines of the files a
// trainer writes name them there, and each schema's $id is its URL.
const BaseURL = "https://raw.githubusercontent.com/crashlab/crashlab/main/schemas/"

// module is the import path of the repository's root, one folder up.
const module = "github.com/crashlab/crashlab"

// schemaFiles are the published schemas, each built from the Go types.
var schemaFiles = []struct {
	name  string
	build func(*gen) *Schema
}{
	{"scenario.schema.json", scenarioSchema},
	{"pack.schema.json", packSchema},
	{"fix.schema.json", fixSchema},
	{"diagnosis.schema.json", diagnosisSchema},
}

// TestSchemasAreCurrent regenerates every schema from the Go types and
// compares it with the committed file; with -update it rewrites the files.
func TestSchemasAreCurrent(t *testing.T) {
	for name, want := range generate(t) {
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v: run go test ./schemas -update", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("schemas/%s is not what the Go types give: run go test ./schemas -update", name)
		}
	}
}

// generate builds every schema, by file name.
func generate(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range schemaFiles {
		g := newGen(t)
		root := f.build(g)
		root.Schema = "https://json-schema.org/draft/2020-12/schema"
		root.ID = BaseURL + f.name
		root.Defs = g.defList()
		b, err := marshal(root)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		out[f.name] = append(buf.Bytes(), '\n')
	}
	return out
}

// scenarioSchema is scenario.yaml: scenarios.Meta.
func scenarioSchema(g *gen) *Schema {
	root := g.object(reflect.TypeFor[scenarios.Meta]())
	root.Title = "crashlab scenario.yaml"
	root.Description = "One incident of crashlab: its story, the workload it breaks, the diagnosis questions, the fix checks and the expert path. Decoded strictly into scenarios.Meta: a field it does not know is an error."
	// The explanation is Markdown in explanation.md beside scenario.yaml;
	// folders written before it keep it here, never both.
	optional(root, "explanation")
	dnsLabel := `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	prop(root, "id").Pattern = dnsLabel
	prop(root, "aliases").Items.Pattern = dnsLabel
	prop(root, "level").Minimum = ptr(1.0)
	for _, f := range []string{"signature", "questions", "approaches", "expert"} {
		prop(root, f).MinItems = ptr(1)
	}
	prop(root, "hints").MinItems = ptr(3)

	w := g.def(reflect.TypeFor[scenarios.Workload]())
	prop(w, "kind").Enum = podstate.WorkloadKinds
	// A Job, CronJob or Pod runs without replicas; validate asks them only
	// of a Deployment or StatefulSet.
	optional(w, "replicas")
	prop(w, "replicas").Minimum = ptr(0.0)

	r := g.def(reflect.TypeFor[scenarios.Rule]())
	// The rules and keep's parts are unexported in package scenarios;
	// TestHandWrittenListsAreTheLabs checks these against the lab's errors.
	prop(r, "rule").Enum = ruleNames
	prop(r, "parts").Items.Enum = keepParts
	prop(r, "probe").Enum = grader.ProbeKinds
	prop(r, "probes").Items.Enum = grader.ProbeKinds
	// What each rule needs (scenarios/rules.go, Rule.validate).
	needs := func(rule string, then *Schema) *Schema {
		return &Schema{If: &Schema{Properties: Props{{"rule", &Schema{Const: rule}}}, Required: []string{"rule"}}, Then: then}
	}
	r.AllOf = []*Schema{
		needs("keep", &Schema{Required: []string{"parts", "fail", "pass"}}),
		needs("probeKept", &Schema{Required: []string{"name", "probe", "fail", "pass"}}),
		needs("probeOnHealth", &Schema{Required: []string{"name", "probes"}}),
		needs("memoryLimit", &Schema{Required: []string{"name", "needArg", "maxFactor"},
			AnyOf: []*Schema{{Required: []string{"minHeadroomMiB"}}, {Required: []string{"headroomDivisor"}}}}),
		needs("hardeningKept", &Schema{Not: &Schema{AnyOf: []*Schema{{Required: []string{"name"}}, {Required: []string{"parts"}}, {Required: []string{"fail"}}, {Required: []string{"pass"}}}}}),
	}
	for _, f := range []string{"parts", "probes"} {
		prop(r, f).MinItems = ptr(1)
	}
	for _, f := range []string{"maxFactor", "minHeadroomMiB", "headroomDivisor"} {
		prop(r, f).Minimum = ptr(1.0)
	}

	c := g.def(reflect.TypeFor[celcheck.Spec]())
	prop(c, "cases").MinItems = ptr(1)
	// Exactly one of fail and pass is the sentence a learner reads.
	g.def(reflect.TypeFor[celcheck.Case]()).OneOf = []*Schema{{Required: []string{"fail"}}, {Required: []string{"pass"}}}

	prop(g.def(reflect.TypeFor[scenarios.FixShape]()), "live").Enum = []string{scenarios.LiveJob}

	q := g.def(reflect.TypeFor[grader.Question]())
	prop(q, "fact").Enum = []string{grader.FactLastReason, grader.FactLastExitCode, grader.FactWaitingReason, grader.FactNodeArch, grader.FactFamily}
	prop(q, "choices").MinItems = ptr(2)
	// Either a fact the pods show, or choices.
	q.OneOf = []*Schema{{Required: []string{"fact"}}, {Required: []string{"choices"}}}
	prop(g.def(reflect.TypeFor[grader.Choice]()), "evidence").MinItems = ptr(1)

	prop(g.def(reflect.TypeFor[replay.Step]()), "look").Enum = replay.Looks
	return root
}

// packSchema is pack.yaml: scenarios.Pack.
func packSchema(g *gen) *Schema {
	root := g.object(reflect.TypeFor[scenarios.Pack]())
	root.Title = "crashlab pack.yaml"
	root.Description = "A pack of incidents kept outside the crashlab binary: its name, version and the crashlab versions that can run it. Decoded strictly into scenarios.Pack."
	prop(root, "name").Pattern = `^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	prop(root, "version").Pattern = semverPattern
	return root
}

// semverPattern is semver.org's pattern for a semantic version (what
// github.com/blang/semver's Parse takes).
const semverPattern = `^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`

// fixFile mirrors the unexported file struct of scenarios/fixes (fix.go),
// the fix file as written; steps are described by hand (fixStep).
type fixFile struct {
	Expect    fixes.Expect                 `json:"expect"`
	Approach  string                       `json:"approach,omitempty"`
	RefusedBy string                       `json:"refusedBy,omitempty"`
	Why       string                       `json:"why"`
	Steps     []map[string]json.RawMessage `json:"steps"`
	After     *fixes.After                 `json:"after,omitempty"`
}

// stepActions are the actions a fix step may name, with the Go type its
// body decodes into (scenarios/fixes apply.go, actions).
var stepActions = []struct {
	name string
	body reflect.Type
}{
	{"patch", reflect.TypeFor[fixes.PatchStep]()},
	{"rolloutRestart", reflect.TypeFor[fixes.RolloutRestartStep]()},
	{"scale", reflect.TypeFor[fixes.ScaleStep]()},
	{"delete", reflect.TypeFor[fixes.DeleteStep]()},
	{"create", reflect.TypeFor[fixes.CreateStep]()},
	{"recreate", reflect.TypeFor[fixes.RecreateStep]()},
	{"barePod", reflect.TypeFor[fixes.BarePodStep]()},
	{"fromTemplate", reflect.TypeFor[fixes.FromTemplateStep]()},
}

// Hand-written lists of what package scenarios and scenarios/fixes keep
// unexported; TestHandWrittenListsAreTheLabs compares them with the lab.
var (
	ruleNames   = []string{"keep", "probeKept", "probeOnHealth", "memoryLimit", "hardeningKept"}
	keepParts   = []string{"image", "command", "args", "livenessProbe", "readinessProbe", "startupProbe", "memoryLimit", "cpuLimit"}
	objectKinds = []string{"ConfigMap", "CronJob", "Deployment", "Job", "Pod", "Secret", "Service"}
	// actionKinds are the kinds of the actions that take only some.
	actionKinds = map[string][]string{
		"rolloutRestart": {"Deployment"},
		"scale":          {"Deployment"},
		"recreate":       {"Deployment", "Secret", "ConfigMap"},
		"fromTemplate":   {"Job", "CronJob"},
	}
)

// fixSchema is a fixes/*.yaml file.
func fixSchema(g *gen) *Schema {
	root := g.object(reflect.TypeFor[fixFile]())
	root.Title = "crashlab fix file (fixes/*.yaml)"
	root.Description = "One accepted fix or one shortcut the grader must refuse, replayed as kubectl-like steps by the unit and e2e tests. The file name (without .yaml) must be a DNS label."
	prop(root, "expect").Enum = []string{string(fixes.ExpectPass), string(fixes.ExpectRefuse)}
	prop(root, "why").MinLength = ptr(1)
	steps := prop(root, "steps")
	steps.MinItems = ptr(1)
	steps.Items = &Schema{Ref: "#/$defs/Step"}
	root.AllOf = []*Schema{
		{
			If:   &Schema{Properties: Props{{"expect", &Schema{Const: fixes.ExpectPass}}}, Required: []string{"expect"}},
			Then: &Schema{Required: []string{"approach"}, Not: &Schema{Required: []string{"refusedBy"}}},
		},
		{
			If:   &Schema{Properties: Props{{"expect", &Schema{Const: fixes.ExpectRefuse}}}, Required: []string{"expect"}},
			Then: &Schema{Required: []string{"refusedBy"}, Not: &Schema{Required: []string{"approach"}}},
		},
	}
	prop(g.def(reflect.TypeFor[fixes.After]()), "signature").MinItems = ptr(1)

	// A step is a mapping with exactly one key, the action; its value is the
	// action's body.
	step := &Schema{
		Type:                 "object",
		Description:          "One kubectl-like action: a mapping with exactly one key, the action's name, whose value is its body. Strings may hold templates ({{ .Image }}, {{ secretValue \"NAME\" \"KEY\" }}, ...) filled from the live cluster when the step runs.",
		AdditionalProperties: false,
	}
	for _, a := range stepActions {
		body := g.object(a.body)
		if rest, ok := strings.CutPrefix(body.Description, a.body.Name()+" "); ok {
			body.Description = a.name + " " + rest
		}
		kinds := objectKinds
		if k, ok := actionKinds[a.name]; ok {
			kinds = k
		}
		switch a.name {
		case "patch":
			p := prop(body, "patch")
			p.Description = "The patch: an object for a strategic merge patch (the default) or a merge patch, a list of {op, path, value} for a JSON patch."
			p.Type = []string{"object", "array"}
			prop(body, "type").Enum = []string{"strategic", "merge", "json"}
		case "delete":
			prop(body, "propagation").Enum = []string{"Background", "Foreground", "Orphan"}
		case "create":
			m := prop(body, "manifest")
			m.Description = "One full object (apiVersion, kind, metadata.name, ...), created in the lab namespace."
			m.Type = "object"
			m.Required = []string{"apiVersion", "kind", "metadata"}
			m.Properties = Props{{"kind", &Schema{Enum: objectKinds}}}
		case "recreate":
			prop(body, "patch").Type = "object"
		case "barePod":
			prop(body, "from").Pattern = `^Deployment/.+$`
			prop(body, "patch").Type = "object"
		case "fromTemplate":
			prop(body, "from").Pattern = `^(Deployment|CronJob)/.+$`
			prop(body, "patch").Type = "object"
			body.AllOf = []*Schema{{
				If:   &Schema{Properties: Props{{"kind", &Schema{Const: "CronJob"}}}, Required: []string{"kind"}},
				Then: &Schema{Required: []string{"schedule"}},
				Else: &Schema{Not: &Schema{Required: []string{"schedule"}}},
			}}
		}
		if k := body.Properties.get("kind"); k != nil {
			k.Enum = kinds
		}
		if n := body.Properties.get("replicas"); n != nil {
			n.Minimum = ptr(0.0)
		}
		name := strings.ToUpper(a.name[:1]) + a.name[1:] + "Step"
		g.addDef(name, body)
		step.Properties = append(step.Properties, Prop{a.name, &Schema{Ref: "#/$defs/" + name, Description: body.Description}})
		step.OneOf = append(step.OneOf, &Schema{Required: []string{a.name}})
	}
	g.addDef("Step", step)
	return root
}

// diagnosisSchema is fixes/diagnosis.yaml: fixes.Diagnosis.
func diagnosisSchema(g *gen) *Schema {
	root := g.object(reflect.TypeFor[fixes.Diagnosis]())
	root.Title = "crashlab diagnosis.yaml (fixes/diagnosis.yaml)"
	root.Description = "The answers the e2e suite and `crashlab author test` give to the choice questions of scenario.yaml, by question id: the right one and one that must be judged wrong. Fact questions are answered from the live pods and are not listed."
	return root
}

// typeDocs describe the types whose Go doc comment reads badly out of Go,
// by $defs name; the first paragraph of the doc comment is used for the others.
var typeDocs = map[string]string{
	"Check":      "One fix check of the incident, in CEL: its variables, then its cases in order; the first case whose when holds decides.",
	"CheckCase":  "One outcome of a check: exactly one of fail and pass is the sentence a learner reads; messageExpression, when set, words it from the live state instead.",
	"ExpertStep": "One look of the expert path, such as {look: logs, previous: true, evidence: true, shows: the app says DATABASE_URL is not set} or {look: get, kind: secret, name: orders-db, evidence: true}.",
	"Param":      "One parameter of a blind variant, such as {name: workload, value: orders-api, pool: [billing-api, ...]}: every occurrence of the value is replaced by one drawn from the pool.",
	"After":      "Evidence (podstate evidence predicates, templates allowed; an entry that renders empty is dropped) that must hold on the workload's pods after the check, within timeout.",
}

// fieldDocs describe the fields whose Go declaration has no comment, by
// "Type.jsonName" (the $defs name for a nested type); a Go doc comment is
// used for the others.
var fieldDocs = map[string]string{
	"Meta.id":                     "The scenario's id, a DNS label; also its folder's name and the name learners type (crashlab start ID).",
	"Meta.title":                  "One line that names the symptom, never the cause.",
	"Meta.level":                  "Difficulty, from 1 (first incident) up.",
	"Meta.workload":               "The workload the incident breaks; manifests, checks, grader and tests all read it from here.",
	"Meta.briefing":               "The page the learner gets: the symptom and what is asked. A template over the deployed values ({{ .Repository }}).",
	"Meta.questions":              "The diagnosis questions: each asks for a fact the pods show, or offers choices of which exactly one holds on the live pods.",
	"Meta.hints":                  "At least three hints, from a first look to the fix. Templates over the deployed values.",
	"Workload.kind":               "The workload's kind.",
	"Workload.name":               "The workload's name in manifests.yaml.",
	"Workload.container":          "The container that fails (a container or init container of the workload's pod template).",
	"Workload.replicas":           "The replicas the fix must keep (at least 1 for a Deployment or StatefulSet).",
	"Rule.rule":                   "Which rule: keep (parts of the released container a fix must leave alone), probeKept, probeOnHealth, memoryLimit or hardeningKept.",
	"Rule.name":                   "The check's name, as verdicts and a fixes/ file's refusedBy name it (keep defaults to app-unchanged; hardeningKept takes none).",
	"Rule.parts":                  "keep: the parts of the released container that must not change.",
	"Rule.probe":                  "probeKept: the kind of probe the container must keep.",
	"Rule.probes":                 "probeOnHealth: the kinds of probe that must ask the released health endpoint.",
	"Rule.fail":                   "What the learner reads when the check fails: what to do instead.",
	"Rule.pass":                   "What the learner reads when the check passes: what holds.",
	"Rule.needArg":                "memoryLimit: the released argument that states the memory the app needs (--alloc-mb).",
	"Rule.minHeadroomMiB":         "memoryLimit: the least headroom above the need, in MiB.",
	"Rule.headroomDivisor":        "memoryLimit: headroom as a share of the need (need / headroomDivisor).",
	"Rule.maxFactor":              "memoryLimit: the limit may be at most this many times the need.",
	"Rule.approach":               "memoryLimit: the accepted approach a passing check names.",
	"Check.cases":                 "The outcomes, in order: the first case whose when holds decides.",
	"Check.variables":             "Named CEL expressions evaluated before the cases, in order; read as variables.NAME.",
	"CheckVariable.name":          "The variable's name, read as variables.NAME.",
	"CheckVariable.expression":    "A CEL expression over the live and deployed objects.",
	"CheckCase.fail":              "The sentence the learner reads when this case decides and the check fails.",
	"CheckCase.pass":              "The sentence the learner reads when this case decides and the check passes.",
	"FixShape.live":               "job: the fix replaces the workload with a Job or CronJob running the released program, and the live judge waits for that Job to complete. Without it the fix keeps the workload.",
	"Question.id":                 "The question's id, the key of its answer (crashlab diagnose, fixes/diagnosis.yaml).",
	"Question.prompt":             "The question as the learner reads it.",
	"Question.fact":               "A fact the live pods show, which the answer must match; a question has a fact or choices, not both.",
	"Question.choices":            "The possible causes; the right one is the choice whose evidence holds on the live pods.",
	"Choice.id":                   "The choice's id, the answer a learner gives.",
	"Choice.text":                 "The cause as the learner reads it.",
	"Choice.evidence":             "podstate evidence predicates (reason=, log~, event=, ...) that must all hold on the live pods for this choice to be the right one; at least one names a message, log, event message or missing key.",
	"Approach.id":                 "The approach's id, as a check's passing case and a fixes/ file's approach name it.",
	"Approach.text":               "The fix in a few words, as the explanation names it.",
	"Param.name":                  "The param's name; a later param's with names it.",
	"Pack.name":                   "The pack's name: lower case letters, digits, '-' and '.'.",
	"Pack.version":                "The pack's semantic version (1.2.0).",
	"Pack.authors":                "Who wrote the pack (Name <email>).",
	"Pack.description":            "What the pack's incidents are about, in one line.",
	"fixFile.expect":              "pass: the grader must accept the fix and name its approach; refuse: the grader must refuse it, with refusedBy the first check that fails.",
	"fixFile.approach":            "expect: pass only: the approach the grader must name (an id of scenario.yaml's approaches).",
	"fixFile.refusedBy":           "expect: refuse only: the first check that must fail (a rule's, a CEL check's or a shared check's name).",
	"fixFile.why":                 "What a learner under pressure would do, and why it is, or is not, a fix.",
	"fixFile.steps":               "The kubectl-like steps of the fix, applied in order.",
	"fixFile.after":               "Evidence the e2e suite waits for on the workload's pods once check returned.",
	"After.timeout":               "How long the e2e suite waits for the signature (a Go duration, 2m when not given).",
	"ObjectRef.kind":              "The object's kind.",
	"ObjectRef.name":              "The object's name in the lab namespace.",
	"ScaleStep.replicas":          "The replicas to scale to.",
	"BarePodStep.from":            "The Deployment whose pod template the Pod copies, as Deployment/NAME.",
	"BarePodStep.name":            "The Pod's name.",
	"BarePodStep.replace":         "Delete the Deployment before the Pod is created.",
	"BarePodStep.patch":           "A strategic merge patch on the new Pod.",
	"RecreateStep.patch":          "A strategic merge patch on the copy: the edit.",
	"FromTemplateStep.from":       "Where the template comes from: Deployment/NAME or CronJob/NAME.",
	"FromTemplateStep.kind":       "What to make: a Job, or (from a Deployment) a CronJob.",
	"FromTemplateStep.name":       "The new object's name.",
	"FromTemplateStep.patch":      "A strategic merge patch on the new object.",
	"CheckCase.messageExpression": "A CEL expression of type string that words the sentence from the live state; the written fail or pass stays as the fallback.",
	"After.signature":             "The evidence to wait for.",
	"DeleteStep.propagation":      "Background, Foreground or Orphan (kubectl delete --cascade); the API server's default for the kind when not given.",
	"FromTemplateStep.podLabels":  "Labels that replace the pod template's.",
	"FromTemplateStep.schedule":   "The CronJob's schedule: required for a CronJob, refused for a Job.",
	"Diagnosis.correct":           "The intended answer to each choice question: question id → choice id.",
	"Diagnosis.wrong":             "An answer to each choice question that must be judged wrong: question id → choice id.",
}

// Schema is the part of JSON Schema 2020-12 the generator writes, in the
// order the files show it.
type Schema struct {
	Schema               string    `json:"$schema,omitempty"`
	ID                   string    `json:"$id,omitempty"`
	Ref                  string    `json:"$ref,omitempty"`
	Title                string    `json:"title,omitempty"`
	Description          string    `json:"description,omitempty"`
	Type                 any       `json:"type,omitempty"`
	Const                any       `json:"const,omitempty"`
	Enum                 []string  `json:"enum,omitempty"`
	Pattern              string    `json:"pattern,omitempty"`
	MinLength            *int      `json:"minLength,omitempty"`
	Minimum              *float64  `json:"minimum,omitempty"`
	Items                *Schema   `json:"items,omitempty"`
	MinItems             *int      `json:"minItems,omitempty"`
	Properties           Props     `json:"properties,omitempty"`
	Required             []string  `json:"required,omitempty"`
	AdditionalProperties any       `json:"additionalProperties,omitempty"`
	OneOf                []*Schema `json:"oneOf,omitempty"`
	AnyOf                []*Schema `json:"anyOf,omitempty"`
	AllOf                []*Schema `json:"allOf,omitempty"`
	If                   *Schema   `json:"if,omitempty"`
	Then                 *Schema   `json:"then,omitempty"`
	Else                 *Schema   `json:"else,omitempty"`
	Not                  *Schema   `json:"not,omitempty"`
	Defs                 Props     `json:"$defs,omitempty"`
}

// Prop is one named schema of properties or $defs.
type Prop struct {
	Name   string
	Schema *Schema
}

// Props keep their order in JSON.
type Props []Prop

func (ps Props) get(name string) *Schema {
	for _, p := range ps {
		if p.Name == name {
			return p.Schema
		}
	}
	return nil
}

// MarshalJSON writes the props as one object, in order.
func (ps Props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(p.Name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(p.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping: descriptions say
// "Name <email>" and "→", which editors show as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func ptr[T any](v T) *T { return &v }

// prop is the property name of an object schema; a field the Go type no
// longer has fails the generator.
func prop(s *Schema, name string) *Schema {
	p := s.Properties.get(name)
	if p == nil {
		panic(fmt.Sprintf("schema has no property %q", name))
	}
	return p
}

// optional makes a property not required.
func optional(s *Schema, name string) {
	prop(s, name)
	s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
}

// gen builds schemas from Go types, named struct types as $defs.
type gen struct {
	t     testing.TB
	defs  Props
	named map[reflect.Type]string
	docs  *goDocs
}

func newGen(t testing.TB) *gen {
	return &gen{t: t, named: map[reflect.Type]string{}, docs: loadDocs(t)}
}

func (g *gen) defList() Props {
	out := slices.Clone(g.defs)
	slices.SortFunc(out, func(a, b Prop) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (g *gen) addDef(name string, s *Schema) {
	if g.defs.get(name) != nil {
		panic("two $defs named " + name)
	}
	g.defs = append(g.defs, Prop{name, s})
}

// defName is the $defs name of a named type.
func defName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[replay.Step]():
		return "ExpertStep"
	}
	switch t.PkgPath() + "." + t.Name() {
	case module + "/grader/celcheck.Spec":
		return "Check"
	case module + "/grader/celcheck.Variable":
		return "CheckVariable"
	case module + "/grader/celcheck.Case":
		return "CheckCase"
	}
	return t.Name()
}

// def is the $defs schema of a named struct type, built on first use.
func (g *gen) def(t reflect.Type) *Schema {
	g.ref(t)
	return g.defs.get(g.named[t])
}

// ref is a reference to the $defs schema of named type t.
func (g *gen) ref(t reflect.Type) *Schema {
	if name, ok := g.named[t]; ok {
		return &Schema{Ref: "#/$defs/" + name}
	}
	name := defName(t)
	g.named[t] = name
	var s *Schema
	if t == reflect.TypeFor[scenarios.Duration]() {
		s = &Schema{
			Type:        "string",
			Description: "A Go duration: a number and a unit (ns, us, ms, s, m, h), such as 2s, 90s, 1m30s.",
			Pattern:     `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`,
		}
	} else {
		s = g.object(t)
	}
	g.addDef(name, s)
	return &Schema{Ref: "#/$defs/" + name}
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// of is the schema of a value of type t.
func (g *gen) of(t reflect.Type) *Schema {
	if t == rawMessage {
		return &Schema{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &Schema{Type: "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer", Minimum: ptr(0.0)}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &Schema{Type: "array", Items: g.of(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic(fmt.Sprintf("%v: map keys must be strings", t))
		}
		return &Schema{Type: "object", AdditionalProperties: g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return g.ref(t)
	case reflect.Interface:
		return &Schema{}
	}
	panic(fmt.Sprintf("no schema for %v", t))
}

// object is the schema of struct type t as encoding/json sees it:
// json-tagged fields (embedded structs' promoted), omitempty ones optional,
// no other field allowed (the lab decodes strictly).
func (g *gen) object(t reflect.Type) *Schema {
	s := &Schema{Type: "object", AdditionalProperties: false, Description: typeDocs[defName(t)]}
	if s.Description == "" {
		s.Description = g.docs.typeDoc(t)
	}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs := g.of(f.Type)
			if d, ok := fieldDocs[defName(t)+"."+name]; ok {
				fs.Description = d
			} else if d := g.docs.fieldDoc(t, f.Name, name); d != "" {
				fs.Description = d
			}
			s.Properties = append(s.Properties, Prop{name, fs})
			if !slices.Contains(strings.Split(opts, ","), "omitempty") && !slices.Contains(strings.Split(opts, ","), "omitzero") {
				s.Required = append(s.Required, name)
			}
		}
	}
	walk(t)
	return s
}

// goDocs are the doc comments of the lab's Go types, read from the source.
type goDocs struct {
	types  map[string]string            // "pkg.Type" → doc
	fields map[string]map[string]string // "pkg.Type" → Go field → doc
}

var docsCache *goDocs

func loadDocs(t testing.TB) *goDocs {
	if docsCache != nil {
		return docsCache
	}
	d := &goDocs{types: map[string]string{}, fields: map[string]map[string]string{}}
	for _, pkg := range []string{"scenarios", "scenarios/fixes", "grader", "grader/celcheck", "replay"} {
		files, err := filepath.Glob(filepath.Join("..", pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("read the Go source of %s: %v", pkg, err)
		}
		fset := token.NewFileSet()
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					key := module + "/" + pkg + "." + ts.Name.Name
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					d.types[key] = doc.Text()
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					fields := map[string]string{}
					for _, fl := range st.Fields.List {
						text := fl.Doc.Text()
						if text == "" {
							text = fl.Comment.Text()
						}
						for _, n := range fl.Names {
							fields[n.Name] = text
						}
					}
					d.fields[key] = fields
				}
			}
		}
	}
	docsCache = d
	return d
}

var spaces = regexp.MustCompile(`\s+`)

// typeDoc is the first paragraph of t's doc comment, on one line.
func (d *goDocs) typeDoc(t reflect.Type) string {
	doc, _, _ := strings.Cut(d.types[t.PkgPath()+"."+t.Name()], "\n\n")
	return strings.TrimSpace(spaces.ReplaceAllString(doc, " "))
}

// fieldDoc is the doc comment of field goName of t, on one line, with the
// Go name it starts with written as the YAML key.
func (d *goDocs) fieldDoc(t reflect.Type, goName, jsonName string) string {
	doc := strings.TrimSpace(spaces.ReplaceAllString(d.fields[t.PkgPath()+"."+t.Name()][goName], " "))
	for _, sep := range []string{" ", ": ", ", "} {
		if rest, ok := strings.CutPrefix(doc, goName+sep); ok {
			return jsonName + sep + rest
		}
	}
	return doc
}
