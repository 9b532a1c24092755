// Package celcheck runs an incident's fix checks written as data: CEL
// expressions over the live workload, the objects it references, the
// objects as the lab deployed them and the live pods, each case with the
// sentence a learner reads. The language and its libraries (quantities,
// lists, regexes, URLs, strings, optionals) are the ones the API server
// uses for ValidatingAdmissionPolicy, so a trainer who writes admission
// rules already knows how to write these.
//
//	checks:
//	  - name: env-DATABASE_URL
//	    variables:                  # evaluated in order, read as variables.NAME
//	      - name: env
//	        expression: env(container, 'DATABASE_URL')
//	    cases:                      # the first whose `when` holds decides
//	      - when: variables.env == null
//	        fail: DATABASE_URL is no longer set on the container
//	      - when: "!has(variables.env.valueFrom)"
//	        fail: the value is written into the Deployment
//	        messageExpression: "'... %s'.format([variables.env.value])"
//	      - pass: the reference names the key the Secret holds
//	        approach: reference-fixed
//
// The variables are typed with the Kubernetes API types, as the API server
// types an object for an admission policy: container is a core/v1
// Container, workload the incident workload's kind (a Deployment's
// workload.spec has replicas, a CronJob's a schedule), so a misspelt or
// foreign field is an error when the incident is validated, with the type
// that lacks it and the field meant, not a check that fails on the cluster.
//
// A check fails closed: an expression that errors, a message that does not
// evaluate to a string, or no case that holds is a failure, never a pass.
package celcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/crashlab/crashlab/grader"
	"github.com/crashlab/crashlab/podstate"
)

// Spec is one check as scenario.yaml writes it.
type Spec struct {
	// Name is what a verdict and a fixes/ file's refusedBy call the check.
	Name      string     `json:"name"`
	Variables []Variable `json:"variables,omitempty"`
	Cases     []Case     `json:"cases"`
}

// Variable is a named expression, evaluated before the cases in the order
// written; later variables and the cases read it as variables.NAME.
type Variable struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

// Case is one outcome of a check. Exactly one of Fail and Pass is the
// sentence a learner reads; MessageExpression, when set, words it from the
// live state instead (the written sentence stays as the fallback).
type Case struct {
	// When is a CEL expression of type bool; empty holds always (the last
	// case, the "otherwise").
	When              string `json:"when,omitempty"`
	Fail              string `json:"fail,omitempty"`
	Pass              string `json:"pass,omitempty"`
	MessageExpression string `json:"messageExpression,omitempty"`
	// Approach names the accepted fix a passing case recognises.
	Approach string `json:"approach,omitempty"`
}

// Variables every expression may read. The objects are typed with their
// Kubernetes API types (the workload with its kind's), so reading a field
// the type lacks does not compile; their values are JSON-shaped maps as
// kubectl get -o json shows them: absent fields are absent (test them with
// has() or the ?. optional syntax), quantities and times are strings
// (quantity(), timestamp()), an int-or-string (a probe's port) is either.
const (
	// VarContainer is the workload's target container as it is now, a
	// Container (null when the workload or the container is gone).
	VarContainer = "container"
	// VarPod is the workload's pod template spec as it is now, a PodSpec
	// (a bare Pod's own spec).
	VarPod = "pod"
	// VarWorkload is the whole workload object as it is now, typed by the
	// incident's kind: a Deployment, StatefulSet, Job, CronJob or Pod (dyn
	// when a check is compiled without the kind).
	VarWorkload = "workload"
	// VarBase and VarBasePod are the Container and PodSpec as the lab
	// deployed them.
	VarBase    = "base"
	VarBasePod = "basePod"
	// VarSecrets and VarConfigMaps map each live Secret and ConfigMap of
	// the namespace to its keys and values (Secret values decoded; a
	// ConfigMap's data, not its binaryData, as env references read it).
	VarSecrets    = "secrets"
	VarConfigMaps = "configMaps"
	// VarBaseSecrets and VarBaseConfigMaps are the same as deployed.
	VarBaseSecrets    = "baseSecrets"
	VarBaseConfigMaps = "baseConfigMaps"
	// VarPods and VarNodes are every Pod of the namespace and the Nodes.
	VarPods  = "pods"
	VarNodes = "nodes"
	// VarDeployments, VarJobs and VarCronJobs are every such workload of the
	// namespace, each of its type: a fix may replace the incident's
	// workload with another.
	VarDeployments = "deployments"
	VarJobs        = "jobs"
	VarCronJobs    = "cronJobs"
	// VarParams maps each blind-variant param's name to its deployed value.
	VarParams = "params"
	// VarLab holds what the lab deployed with: image (the released workload
	// image for the node's architecture), foreignImage (the same program
	// built for the other architecture), repository (image without its
	// tag) and nodeArch.
	VarLab = "lab"
	// VarTarget names the workload the lab watches: kind, name, container
	// and namespace.
	VarTarget = "target"
	// VarFinal is true on the read after the live checks.
	VarFinal     = "final"
	VarVariables = "variables"
)

// Inputs are what a check knows of the deployment when it is built.
type Inputs struct {
	Base    *corev1.Container
	BasePod *corev1.PodSpec
	// Secrets and ConfigMaps as deployed.
	Secrets    []*corev1.Secret
	ConfigMaps []*corev1.ConfigMap
	Params     map[string]string
	// Lab is VarLab's map.
	Lab map[string]string
}

// ErrInvalid marks a check that cannot run: an expression that does not
// compile, a case without its sentence.
var ErrInvalid = errors.New("invalid check")

// anyKind compiles a check whose workload kind is unknown: workload is dyn.
const anyKind = ""

// envs caches an environment per workload kind: building one takes
// milliseconds, and every check of every incident of a kind shares it.
var envs sync.Map // kind → envResult

type envResult struct {
	env *cel.Env
	err error
}

// labEnv is the environment of every kind before workload is declared: the
// API server's stored expressions environment, the API types the variables
// are declared with, and the lab's variables and functions.
var labEnv = sync.OnceValues(func() (*cel.Env, error) {
	t := declaredTypes()
	k8s := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion(), true).StoredExpressionsEnv()
	// The object types are registered as an admission policy registers its
	// schemas (environment.EnvSet.Extend with DeclTypes does the same, but
	// for its new expressions environment too, which checks never use):
	// the checker then knows each object's fields and their types.
	provider := apiservercel.NewDeclTypeProvider(t.roots...)
	provider.SetRecognizeKeywordAsFieldName(true)
	typeOpts, err := provider.EnvOptions(k8s.CELTypeProvider())
	if err != nil {
		return nil, err
	}
	strMap := cel.MapType(cel.StringType, cel.StringType)
	list := func(d *apiservercel.DeclType) *cel.Type { return cel.ListType(d.CelType()) }
	return k8s.Extend(append(typeOpts,
		cel.Variable(VarContainer, t.container.CelType()),
		cel.Variable(VarPod, t.podSpec.CelType()),
		cel.Variable(VarBase, t.container.CelType()),
		cel.Variable(VarBasePod, t.podSpec.CelType()),
		cel.Variable(VarSecrets, cel.MapType(cel.StringType, strMap)),
		cel.Variable(VarConfigMaps, cel.MapType(cel.StringType, strMap)),
		cel.Variable(VarBaseSecrets, cel.MapType(cel.StringType, strMap)),
		cel.Variable(VarBaseConfigMaps, cel.MapType(cel.StringType, strMap)),
		cel.Variable(VarPods, list(t.pod)),
		cel.Variable(VarNodes, list(t.node)),
		cel.Variable(VarDeployments, list(t.deployment)),
		cel.Variable(VarJobs, list(t.job)),
		cel.Variable(VarCronJobs, list(t.cronJob)),
		cel.Variable(VarParams, strMap),
		cel.Variable(VarLab, strMap),
		cel.Variable(VarTarget, strMap),
		cel.Variable(VarFinal, cel.BoolType),
		cel.Variable(VarVariables, cel.MapType(cel.StringType, cel.DynType)),
		labFunctions(),
	)...)
})

// envFor is the CEL environment of checks on a workload of that kind (one
// of podstate.WorkloadKinds): the API server's stored expressions
// environment plus the lab's variables, typed with the Kubernetes API types
// (workload with the kind's), and functions.
func envFor(kind string) (*cel.Env, error) {
	if r, ok := envs.Load(kind); ok {
		return r.(envResult).env, r.(envResult).err
	}
	env, err := newEnv(kind)
	r, _ := envs.LoadOrStore(kind, envResult{env, err})
	return r.(envResult).env, r.(envResult).err
}

func newEnv(kind string) (*cel.Env, error) {
	workload := cel.DynType
	if kind != anyKind {
		d, ok := declaredTypes().workloads[kind]
		if !ok {
			return nil, fmt.Errorf("%w: workload kind %q: the kinds are %v", ErrInvalid, kind, podstate.WorkloadKinds)
		}
		workload = d.CelType()
	}
	base, err := labEnv()
	if err != nil {
		return nil, err
	}
	return base.Extend(cel.Variable(VarWorkload, workload))
}

// costLimit bounds one evaluation, as the API server bounds a policy's: a
// check written as data must not hang the grader.
const costLimit = 10_000_000

// Check is a compiled Spec.
type Check struct {
	spec  Spec
	vars  []cel.Program
	when  []cel.Program // nil entry: always
	msg   []cel.Program // nil entry: the written sentence
	names []string
}

// compiled caches CompileFor's results by the kind and the spec's text:
// compiling in the API server's environment (with its cost estimation)
// takes milliseconds per expression, and the catalogue is loaded by every
// command and every reconcile, while a check is read-only once compiled.
var compiled sync.Map // compileKey → compileResult

type compileKey struct{ kind, spec string }

type compileResult struct {
	check *Check
	err   error
}

// Compile is CompileFor with the workload's kind unknown: workload is dyn.
// A caller that knows the kind passes it to CompileFor.
func Compile(s Spec) (*Check, error) { return CompileFor(s, anyKind) }

// CompileFor type-checks every expression of s against the variables of a
// workload of that kind: a field the Kubernetes API type lacks is an error,
// `when` must be bool and a messageExpression a string. The error names the
// check, the case or variable and the expression's own message. The same
// spec compiles once per kind.
func CompileFor(s Spec, kind string) (*Check, error) {
	text, err := json.Marshal(s)
	if err != nil {
		return compile(s, kind)
	}
	key := compileKey{kind, string(text)}
	if r, ok := compiled.Load(key); ok {
		return r.(compileResult).check, r.(compileResult).err
	}
	c, err := compile(s, kind)
	compiled.Store(key, compileResult{c, err})
	return c, err
}

func compile(s Spec, kind string) (*Check, error) {
	env, err := envFor(kind)
	if err != nil {
		return nil, fmt.Errorf("the CEL environment: %w", err)
	}
	if s.Name == "" {
		return nil, fmt.Errorf("%w: a check needs a name", ErrInvalid)
	}
	if len(s.Cases) == 0 {
		return nil, fmt.Errorf("%w: check %s needs cases", ErrInvalid, s.Name)
	}
	c := &Check{spec: s}
	compile := func(where, path, expr string, want *cel.Type) (cel.Program, error) {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			return nil, &CompileError{Check: s.Name, Where: where, Path: path, Message: issuesLine(iss) + fieldHints(env, kind, expr, iss)}
		}
		if want != nil && !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.DynType) {
			return nil, &CompileError{Check: s.Name, Where: where, Path: path, Message: fmt.Sprintf("the expression is %s, not %s", ast.OutputType(), want)}
		}
		return env.Program(ast, cel.CostLimit(costLimit), cel.EvalOptions(cel.OptOptimize))
	}
	seen := map[string]bool{}
	for i, v := range s.Variables {
		where := fmt.Sprintf("variable %d", i+1)
		if v.Name == "" || v.Expression == "" || seen[v.Name] {
			return nil, fmt.Errorf("%w: check %s, %s needs a unique name and an expression", ErrInvalid, s.Name, where)
		}
		seen[v.Name] = true
		p, err := compile("variable "+v.Name, fmt.Sprintf("variables[%d].expression", i), v.Expression, nil)
		if err != nil {
			return nil, err
		}
		c.vars, c.names = append(c.vars, p), append(c.names, v.Name)
	}
	for i, k := range s.Cases {
		where := fmt.Sprintf("case %d", i+1)
		switch {
		case (k.Fail == "") == (k.Pass == ""):
			return nil, fmt.Errorf("%w: check %s, %s needs exactly one of fail and pass, the sentence a learner reads", ErrInvalid, s.Name, where)
		case k.Approach != "" && k.Pass == "":
			return nil, fmt.Errorf("%w: check %s, %s names an approach but does not pass", ErrInvalid, s.Name, where)
		case k.When == "" && i != len(s.Cases)-1:
			return nil, fmt.Errorf("%w: check %s, %s has no when, so the cases after it never run; make it the last", ErrInvalid, s.Name, where)
		}
		var w, m cel.Program
		if k.When != "" {
			if w, err = compile(where+" when", fmt.Sprintf("cases[%d].when", i), k.When, cel.BoolType); err != nil {
				return nil, err
			}
		}
		if k.MessageExpression != "" {
			if m, err = compile(where+" messageExpression", fmt.Sprintf("cases[%d].messageExpression", i), k.MessageExpression, cel.StringType); err != nil {
				return nil, err
			}
		}
		c.when, c.msg = append(c.when, w), append(c.msg, m)
	}
	return c, nil
}

// CompileError is an expression of a check that does not compile or has
// the wrong type, in one line, with where it is in the check.
type CompileError struct {
	Check string
	// Where names the variable or the case for a reader ("variable env",
	// "case 2 when").
	Where string
	// Path is the expression's field within the check as scenario.yaml
	// writes it ("variables[0].expression", "cases[1].when"), for its line.
	Path    string
	Message string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%v: check %s, %s: %s", ErrInvalid, e.Check, e.Where, e.Message)
}

// Unwrap makes a CompileError an ErrInvalid.
func (e *CompileError) Unwrap() error { return ErrInvalid }

// issuesLine is cel-go's errors on one line, each with its column: an
// author's tools print one line per problem.
func issuesLine(iss *cel.Issues) string {
	var parts []string
	for _, e := range iss.Errors() {
		parts = append(parts, fmt.Sprintf("%s (column %d)", e.Message, e.Location.Column()+1))
	}
	return strings.Join(parts, "; ")
}

// Approaches are the approaches the check's passing cases name.
func (s Spec) Approaches() []string {
	var out []string
	for _, k := range s.Cases {
		if k.Approach != "" {
			out = append(out, k.Approach)
		}
	}
	return out
}

// Texts are the check's sentences and expressions: what a blind variant
// renames, and what a scan for words that name the cause reads.
func (s Spec) Texts() []string {
	var out []string
	for _, v := range s.Variables {
		out = append(out, v.Expression)
	}
	for _, k := range s.Cases {
		out = append(out, k.When, k.Fail, k.Pass, k.MessageExpression)
	}
	return out
}

// Map returns s with every expression and sentence passed through r (a
// blind variant's renaming).
func (s Spec) Map(r func(string) string) Spec {
	out := Spec{Name: s.Name}
	for _, v := range s.Variables {
		out.Variables = append(out.Variables, Variable{Name: v.Name, Expression: r(v.Expression)})
	}
	for _, k := range s.Cases {
		k.When, k.Fail, k.Pass, k.MessageExpression = r(k.When), r(k.Fail), r(k.Pass), r(k.MessageExpression)
		out.Cases = append(out.Cases, k)
	}
	return out
}

// Grader is the grader check of c against what was deployed.
func (c *Check) Grader(in Inputs) grader.Check {
	fixed := map[string]any{
		VarBase:           toJSON(in.Base),
		VarBasePod:        toJSON(in.BasePod),
		VarBaseSecrets:    secretData(in.Secrets),
		VarBaseConfigMaps: configMapData(in.ConfigMaps),
		VarParams:         orEmpty(in.Params),
		VarLab:            orEmpty(in.Lab),
	}
	return grader.Check{Name: c.spec.Name, Run: func(s *podstate.State) grader.Result {
		return c.run(activation(fixed, s))
	}}
}

func (c *Check) run(act map[string]any) grader.Result {
	vars := map[string]any{}
	act[VarVariables] = vars
	for i, p := range c.vars {
		v, _, err := p.Eval(act)
		if err != nil {
			return c.broken("variable "+c.names[i], err)
		}
		vars[c.names[i]] = v
	}
	for i, k := range c.spec.Cases {
		if w := c.when[i]; w != nil {
			v, _, err := w.Eval(act)
			if err != nil {
				return c.broken(fmt.Sprintf("case %d", i+1), err)
			}
			b, ok := v.(types.Bool)
			if !ok {
				return c.broken(fmt.Sprintf("case %d", i+1), fmt.Errorf("when is %s, not bool", v.Type().TypeName()))
			}
			if !b {
				continue
			}
		}
		msg := k.Fail + k.Pass
		if m := c.msg[i]; m != nil {
			if v, _, err := m.Eval(act); err == nil {
				if s, ok := v.(types.String); ok {
					msg = string(s)
				}
			}
		}
		if k.Pass != "" {
			return grader.Result{Passed: true, Message: msg, Approach: k.Approach}
		}
		return grader.Result{Message: msg}
	}
	return grader.Fail("no case of check %s holds for what the cluster shows, so the lab cannot call it fixed", c.spec.Name)
}

// broken is the failure of a check whose expression could not be evaluated
// on this state: never a pass.
func (c *Check) broken(where string, err error) grader.Result {
	return grader.Fail("the lab could not judge check %s (%s: %v), so it does not call it fixed", c.spec.Name, where, err)
}

// activation is what the expressions read of a live state. The objects are
// converted only when an expression reads them.
func activation(fixed map[string]any, s *podstate.State) map[string]any {
	act := maps.Clone(fixed)
	if s == nil {
		s = &podstate.State{} // nothing read: no workload, empty lists
	}
	w := s.TargetWorkload()
	act[VarFinal] = s.Final
	act[VarTarget] = map[string]string{"kind": s.Target.Kind, "name": s.Target.Name, "container": s.Target.Container, "namespace": s.Target.Namespace}
	act[VarWorkload] = lazy(func() any {
		if w == nil {
			return nil
		}
		o, ok := w.Object.(runtime.Object)
		if !ok {
			return nil
		}
		return toJSON(o)
	})
	act[VarPod] = lazy(func() any {
		if w == nil {
			return nil
		}
		return toJSON(w.Template)
	})
	act[VarContainer] = lazy(func() any { return toJSON(s.Container()) })
	act[VarSecrets] = lazy(func() any { return secretData(mapsValues(s.Secrets)) })
	act[VarConfigMaps] = lazy(func() any { return configMapData(mapsValues(s.ConfigMaps)) })
	act[VarPods] = lazy(func() any { return jsonList(s.Pods) })
	act[VarNodes] = lazy(func() any { return jsonList(s.Nodes) })
	act[VarDeployments] = lazy(func() any { return jsonList(s.Deployments) })
	act[VarJobs] = lazy(func() any { return jsonList(s.Jobs) })
	act[VarCronJobs] = lazy(func() any { return jsonList(s.CronJobs) })
	return act
}

// jsonList is each object of items as kubectl get -o json shows it.
func jsonList[T any](items []T) []any {
	out := make([]any, 0, len(items))
	for i := range items {
		out = append(out, toJSON(&items[i]))
	}
	return out
}

// lazy converts an object once, when an expression first reads it.
func lazy(f func() any) func() any { return sync.OnceValue(f) }

func mapsValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// toJSON is o as kubectl get -o json shows it; nil for a nil object.
func toJSON(o any) any {
	if o == nil || reflect.ValueOf(o).IsNil() {
		return nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil
	}
	return m
}

// secretData maps each Secret to its keys, the values decoded, as the
// kubelet hands them to a container (data wins over stringData, which the
// API server folds into data on write).
func secretData(list []*corev1.Secret) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range list {
		if s == nil {
			continue
		}
		kv := map[string]string{}
		for k, v := range s.StringData {
			kv[k] = v
		}
		for k, v := range s.Data {
			kv[k] = string(v)
		}
		out[s.Name] = kv
	}
	return out
}

func configMapData(list []*corev1.ConfigMap) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range list {
		if c == nil {
			continue
		}
		// data only: the kubelet resolves env references (configMapKeyRef,
		// envFrom) from data and never from binaryData.
		kv := map[string]string{}
		for k, v := range c.Data {
			kv[k] = v
		}
		out[c.Name] = kv
	}
	return out
}

// labFunctions are the few functions the Kubernetes libraries lack for
// judging a workload as the kubelet runs it.
func labFunctions() cel.EnvOption {
	return cel.Lib(labLib{})
}

type labLib struct{}

func (labLib) ProgramOptions() []cel.ProgramOption { return nil }

func (labLib) CompileOptions() []cel.EnvOption {
	return []cel.EnvOption{
		// env(container, name): the container's env entry of that name as the
		// kubelet resolves it (of duplicates the last wins), or null.
		cel.Function("env", cel.Overload("env_dyn_string", []*cel.Type{cel.DynType, cel.StringType}, cel.DynType,
			cel.BinaryBinding(func(c, name ref.Val) ref.Val {
				list, err := listField(c, "env")
				if err != nil {
					return types.NewErr("env: %v", err)
				}
				for i := len(list) - 1; i >= 0; i-- {
					if m, ok := list[i].(map[string]any); ok && m["name"] == string(name.(types.String)) {
						return types.DefaultTypeAdapter.NativeToValue(m)
					}
				}
				return types.NullValue
			}))),
		// flag(args, name): the value of --name=V or --name V in a command
		// line, "" when the flag is absent.
		cel.Function("flag", cel.Overload("flag_list_string", []*cel.Type{cel.ListType(cel.DynType), cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(args, name ref.Val) ref.Val {
				v, _ := flagValue(stringList(args), string(name.(types.String)))
				return types.String(v)
			}))),
		// hasFlag(args, name): whether the command line sets --name at all.
		cel.Function("hasFlag", cel.Overload("hasflag_list_string", []*cel.Type{cel.ListType(cel.DynType), cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(args, name ref.Val) ref.Val {
				_, ok := flagValue(stringList(args), string(name.(types.String)))
				return types.Bool(ok)
			}))),
		// runsProgram(podSpec, container): whether any container of the pod
		// spec runs container's program: the same image, command and args.
		cel.Function("runsProgram", cel.Overload("runsprogram_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.BoolType,
			cel.BinaryBinding(func(spec, c ref.Val) ref.Val {
				var ps corev1.PodSpec
				var ct corev1.Container
				if err := fromJSON(spec, &ps); err != nil {
					return types.NewErr("runsProgram: the pod spec: %v", err)
				}
				if err := fromJSON(c, &ct); err != nil {
					return types.NewErr("runsProgram: the container: %v", err)
				}
				return types.Bool(podstate.RunsProgram(&ct, &ps))
			}))),
		// sameProbe(a, b): whether two probes (or nulls) are the same probe
		// as the kubelet runs them, unset fields read as the API server's
		// defaults.
		cel.Function("sameProbe", cel.Overload("sameprobe_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.BoolType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				pa, err := probeOrNil(a)
				if err != nil {
					return types.NewErr("sameProbe: %v", err)
				}
				pb, err := probeOrNil(b)
				if err != nil {
					return types.NewErr("sameProbe: %v", err)
				}
				return types.Bool(grader.SameProbe(pa, pb))
			}))),
		// containerPort(container, port): a probe's port (a number or the
		// name of one of the container's ports) as a number; 0 when a name
		// resolves to nothing.
		cel.Function("containerPort", cel.Overload("containerport_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.IntType,
			cel.BinaryBinding(func(c, port ref.Val) ref.Val {
				var ct corev1.Container
				if err := fromJSON(c, &ct); err != nil {
					return types.NewErr("containerPort: the container: %v", err)
				}
				var p intstr.IntOrString
				switch v := port.Value().(type) {
				case int64:
					p = intstr.FromInt32(int32(v))
				case string:
					p = intstr.FromString(v)
				default:
					return types.NewErr("containerPort: %v is not a port", port)
				}
				return types.Int(grader.ResolvePort(p, &ct))
			}))),
		// probeBudget(probe): how long after the container starts the probe
		// keeps failing without giving up (initial delay plus failureThreshold
		// periods), with the API server's defaults for unset fields.
		cel.Function("probeBudget", cel.Overload("probebudget_dyn", []*cel.Type{cel.DynType}, cel.DurationType,
			cel.UnaryBinding(func(p ref.Val) ref.Val {
				t, err := probeTimesOf(p)
				if err != nil {
					return types.NewErr("probeBudget: %v", err)
				}
				return types.Duration{Duration: t.delay + time.Duration(t.threshold)*t.period}
			}))),
		// probeHangDetection(probe, start): how long at worst a hang right
		// after a start that took `start` goes unnoticed: the initial delay
		// still left, then failureThreshold probes, each a period or, if the
		// app does not answer, the timeout.
		cel.Function("probeHangDetection", cel.Overload("probehang_dyn_duration", []*cel.Type{cel.DynType, cel.DurationType}, cel.DurationType,
			cel.BinaryBinding(func(p, start ref.Val) ref.Val {
				t, err := probeTimesOf(p)
				if err != nil {
					return types.NewErr("probeHangDetection: %v", err)
				}
				idle := max(t.delay-start.(types.Duration).Duration, 0)
				return types.Duration{Duration: idle + time.Duration(t.threshold)*max(t.period, t.timeout)}
			}))),
	}
}

func probeOrNil(v ref.Val) (*corev1.Probe, error) {
	if v == nil || v == types.NullValue {
		return nil, nil
	}
	var p corev1.Probe
	if err := fromJSON(v, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// fromJSON reads a JSON-shaped CEL value into a Kubernetes type.
func fromJSON(v ref.Val, into any) error {
	if v == nil || v == types.NullValue {
		return fmt.Errorf("null")
	}
	m, err := v.ConvertToNative(reflect.TypeOf(map[string]any{}))
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(m.(map[string]any), into)
}

func listField(v ref.Val, field string) ([]any, error) {
	if v == nil || v == types.NullValue {
		return nil, nil
	}
	m, err := v.ConvertToNative(reflect.TypeOf(map[string]any{}))
	if err != nil {
		return nil, fmt.Errorf("not an object: %v", err)
	}
	list, _ := m.(map[string]any)[field].([]any)
	return list, nil
}

func stringList(v ref.Val) []string {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil
	}
	var out []string
	it := l.Iterator()
	for it.HasNext() == types.True {
		if s, ok := it.Next().(types.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

// flagValue reads --name=V, -name=V or --name V from a command line.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if n != name {
			continue
		}
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			val = args[i+1]
		}
		return val, true
	}
	return "", false
}

type probeTimes struct {
	delay, period, timeout time.Duration
	threshold              int64
}

// probeTimesOf reads a probe's timings with the API server's defaults
// (period 10s, timeout 1s, failureThreshold 3).
func probeTimesOf(p ref.Val) (probeTimes, error) {
	t := probeTimes{period: 10 * time.Second, timeout: time.Second, threshold: 3}
	if p == nil || p == types.NullValue {
		return t, fmt.Errorf("no probe")
	}
	n, err := p.ConvertToNative(reflect.TypeOf(map[string]any{}))
	if err != nil {
		return t, fmt.Errorf("not a probe: %v", err)
	}
	m := n.(map[string]any)
	num := func(k string) (int64, bool) {
		switch v := m[k].(type) {
		case int64:
			return v, v > 0
		case int:
			return int64(v), v > 0
		case float64:
			return int64(v), v > 0
		}
		return 0, false
	}
	if v, ok := num("initialDelaySeconds"); ok {
		t.delay = time.Duration(v) * time.Second
	}
	if v, ok := num("periodSeconds"); ok {
		t.period = time.Duration(v) * time.Second
	}
	if v, ok := num("timeoutSeconds"); ok {
		t.timeout = time.Duration(v) * time.Second
	}
	if v, ok := num("failureThreshold"); ok {
		t.threshold = v
	}
	return t, nil
}
