package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Ops of a Change.
const (
	// OpSet: the write sets the path to Value.
	OpSet = "set"
	// OpRemove: the write removes the path (a null in a merge patch, a
	// $patch: delete list element, a JSON patch remove).
	OpRemove = "remove"
	// OpWhole: the write sends the whole object (create, update); Path is
	// one of its top-level fields, compared with nothing.
	OpWhole = "whole"
)

// Change is one thing a write changed.
type Change struct {
	// Path is the field, in the form spec.template.spec.containers[app].env[DATABASE_URL].valueFrom.secretKeyRef.key:
	// list elements by their merge key (name, containerPort, mountPath)
	// or index, keys that are not plain names in brackets and quotes.
	Path string `json:"path"`
	Op   string `json:"op"`
	// Value is the value set, shortened; always "" for a Secret, whose
	// values the replay never shows.
	Value string `json:"value,omitempty"`
	// Hidden tells that a value was set but is not shown (a Secret's).
	Hidden bool `json:"hidden,omitempty"`
}

// maxValue bounds a Change's Value.
const maxValue = 80

// changesOf is what a write changed, from its logged body; nil when the
// audit log has no body (level Metadata: Secrets and ConfigMaps).
func changesOf(r Request) []Change {
	body := bytes.TrimSpace(r.object)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return nil
	}
	secret := r.Resource == "secrets"
	var cs []Change
	switch r.Verb {
	case "patch":
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil
		}
		if ops, ok := v.([]any); ok {
			cs = jsonPatchChanges(ops)
		} else {
			walk("", v, &cs)
		}
	case "create", "update":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil
		}
		cs = wholeChanges(m, secret)
	default:
		return nil
	}
	if secret {
		for i := range cs {
			if cs[i].Value != "" {
				cs[i].Value, cs[i].Hidden = "", true
			}
		}
	}
	return cs
}

// wholeChanges are the top-level fields a create or update carries; for a
// Secret or ConfigMap the keys of its data.
func wholeChanges(m map[string]any, secret bool) []Change {
	var cs []Change
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
			continue
		case "data", "stringData", "binaryData":
			if d, ok := m[k].(map[string]any); ok {
				for _, key := range sortedKeys(d) {
					c := Change{Path: k + field(key), Op: OpWhole}
					if secret {
						c.Hidden = true
					} else {
						c.Value = short(d[key])
					}
					cs = append(cs, c)
				}
				continue
			}
		}
		cs = append(cs, Change{Path: k, Op: OpWhole})
	}
	return cs
}

// lastApplied is the annotation client-side apply keeps the whole applied
// object in: its value is not a change worth showing.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// walk lists the leaves a strategic merge or JSON merge patch sets.
func walk(path string, v any, cs *[]Change) {
	switch x := v.(type) {
	case map[string]any:
		if p, ok := x["$patch"].(string); ok && p == "delete" {
			*cs = append(*cs, Change{Path: path, Op: OpRemove})
			return
		}
		if len(x) == 0 {
			*cs = append(*cs, Change{Path: path, Op: OpSet, Value: "{}"})
			return
		}
		for _, k := range sortedKeys(x) {
			switch {
			case strings.HasPrefix(k, "$setElementOrder/"), k == "$retainKeys", k == "$patch":
				continue
			case strings.HasPrefix(k, "$deleteFromPrimitiveList/"):
				*cs = append(*cs, Change{Path: join(path, strings.TrimPrefix(k, "$deleteFromPrimitiveList/")), Op: OpRemove, Value: short(x[k])})
				continue
			case k == lastApplied:
				*cs = append(*cs, Change{Path: join(path, k), Op: OpSet, Value: "(the applied object)"})
				continue
			}
			walk(join(path, k), x[k], cs)
		}
	case []any:
		if !keyedList(x) {
			*cs = append(*cs, Change{Path: path, Op: OpSet, Value: short(x)})
			return
		}
		for i, el := range x {
			m := el.(map[string]any)
			key, keyField := elementKey(m, i)
			p := path + "[" + key + "]"
			rest := map[string]any{}
			for k, v := range m {
				if k != keyField {
					rest[k] = v
				}
			}
			if len(rest) == 0 {
				*cs = append(*cs, Change{Path: p, Op: OpSet})
				continue
			}
			walk(p, rest, cs)
		}
	case nil:
		*cs = append(*cs, Change{Path: path, Op: OpRemove})
	default:
		*cs = append(*cs, Change{Path: path, Op: OpSet, Value: short(x)})
	}
}

// keyedList tells whether every element of a list is an object: a list a
// strategic merge patch merges element by element.
func keyedList(l []any) bool {
	if len(l) == 0 {
		return false
	}
	for _, el := range l {
		if _, ok := el.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// mergeKeys are the strategic merge keys of the lists a pod template has.
var mergeKeys = []string{"name", "containerPort", "mountPath", "devicePath", "ip", "topologyKey", "key"}

func elementKey(m map[string]any, i int) (key, field string) {
	for _, k := range mergeKeys {
		if v, ok := m[k]; ok {
			if s, ok := v.(string); ok {
				return s, k
			}
			if _, ok := v.(float64); ok {
				return short(v), k
			}
		}
	}
	return fmt.Sprint(i), ""
}

func jsonPatchChanges(ops []any) []Change {
	var cs []Change
	for _, o := range ops {
		m, ok := o.(map[string]any)
		if !ok {
			continue
		}
		op, _ := m["op"].(string)
		p, _ := m["path"].(string)
		path := pointerPath(p)
		switch op {
		case "remove":
			cs = append(cs, Change{Path: path, Op: OpRemove})
		case "add", "replace":
			cs = append(cs, Change{Path: path, Op: OpSet, Value: short(m["value"])})
		case "move", "copy":
			from, _ := m["from"].(string)
			cs = append(cs, Change{Path: path, Op: OpSet, Value: op + " from " + pointerPath(from)})
		}
	}
	return cs
}

// pointerPath turns a JSON pointer (/spec/template/spec/containers/0/env/1)
// into the Path form (spec.template.spec.containers[0].env[1]).
func pointerPath(p string) string {
	out := ""
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if isIndex(part) {
			out += "[" + part + "]"
			continue
		}
		out = join(out, part)
	}
	return out
}

func isIndex(s string) bool {
	if s == "-" {
		return true
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// field is the path segment of key: .key, or ["key"] for keys with dots or
// slashes (annotations, labels).
func field(key string) string {
	if plainKey.MatchString(key) {
		return "." + key
	}
	return `["` + key + `"]`
}

func join(path, key string) string {
	f := field(key)
	if path == "" && f[0] == '.' {
		return f[1:]
	}
	return path + f
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// short is a value as the timeline shows it: a string as it is, anything
// else as compact JSON, cut at maxValue runes.
func short(v any) string {
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		s = string(b)
	}
	if r := []rune(s); len(r) > maxValue {
		return string(r[:maxValue-1]) + "…"
	}
	return s
}

// replicas is the replica count a scale request sets.
func replicas(r Request) (string, bool) {
	for _, c := range changesOf(r) {
		if c.Path == "spec.replicas" {
			return c.Value, true
		}
	}
	return "", false
}
