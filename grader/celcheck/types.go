package celcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/parser"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiservercel "k8s.io/apiserver/pkg/cel"

	"github.com/crashlab/crashlab/podstate"
)

// The variables are typed with the Kubernetes API's own types, declared to
// CEL the way the API server declares an object's OpenAPI schema for
// ValidatingAdmissionPolicy: a misspelt field is then a compile error an
// author meets at validate time, not a check that fails on every cluster.
// The runtime values stay the JSON maps kubectl shows; a declared object
// type only tells the checker which fields exist and what they hold.

// workloadTypes are the Go types of the workload kinds the lab watches.
var workloadTypes = map[string]reflect.Type{
	podstate.KindDeployment:  reflect.TypeFor[appsv1.Deployment](),
	podstate.KindStatefulSet: reflect.TypeFor[appsv1.StatefulSet](),
	podstate.KindJob:         reflect.TypeFor[batchv1.Job](),
	podstate.KindCronJob:     reflect.TypeFor[batchv1.CronJob](),
	podstate.KindPod:         reflect.TypeFor[corev1.Pod](),
}

// apiTypes are the declared types of the variables' objects.
type apiTypes struct {
	container, podSpec, pod, node, deployment, job, cronJob *apiservercel.DeclType
	// workloads holds the declared type of each of workloadTypes.
	workloads map[string]*apiservercel.DeclType
	// roots are every type above, for the type provider.
	roots []*apiservercel.DeclType
	// byName finds an object type by its CEL name, to word a compile error.
	byName map[string]*apiservercel.DeclType
}

// declaredTypes builds the declared types once: every environment
// declares the same types, and a compile error's hint finds them by name.
var declaredTypes = sync.OnceValue(func() *apiTypes {
	b := &declBuilder{built: map[reflect.Type]*apiservercel.DeclType{}, building: map[reflect.Type]bool{},
		names: map[string]reflect.Type{}}
	t := &apiTypes{
		container:  b.declType(reflect.TypeFor[corev1.Container]()),
		podSpec:    b.declType(reflect.TypeFor[corev1.PodSpec]()),
		pod:        b.declType(reflect.TypeFor[corev1.Pod]()),
		node:       b.declType(reflect.TypeFor[corev1.Node]()),
		deployment: b.declType(reflect.TypeFor[appsv1.Deployment]()),
		job:        b.declType(reflect.TypeFor[batchv1.Job]()),
		cronJob:    b.declType(reflect.TypeFor[batchv1.CronJob]()),
		workloads:  map[string]*apiservercel.DeclType{},
		byName:     map[string]*apiservercel.DeclType{},
	}
	t.roots = []*apiservercel.DeclType{t.container, t.podSpec, t.pod, t.node, t.deployment, t.job, t.cronJob}
	for kind, rt := range workloadTypes {
		t.workloads[kind] = b.declType(rt)
		t.roots = append(t.roots, t.workloads[kind])
	}
	for _, d := range b.built {
		if d.IsObject() {
			t.byName[d.TypeName()] = d
		}
	}
	return t
})

// declBuilder turns Go API types into declared CEL types by their json
// tags, as the API server's CEL sees the objects through their OpenAPI
// schemas.
type declBuilder struct {
	built map[reflect.Type]*apiservercel.DeclType
	// building marks the structs on the way down: a type that holds itself
	// (JSONSchemaProps) is dyn where it recurs.
	building map[reflect.Type]bool
	// names keeps the object type names unique.
	names map[string]reflect.Type
}

// openAPIType is how an API type with its own JSON form (a quantity, a
// time, an int-or-string) states its OpenAPI schema.
type openAPIType interface{ OpenAPISchemaType() []string }
type openAPIFormat interface{ OpenAPISchemaFormat() string }

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	unlimited     = int64(math.MaxInt64)
)

func (b *declBuilder) declType(t reflect.Type) *apiservercel.DeclType {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if d, ok := b.built[t]; ok {
		return d
	}
	if b.building[t] {
		return apiservercel.DynType
	}
	if d, ok := ownJSONType(t); ok {
		return d
	}
	switch t.Kind() {
	case reflect.String:
		return apiservercel.StringType
	case reflect.Bool:
		return apiservercel.BoolType
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// The unstructured converter writes every integer as int64.
		return apiservercel.IntType
	case reflect.Float32, reflect.Float64:
		return apiservercel.DoubleType
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return apiservercel.StringType // []byte is base64 text in JSON
		}
		return apiservercel.NewListType(b.declType(t.Elem()), unlimited)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return apiservercel.DynType
		}
		return apiservercel.NewMapType(apiservercel.StringType, b.declType(t.Elem()), unlimited)
	case reflect.Struct:
		b.building[t] = true
		fields := map[string]*apiservercel.DeclField{}
		b.addFields(t, fields)
		delete(b.building, t)
		name := typeName(t)
		if other, taken := b.names[name]; taken && other != t {
			name = fmt.Sprintf("%s_%d", name, len(b.names))
		}
		b.names[name] = t
		d := apiservercel.NewObjectType(name, fields)
		b.built[t] = d
		return d
	}
	return apiservercel.DynType // interfaces, funcs: whatever the JSON holds
}

// addFields declares t's JSON fields, those of inlined structs included.
func (b *declBuilder) addFields(t reflect.Type, fields map[string]*apiservercel.DeclField) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && (opts == "inline" || tag == "") {
				b.addFields(ft, fields)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = apiservercel.NewDeclField(name, b.declType(f.Type), false, nil, nil)
	}
}

// ownJSONType is the declared type of an API type with its own JSON form,
// read from the OpenAPI schema it states: a quantity, a time or a duration
// is a string (checks read quantities with quantity()), an int-or-string
// and anything else that writes its own JSON is dyn.
func ownJSONType(t reflect.Type) (*apiservercel.DeclType, bool) {
	v := reflect.New(t).Interface()
	if s, ok := v.(openAPIType); ok {
		if f, ok := v.(openAPIFormat); ok && f.OpenAPISchemaFormat() == "int-or-string" {
			return apiservercel.DynType, true
		}
		switch types := s.OpenAPISchemaType(); {
		case len(types) != 1:
			return apiservercel.DynType, true
		case types[0] == "string":
			return apiservercel.StringType, true
		case types[0] == "integer":
			return apiservercel.IntType, true
		case types[0] == "boolean":
			return apiservercel.BoolType, true
		case types[0] == "number":
			return apiservercel.DoubleType, true
		}
		return apiservercel.DynType, true
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		return apiservercel.DynType, true // a RawExtension, FieldsV1: any JSON
	}
	return nil, false
}

// typeName is t's CEL name as the API's OpenAPI definitions name it: the
// Go package path with the domain reversed, then the type
// (io.k8s.api.core.v1.Container).
func typeName(t reflect.Type) string {
	parts := strings.Split(t.PkgPath(), "/")
	if len(parts) > 0 && strings.Contains(parts[0], ".") {
		domain := strings.Split(parts[0], ".")
		for i, j := 0, len(domain)-1; i < j; i, j = i+1, j-1 {
			domain[i], domain[j] = domain[j], domain[i]
		}
		parts = append(domain, parts[1:]...)
	}
	parts = append(parts, t.Name())
	for i, p := range parts {
		parts[i] = strings.Map(func(r rune) rune {
			if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '_'
		}, p)
	}
	return strings.Join(parts, ".")
}

// shortName is the Go name of a declared type, as an author reads it in
// the API reference.
func shortName(celName string) string {
	return celName[strings.LastIndex(celName, ".")+1:]
}

// fieldNames are an object type's fields, sorted.
func fieldNames(d *apiservercel.DeclType) []string {
	out := make([]string, 0, len(d.Fields))
	for n := range d.Fields {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// objectTypeOf is the declared object type of a checked expression's type
// (or of the value of an optional one), if it has one.
func objectTypeOf(t *cel.Type) (*apiservercel.DeclType, bool) {
	if t == nil {
		return nil, false
	}
	if t.TypeName() == "optional_type" && len(t.Parameters()) == 1 {
		t = t.Parameters()[0]
	}
	d, ok := declaredTypes().byName[t.TypeName()]
	return d, ok
}

// undefinedField is the checker's message for a field a type lacks.
var undefinedField = regexp.MustCompile(`undefined field '([^']*)'`)

// fieldHints words each unknown field of a failed compile for an author:
// which API type the expression reads there, and the field it likely meant
// or the fields it has. Empty when no error is about a field, or the
// operand cannot be typed on its own (a comprehension's variable).
func fieldHints(env *cel.Env, kind, expr string, iss *cel.Issues) string {
	var parsed *cel.Ast
	var hints []string
	for _, e := range iss.Errors() {
		m := undefinedField.FindStringSubmatch(e.Message)
		if m == nil {
			continue
		}
		if parsed == nil {
			var piss *cel.Issues
			if parsed, piss = env.Parse(expr); piss.Err() != nil {
				return ""
			}
		}
		if h, ok := typedFieldHint(env, kind, parsed, e.ExprID, m[1]); ok {
			hints = append(hints, h)
		} else if near := nearest(m[1], allFieldNames()); near != "" {
			hints = append(hints, fmt.Sprintf("no field %q there: did you mean %q?", m[1], near))
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return ": " + strings.Join(hints, "; ")
}

// typedFieldHint is fieldHint for the selection of that id, when its operand
// type-checks on its own (not when it reads a comprehension's variable).
func typedFieldHint(env *cel.Env, kind string, parsed *cel.Ast, id int64, field string) (string, bool) {
	operand, ok := selectOperand(parsed, id)
	if !ok {
		return "", false
	}
	text, err := parser.Unparse(operand, parsed.NativeRep().SourceInfo())
	if err != nil {
		return "", false
	}
	checked, iss := env.Compile(text)
	if iss.Err() != nil {
		return "", false
	}
	d, ok := objectTypeOf(checked.OutputType())
	if !ok {
		return "", false
	}
	return fieldHint(text, d, field, kind), true
}

// allFieldNames are the fields of every declared object type, for a typo
// whose object's type the hint cannot tell.
var allFieldNames = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	for _, d := range declaredTypes().byName {
		for n := range d.Fields {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
})

// selectOperand is the object a field selection (a.f or a.?f) with that id
// reads the field of.
func selectOperand(parsed *cel.Ast, id int64) (ast.Expr, bool) {
	found := ast.MatchDescendants(ast.NavigateAST(parsed.NativeRep()), func(e ast.NavigableExpr) bool { return e.ID() == id })
	if len(found) != 1 {
		return nil, false
	}
	switch e := found[0]; e.Kind() {
	case ast.SelectKind:
		return e.AsSelect().Operand(), true
	case ast.CallKind:
		if c := e.AsCall(); c.FunctionName() == operators.OptSelect && len(c.Args()) == 2 {
			return c.Args()[0], true
		}
	}
	return nil, false
}

// fieldHint: `workload.spec is of type DeploymentSpec (the workload is a
// Deployment), which has no field "schedule"; its fields: ...`, or the
// field of that name but for a typo.
func fieldHint(operand string, d *apiservercel.DeclType, field, kind string) string {
	what := fmt.Sprintf("%s is of type %s", operand, shortName(d.TypeName()))
	if root, _, _ := strings.Cut(operand, "."); root == VarWorkload && kind != anyKind {
		what += fmt.Sprintf(" (the workload is a %s)", kind)
	}
	names := fieldNames(d)
	if near := nearest(field, names); near != "" {
		return fmt.Sprintf("%s, which has no field %q: did you mean %q?", what, field, near)
	}
	return fmt.Sprintf("%s, which has no field %q; its fields: %s", what, field, strings.Join(names, ", "))
}

// nearest is the name a typo most likely meant: the same but for case, or
// at most two edits away (one for a short name); "" when none is that near.
func nearest(typo string, names []string) string {
	best, bestDist := "", 3
	if len(typo) <= 4 {
		bestDist = 2
	}
	for _, n := range names {
		if strings.EqualFold(n, typo) {
			return n
		}
		if d := editDistance(strings.ToLower(typo), strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the edit distance between a and b, a swap of two
// neighbours counting as one edit (paht for path).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
