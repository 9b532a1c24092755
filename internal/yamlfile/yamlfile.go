// Package yamlfile decodes the YAML files a person writes (a scenario's
// scenario.yaml, manifests.yaml, fixes/) strictly, and says where a mistake
// is: a field the schema does not know (`limts:` for `limits:`) or a key given
// twice is an error naming the file and the line, never a value silently
// dropped.
//
// The files are decoded as JSON with the Go types' json tags (through
// sigs.k8s.io/yaml, as Kubernetes decodes them), which reports a mistake by
// its field path ("spec.containers[0].resources.limts") but not its line; the
// same text parsed into a yaml.v3 node tree gives the line of that path.
package yamlfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// Error is a mistake in a file a person wrote.
type Error struct {
	// File is the path as the author knows it (scenarios/<folder>/manifests.yaml).
	File string
	// Line is 1-based; 0 when the mistake is not on one line.
	Line int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.File == "":
		return e.Msg
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Parse parses one YAML document into its node tree. A key given twice in
// one mapping is an error: decoders keep one of the two values in silence,
// so the author's other one would never take effect. lineOffset is added to
// every line reported (the document's first line within its file, minus 1).
func Parse(file string, raw []byte, lineOffset int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, syntaxError(file, lineOffset, err)
	}
	var errs []error
	duplicateKeys(&doc, func(key *yaml.Node, first int) {
		errs = append(errs, &Error{File: file, Line: key.Line + lineOffset,
			Msg: fmt.Sprintf("key %q is given twice in one mapping (first at line %d)", key.Value, first+lineOffset)})
	})
	return &doc, errors.Join(errs...)
}

// yamlLine matches the line yaml.v3 and yaml.v2 put in their errors.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func syntaxError(file string, lineOffset int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: n + lineOffset, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

func duplicateKeys(n *yaml.Node, report func(key *yaml.Node, firstLine int)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" {
				continue
			}
			if first, dup := seen[k.Value]; dup {
				report(k, first)
			} else {
				seen[k.Value] = k.Line
			}
		}
	}
	for _, c := range n.Content {
		duplicateKeys(c, report)
	}
}

// Decode decodes a one-document YAML file into v by v's json tags. A field v
// does not have, a key given twice, or a value of the wrong type is an Error
// naming file and line; every such mistake of the file is returned.
func Decode(file string, raw []byte, v any) error {
	doc, err := Parse(file, raw, 0)
	if err != nil {
		return err
	}
	j, err := sigsyaml.YAMLToJSON(raw)
	if err != nil {
		return syntaxError(file, 0, err)
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return Locate(file, doc, 0, err)
	}
	return Locate(file, doc, 0, strict...)
}

// Locate turns decoding errors that name a field path (unknown or duplicate
// fields from sigs.k8s.io/json or apimachinery's strict serializer, a value
// of the wrong type) into Errors at that field's line in doc. Errors that
// name no field are kept, with the file named.
func Locate(file string, doc *yaml.Node, lineOffset int, errs ...error) error {
	var out []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		path, msg := describe(err)
		line := 0
		if path != "" {
			line = Line(doc, path)
		}
		if line > 0 {
			line += lineOffset
		}
		out = append(out, &Error{File: file, Line: line, Msg: msg})
	}
	return errors.Join(out...)
}

// typeError is the text of encoding/json's UnmarshalTypeError: value, the
// struct's name and the field's path, the Go type.
var typeError = regexp.MustCompile(`cannot unmarshal (.+) into Go struct field [^.\s]+\.(\S+) of type (\S+)`)

// describe finds the field path an error names and words the error for the
// author of the file.
func describe(err error) (path, msg string) {
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		path = fe.FieldPath()
		field := lastField(path)
		switch {
		case strings.HasPrefix(err.Error(), "unknown field"):
			return path, fmt.Sprintf("field %s is not known (at %s): a typo, or a field of another object", field, path)
		case strings.HasPrefix(err.Error(), "duplicate field"):
			return path, fmt.Sprintf("field %s is given twice (at %s)", field, path)
		}
		return path, err.Error()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field, fmt.Sprintf("%s: expected %s, found %s", te.Field, te.Type, te.Value)
	}
	// sigs.k8s.io/json returns its own copy of encoding/json's type error,
	// which it does not export: its text names the field.
	if m := typeError.FindStringSubmatch(err.Error()); m != nil {
		return m[2], fmt.Sprintf("%s: expected %s, found %s", m[2], m[3], m[1])
	}
	return "", strings.TrimPrefix(err.Error(), "json: ")
}

func lastField(path string) string {
	segs := splitPath(path)
	for i := len(segs) - 1; i >= 0; i-- {
		if !segs[i].index {
			return segs[i].name
		}
	}
	return path
}

type segment struct {
	name  string
	index bool
	n     int
}

// splitPath splits "a.b[0].c" into a, b, [0], c.
func splitPath(path string) []segment {
	var out []segment
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, segment{name: name})
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				out = append(out, segment{index: true, n: n})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// Line is the line of the field at path ("spec.containers[0].name") in doc,
// or 0 when the path is not there. A key that holds dots (a label such as
// app.kubernetes.io/name) matches several segments, and a path without list
// indices (encoding/json's type errors have none) matches the first item of
// a list where it resolves.
func Line(doc *yaml.Node, path string) int {
	if doc == nil {
		return 0
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	return resolve(n, splitPath(path))
}

func resolve(n *yaml.Node, segs []segment) int {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if len(segs) == 0 {
		return n.Line
	}
	s := segs[0]
	switch {
	case n.Kind == yaml.SequenceNode && s.index:
		if s.n < len(n.Content) {
			return resolve(n.Content[s.n], segs[1:])
		}
	case n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			if l := resolve(item, segs); l > 0 {
				return l
			}
		}
	case n.Kind == yaml.MappingNode && !s.index:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			// The key may hold dots: take as many segments as it spans.
			for j := 1; j <= len(segs); j++ {
				if joined(segs[:j]) != key {
					continue
				}
				if j == len(segs) {
					return n.Content[i].Line
				}
				if l := resolve(n.Content[i+1], segs[j:]); l > 0 {
					return l
				}
			}
		}
	}
	return 0
}

func joined(segs []segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		if s.index {
			return "" // no key spans a list index
		}
		parts[i] = s.name
	}
	return strings.Join(parts, ".")
}

// Find is Line for a path that is relative to some node of doc, not to its
// root (a fix step's body, decoded on its own): the line of the first node,
// depth first, under which the path resolves; 0 when none.
func Find(doc *yaml.Node, path string) int {
	if doc == nil || path == "" {
		return 0
	}
	segs := splitPath(path)
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n.Kind != yaml.DocumentNode {
			if l := resolve(n, segs); l > 0 {
				return l
			}
		}
		for _, c := range n.Content {
			if l := walk(c); l > 0 {
				return l
			}
		}
		return 0
	}
	return walk(doc)
}
