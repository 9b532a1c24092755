// Package scenarios owns the catalogue: each scenario is one embedded folder
// (scenario.yaml, manifests.yaml, and Go only for checks rules can't express).
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/crashlab/crashlab/grader/celcheck"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	yaml "go.yaml.in/yaml/v3"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/internal/yamlfile"
	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/replay"
)

// Meta is scenario.yaml.
type Meta struct {
	ID string `json:"id"`
	// Aliases are earlier ids of the scenario, still accepted on the command
	// line for a release. They often name the cause, so nothing lists them.
	Aliases  []string `json:"aliases,omitempty"`
	Title    string   `json:"title"`
	Level    int      `json:"level"`
	Workload Workload `json:"workload"`
	// Cause is the incident's cause in one line, shown once the learner has
	// solved the scenario or given up on it, never before.
	Cause string `json:"cause"`
	// FailsWithin is how long the broken workload runs before it fails; the
	// grader's stability window is derived from it.
	FailsWithin Duration `json:"failsWithin"`
	// Signature is evidence (podstate.Evidence) that holds once the failure shows.
	Signature []string `json:"signature"`
	// Teaches lists, as evidence, the facts the scenario's text states; the
	// end-to-end suite checks each one on a real cluster.
	Teaches []string `json:"teaches"`
	// Rules are the declarative fix checks (see Rule).
	Rules []Rule `json:"rules,omitempty"`
	// Checks are the incident's own fix checks, written in CEL
	// (grader/celcheck); they run after the rules, before any Go hooks.
	Checks []celcheck.Spec `json:"checks,omitempty"`
	// Fix says how the live judge sees a fix (see FixShape).
	Fix       FixShape          `json:"fix,omitempty"`
	Briefing  string            `json:"briefing"`
	Questions []grader.Question `json:"questions"`
	Hints     []string          `json:"hints"`
	// Explanation is Markdown, from the folder's explanation.md (or, in
	// folders written before it, scenario.yaml's explanation).
	Explanation string `json:"explanation"`
	// Approaches are the accepted fixes, by the name a check returns as
	// grader.Result.Approach; the explanation names the learner's and the
	// others. A unit test of scenarios/fixes keeps them in step with fixes/.
	Approaches []Approach `json:"approaches"`
	// Expert is the expert path: the few looks an experienced engineer
	// takes to the cause, in order, the evidence-bearing ones marked;
	// `crashlab replay` shows which the learner took. Names are the base
	// incident's literals, which a variant renames like any text.
	Expert []replay.Step `json:"expert"`
	// Params are the names and values a blind variant draws from a seed
	// (see Param and Scenario.Variant); none means every variant is the
	// base incident.
	Params []Param `json:"params,omitempty"`
}

// Approach is one accepted way to fix a scenario.
type Approach struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Approach returns the accepted approach of that id.
func (m Meta) Approach(id string) (Approach, bool) {
	for _, a := range m.Approaches {
		if a.ID == id {
			return a, true
		}
	}
	return Approach{}, false
}

// Workload is the one place a scenario names its workload: the manifests,
// the checks, the grader's target and the tests all read it from here.
type Workload struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	Replicas  int32  `json:"replicas"`
}

// Duration reads "2s" style values from YAML.
type Duration struct{ time.Duration }

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Values fill the manifests' template fields.
type Values struct {
	Image        string // the workload image for the node's architecture
	ForeignImage string // the same program built for the other architecture
	NodeArch     string
}

// Repository is Image without its tag: the name the briefing, hints and
// explanation give the released image, {{ .Repository }} in their text
// (the learner finds the tag). Deployed from a registry, it is the
// registry's (REGISTRY/crashlab/workload), which is what the node pulls;
// before anything is deployed, the lab's own name.
func (v Values) Repository() string {
	if v.Image == "" {
		return images.Repository
	}
	ref := v.Image
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// Baseline is the scenario as the lab deployed it: checks compare the live
// objects with it.
type Baseline struct {
	Values  Values
	Objects []runtime.Object
	// Workload is the scenario's, set when checks are built from the baseline.
	Workload Workload
	// Draw is the variant the objects were rendered with (the zero Draw for
	// the base incident), so that Go checks name the variant's objects.
	Draw Draw
}

// Name is the deployed variant's value for a literal of the base incident
// (a constant of a scenario's Go checks, such as the Secret "orders-db");
// the literal itself for the base incident or a literal no param names.
func (b Baseline) Name(literal string) string { return b.Draw.Name(literal) }

// Param is the deployed variant's value of the param of that name.
func (b Baseline) Param(name string) string { return b.Draw.Param(name) }

// TargetContainer is the scenario's container as deployed.
func (b Baseline) TargetContainer() *corev1.Container {
	spec := b.TargetPodSpec()
	if spec == nil {
		return nil
	}
	for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range list {
			if list[i].Name == b.Workload.Container {
				return &list[i]
			}
		}
	}
	return nil
}

// TargetPodSpec is the pod template of the scenario's workload as deployed
// (a bare Pod's own spec), whatever its kind.
func (b Baseline) TargetPodSpec() *corev1.PodSpec {
	for _, o := range b.Objects {
		switch w := o.(type) {
		case *appsv1.Deployment:
			if b.Workload.Kind == podstate.KindDeployment && w.Name == b.Workload.Name {
				return &w.Spec.Template.Spec
			}
		case *appsv1.StatefulSet:
			if b.Workload.Kind == podstate.KindStatefulSet && w.Name == b.Workload.Name {
				return &w.Spec.Template.Spec
			}
		case *batchv1.Job:
			if b.Workload.Kind == podstate.KindJob && w.Name == b.Workload.Name {
				return &w.Spec.Template.Spec
			}
		case *batchv1.CronJob:
			if b.Workload.Kind == podstate.KindCronJob && w.Name == b.Workload.Name {
				return &w.Spec.JobTemplate.Spec.Template.Spec
			}
		case *corev1.Pod:
			if b.Workload.Kind == podstate.KindPod && w.Name == b.Workload.Name {
				return &w.Spec
			}
		}
	}
	return nil
}

// Deployment returns the deployed Deployment by name.
func (b Baseline) Deployment(name string) *appsv1.Deployment {
	for _, o := range b.Objects {
		if d, ok := o.(*appsv1.Deployment); ok && d.Name == name {
			return d
		}
	}
	return nil
}

// Secret returns the deployed Secret by name.
func (b Baseline) Secret(name string) *corev1.Secret {
	for _, o := range b.Objects {
		if s, ok := o.(*corev1.Secret); ok && s.Name == name {
			return s
		}
	}
	return nil
}

// Container returns a container of a deployed Deployment.
func (b Baseline) Container(deployment, container string) *corev1.Container {
	d := b.Deployment(deployment)
	if d == nil {
		return nil
	}
	for i := range d.Spec.Template.Spec.Containers {
		if d.Spec.Template.Spec.Containers[i].Name == container {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

// ChecksFunc builds a scenario's own fix checks from its baseline.
type ChecksFunc func(Baseline) []grader.Check

// LiveFunc builds a scenario's own live judge, for fixes that do not keep the
// Deployment (a task moved to a Job).
type LiveFunc func(c kubernetes.Interface, ns string, b Baseline, opt grader.LiveOptions) grader.LiveJudge

// Hooks are the Go parts of a scenario, for what rules can't express.
type Hooks struct {
	Checks ChecksFunc
	// Live replaces the Deployment live judge; with it, the shared
	// workload-kept rule is left out too, since the fix replaces the workload.
	Live LiveFunc
	// LiveChecks names the checks the Live hook adds (cold-start, ...), so
	// that a fixes/ file may name one in refusedBy.
	LiveChecks []string
	// Preflight returns a warning to print before deploying ("" when fine),
	// e.g. when the node can run the broken image after all.
	Preflight func(nodeArch string) string
}

// LiveCheckNames are the checks the scenario's own live judge adds.
func (s Scenario) LiveCheckNames() []string { return s.hooks.LiveChecks }

// HasLiveHook tells whether the scenario judges its fix live with its own
// hook instead of the shared workload judge.
func (s Scenario) HasLiveHook() bool { return s.hooks.Live != nil || s.Fix.Live != "" }

// Preflight is the scenario's warning for a node of this architecture.
func (s Scenario) Preflight(nodeArch string) string {
	if s.hooks.Preflight == nil {
		return ""
	}
	return s.hooks.Preflight(nodeArch)
}

// Scenario is one incident of the catalogue.
type Scenario struct {
	Meta
	manifests string
	// written are the briefing, hints and explanation as written: templates
	// over Values, which Meta holds rendered (WithValues).
	written texts
	hooks   Hooks
	// draw is the variant's (Variant); the zero Draw for the base incident.
	draw Draw
	// source is the pack's Source for a pack's incident; "" when built in.
	source string
	// folder is the folder's path as its author knows it
	// (scenarios/orders-api-down-after-config), which errors name; "" for
	// a folder LoadWith read, whose caller knows where it is.
	folder string
	// metaDoc is scenario.yaml's node tree, for the line of a field that
	// checks across folders find wrong (an alias another scenario claims).
	metaDoc *yaml.Node
}

// line is the line of the field at path in scenario.yaml, 0 when unknown.
func (s Scenario) line(path string) int { return yamlfile.Line(s.metaDoc, path) }

// file is the path of one of the folder's files, as errors name it.
func (s Scenario) file(name string) string {
	if s.folder == "" {
		return name
	}
	return s.folder + "/" + name
}

// MetaFile is the file of a scenario folder that describes the incident.
const MetaFile = "scenario.yaml"

var idPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Load reads a scenario folder: scenario.yaml, manifests.yaml and
// explanation.md when there is one.
func Load(fsys fs.FS, checks ChecksFunc) (Scenario, error) {
	return LoadWith(fsys, Hooks{Checks: checks})
}

// MustLoadWith is MustLoad with all hooks.
func MustLoadWith(fsys fs.FS, h Hooks) Scenario {
	s, err := LoadWith(fsys, h)
	if err != nil {
		panic(err)
	}
	return s
}

// ExplanationFile is the Markdown file of a scenario folder that explains
// the incident once it is solved or given up.
const ExplanationFile = "explanation.md"

// LoadWith reads a scenario folder with its Go hooks: scenario.yaml,
// manifests.yaml and, when there is one, explanation.md.
func LoadWith(fsys fs.FS, h Hooks) (Scenario, error) {
	return loadFolder(fsys, "", h)
}

// loadFolder is LoadWith for the folder at path folder, which errors name.
// A mistake in scenario.yaml or manifests.yaml is a *yamlfile.Error with the
// file and line.
func loadFolder(fsys fs.FS, folder string, h Hooks) (Scenario, error) {
	s := Scenario{folder: folder}
	raw, err := fs.ReadFile(fsys, MetaFile)
	if err != nil {
		return s, fmt.Errorf("read %s: %w", s.file(MetaFile), err)
	}
	if err := yamlfile.Decode(s.file(MetaFile), raw, &s.Meta); err != nil {
		return s, err
	}
	s.metaDoc, _ = yamlfile.Parse(s.file(MetaFile), raw, 0) // Decode parsed it already
	man, err := fs.ReadFile(fsys, ManifestsFile)
	if err != nil {
		return s, fmt.Errorf("scenario %s: read %s: %w", s.ID, s.file(ManifestsFile), err)
	}
	// The explanation is Markdown in explanation.md; scenario.yaml's
	// explanation is still read, for folders written before, but not both.
	switch md, err := fs.ReadFile(fsys, ExplanationFile); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return s, fmt.Errorf("scenario %s: read %s: %w", s.ID, ExplanationFile, err)
	case s.Explanation != "":
		return s, fmt.Errorf("scenario %s: the explanation is both in %s and in scenario.yaml; keep it in %s only", s.ID, ExplanationFile, ExplanationFile)
	case strings.TrimSpace(string(md)) == "":
		return s, fmt.Errorf("scenario %s: %s is empty", s.ID, ExplanationFile)
	default:
		s.Explanation = string(md)
	}
	s.manifests, s.hooks = string(man), h
	s.written = texts{briefing: s.Briefing, explanation: s.Explanation, hints: slices.Clone(s.Hints)}
	// Rendered once with no values, so that every reader of Meta sees
	// finished text, and a template error is a load error.
	if err := s.renderTexts(Values{}); err != nil {
		return s, err
	}
	return s, s.validate()
}

// texts are a scenario's texts that may name deployed values.
type texts struct {
	briefing, explanation string
	hints                 []string
}

// WithValues returns s with its briefing, hints and explanation rendered
// for what was deployed with v: deployed from a registry, they name the
// registry's image, not the lab's local one.
func (s Scenario) WithValues(v Values) Scenario {
	out := s
	out.Hints = slices.Clone(s.Hints)
	if err := out.renderTexts(v); err != nil {
		// Load rendered them already: only Values' fields and methods are
		// used, so no values make them fail. Keep what s says.
		return s
	}
	return out
}

func (s *Scenario) renderTexts(v Values) error {
	render := func(what, text string) (string, error) {
		if !strings.Contains(text, "{{") {
			return text, nil
		}
		tmpl, err := template.New(s.ID + " " + what).Option("missingkey=error").Parse(text)
		if err != nil {
			return "", fmt.Errorf("scenario %s: %s template: %w", s.ID, what, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, v); err != nil {
			return "", fmt.Errorf("scenario %s: render %s: %w", s.ID, what, err)
		}
		return buf.String(), nil
	}
	var err error
	if s.Briefing, err = render("briefing", s.written.briefing); err != nil {
		return err
	}
	if s.Explanation, err = render("explanation", s.written.explanation); err != nil {
		return err
	}
	hints := make([]string, len(s.written.hints))
	for i, h := range s.written.hints {
		if hints[i], err = render(fmt.Sprintf("hint %d", i+1), h); err != nil {
			return err
		}
	}
	s.Hints = hints
	return nil
}

// MustLoad is Load for the embedded catalogue, where an error is a build bug.
func MustLoad(fsys fs.FS, checks ChecksFunc) Scenario {
	return MustLoadWith(fsys, Hooks{Checks: checks})
}

func (s Scenario) validate() error {
	switch {
	case !idPattern.MatchString(s.ID):
		return fmt.Errorf("scenario id %q must be a DNS label", s.ID)
	case s.Title == "" || s.Briefing == "" || strings.TrimSpace(s.Explanation) == "" || s.Cause == "":
		return fmt.Errorf("scenario %s: title, cause, briefing and explanation are required", s.ID)
	case !slices.Contains(podstate.WorkloadKinds, s.Workload.Kind) || s.Workload.Name == "" || s.Workload.Container == "":
		return fmt.Errorf("scenario %s: workload needs a kind (one of %v), a name and a container", s.ID, podstate.WorkloadKinds)
	case s.Workload.Replicas < 1 && (s.Workload.Kind == podstate.KindDeployment || s.Workload.Kind == podstate.KindStatefulSet):
		return fmt.Errorf("scenario %s: workload.replicas must be at least 1", s.ID)
	case len(s.Hints) < 3:
		return fmt.Errorf("scenario %s: needs at least three hints", s.ID)
	case len(s.Questions) == 0 || len(s.Signature) == 0:
		return fmt.Errorf("scenario %s: needs questions and a failure signature", s.ID)
	}
	for _, a := range s.Aliases {
		if !idPattern.MatchString(a) || a == s.ID {
			return fmt.Errorf("scenario %s: alias %q must be a DNS label other than the id", s.ID, a)
		}
	}
	if len(s.Approaches) == 0 {
		return fmt.Errorf("scenario %s: needs approaches, the accepted fixes the explanation names", s.ID)
	}
	approaches := map[string]bool{}
	for _, a := range s.Approaches {
		if a.ID == "" || a.Text == "" || approaches[a.ID] {
			return fmt.Errorf("scenario %s: approach %q needs a unique id and a text", s.ID, a.ID)
		}
		approaches[a.ID] = true
	}
	for _, r := range s.Rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.ID, err)
		}
	}
	if err := s.validateChecks(approaches); err != nil {
		return err
	}
	if err := replay.ValidatePath(s.Expert); err != nil {
		return fmt.Errorf("scenario %s: expert: %w", s.ID, err)
	}
	for _, q := range s.Questions {
		if err := q.Validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.ID, err)
		}
	}
	for _, e := range append(append([]string{}, s.Signature...), s.Teaches...) {
		if _, err := podstate.Evidence(podstate.Facts{}, "", e); err != nil {
			return fmt.Errorf("scenario %s: signature or teaches: %w", s.ID, err)
		}
	}
	if s.draw.IsBase() {
		if err := s.validateParams(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.ID, err)
		}
	}
	b, err := s.Render(Values{Image: "example/image:v1", ForeignImage: "example/foreign:v1", NodeArch: "amd64"})
	if err != nil {
		return err
	}
	if b.TargetPodSpec() == nil {
		return fmt.Errorf("scenario %s: manifests have no %s %s", s.ID, s.Workload.Kind, s.Workload.Name)
	}
	if b.TargetContainer() == nil {
		return fmt.Errorf("scenario %s: %s %s has no container %s", s.ID, s.Workload.Kind, s.Workload.Name, s.Workload.Container)
	}
	for i, st := range s.Expert {
		if st.Name != "" && !b.names(st.ObjectKind(), st.Name) {
			return fmt.Errorf("scenario %s: expert step %d looks at %s %s, which the manifests do not have", s.ID, i+1, st.ObjectKind(), st.Name)
		}
		if st.Container != "" && !slices.Contains(b.containerNames(), st.Container) {
			return fmt.Errorf("scenario %s: expert step %d looks at container %s, which no pod of the manifests has", s.ID, i+1, st.Container)
		}
	}
	return nil
}

// names tells whether the manifests have an object of kind (singular,
// lowercase) named name; for pods, whose names are drawn, a workload of
// that name counts too.
func (b Baseline) names(kind, name string) bool {
	for _, o := range b.Objects {
		m, err := meta.Accessor(o)
		if err != nil || m.GetName() != name {
			continue
		}
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil || len(gvks) == 0 {
			continue
		}
		k := strings.ToLower(gvks[0].Kind)
		if k == kind || (kind == "pod" || kind == "replicaset") && slices.Contains(ownerKinds, k) {
			return true
		}
	}
	return false
}

// containerNames are the names of every container and init container of
// the manifests' pod specs.
func (b Baseline) containerNames() []string {
	var out []string
	for _, o := range b.Objects {
		var spec *corev1.PodSpec
		switch w := o.(type) {
		case *appsv1.Deployment:
			spec = &w.Spec.Template.Spec
		case *appsv1.StatefulSet:
			spec = &w.Spec.Template.Spec
		case *appsv1.DaemonSet:
			spec = &w.Spec.Template.Spec
		case *appsv1.ReplicaSet:
			spec = &w.Spec.Template.Spec
		case *batchv1.Job:
			spec = &w.Spec.Template.Spec
		case *batchv1.CronJob:
			spec = &w.Spec.JobTemplate.Spec.Template.Spec
		case *corev1.Pod:
			spec = &w.Spec
		default:
			continue
		}
		for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
			out = append(out, c.Name)
		}
	}
	return out
}

// ownerKinds are the kinds whose pods are named after them.
var ownerKinds = []string{"deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob"}

// Render fills the manifests' template and decodes every document.
func (s Scenario) Render(v Values) (Baseline, error) {
	text, err := s.renderText(v)
	if err != nil {
		return Baseline{Values: v}, err
	}
	b, err := decodeBaseline(s.ID, text, v)
	b.Workload, b.Draw = s.Workload, s.draw
	return b, err
}

// renderText fills the manifests' template: the text the attempt record keeps.
func (s Scenario) renderText(v Values) (string, error) {
	// Named by the file, so that a template error says where it is.
	tmpl, err := template.New(s.file(ManifestsFile)).Option("missingkey=error").Parse(s.manifests)
	if err != nil {
		return "", fmt.Errorf("scenario %s: manifests template: %w", s.ID, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("scenario %s: render manifests: %w", s.ID, err)
	}
	return s.canonicalText(buf.String())
}

// decodeBaseline decodes rendered manifests, one object per YAML document.
func decodeBaseline(id, text string, v Values) (Baseline, error) {
	b := Baseline{Values: v}
	decode := scheme.Codecs.UniversalDeserializer().Decode
	for i, doc := range trimDocs(text) {
		obj, _, err := decode([]byte(doc), nil, nil)
		if err != nil {
			return b, fmt.Errorf("scenario %s: manifest document %d: %w", id, i+1, err)
		}
		b.Objects = append(b.Objects, obj)
	}
	return b, nil
}

// Target is the workload the grader watches in namespace ns.
func (s Scenario) Target(ns string) podstate.Target {
	return podstate.Target{Namespace: ns, Kind: s.Workload.Kind, Name: s.Workload.Name, Container: s.Workload.Container}
}

// FixChecks are the shared rules plus the scenario's own.
func (s Scenario) FixChecks(b Baseline) []grader.Check {
	b.Workload, b.Draw = s.Workload, s.draw
	var out []grader.Check
	if !s.HasLiveHook() {
		out = append(out, grader.WorkloadKept(s.Workload.Replicas))
	}
	out = append(out, grader.OnlyOwnedPods())
	if spec := b.TargetPodSpec(); spec != nil {
		out = append(out, grader.BrokenPodsGone(*spec))
	}
	for _, r := range s.Rules {
		out = append(out, r.check(b))
	}
	in := b.checkInputs()
	for _, spec := range s.Checks {
		out = append(out, compiledCheck(spec, s.Workload.Kind, in))
	}
	if s.hooks.Checks != nil {
		out = append(out, s.hooks.Checks(b)...)
	}
	return out
}

// Live is the live judge of a fix: the scenario's own, or the Deployment one.
func (s Scenario) Live(c kubernetes.Interface, ns string, b Baseline, opt grader.LiveOptions) grader.LiveJudge {
	if s.hooks.Live != nil {
		b.Workload, b.Draw = s.Workload, s.draw
		return s.hooks.Live(c, ns, b, opt)
	}
	b.Workload, b.Draw = s.Workload, s.draw
	if s.Fix.Live == LiveJob {
		timeout := opt.ReadyTimeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		base := b.TargetContainer()
		return grader.JobLive(c, ns, func(spec *corev1.PodSpec) bool { return podstate.RunsProgram(base, spec) }, timeout, opt.Progress)
	}
	opt.Replicas = s.Workload.Replicas
	opt.FailsWithin = s.FailsWithin.Duration
	return grader.WorkloadLive(c, s.Target(ns), b.TargetPodSpec(), opt)
}
