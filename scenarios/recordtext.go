package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/crashlab/crashlab/internal/yamlfile"
)

// ManifestsFile is the file of a scenario folder that holds the incident's
// Kubernetes objects, a Go template filled with Values.
const ManifestsFile = "manifests.yaml"

// canonicalText re-writes rendered manifests from their decoded objects, one
// document each. The attempt record keeps this text, and a learner (or a
// candidate) can read the record: the author's comments in manifests.yaml
// explain the failure ("too small for the working set"), so they must not
// reach the cluster. Only fields the objects carry survive a decode and a
// marshal, which is exactly what grading needs.
func (s Scenario) canonicalText(text string) (string, error) {
	objs, err := decodeStrict(s.file(ManifestsFile), text)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for i, o := range objs {
		o.obj.GetObjectKind().SetGroupVersionKind(*o.gvk)
		y, err := yaml.Marshal(o.obj)
		if err != nil {
			return "", fmt.Errorf("scenario %s: manifest document %d: %w", s.ID, i+1, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(y)
	}
	return out.String(), nil
}

// strictDecoder decodes against the typed Kubernetes schema and refuses what
// the schema does not know: the universal deserializer drops an unknown field
// in silence, so `limts:` for `limits:` deployed the OOM incident with no
// limit at all.
var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

type decoded struct {
	obj runtime.Object
	gvk *schema.GroupVersionKind
}

// decodeStrict decodes every document of rendered manifests text; every
// mistake is an error naming file and line. The template's values are single
// lines, so a line of the rendered text is the line of the file the author
// wrote.
func decodeStrict(file, text string) ([]decoded, error) {
	var out []decoded
	var errs []error
	for _, d := range splitDocs(text) {
		doc, err := yamlfile.Parse(file, []byte(d.text), d.lineOffset)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		obj, gvk, err := strictDecoder.Decode([]byte(d.text), nil, nil)
		if strict, ok := runtime.AsStrictDecodingError(err); ok {
			errs = append(errs, yamlfile.Locate(file, doc, d.lineOffset, strict.Errors()...))
			continue
		}
		if err != nil {
			// The kind, apiVersion or a value is wrong: the document's
			// first line is as near as the decoder lets us say.
			errs = append(errs, &yamlfile.Error{File: file, Line: d.lineOffset + yamlfile.Line(doc, ""), Msg: err.Error()})
			continue
		}
		out = append(out, decoded{obj: obj, gvk: gvk})
	}
	return out, errors.Join(errs...)
}

// doc is one YAML document of a multi-document text, and how many lines of
// the text come before its first.
type doc struct {
	text       string
	lineOffset int
}

// splitDocs splits text as trimDocs does, keeping where each document starts.
func splitDocs(text string) []doc {
	var out []doc
	start := 0
	for {
		i := strings.Index(text[start:], "\n---")
		end := len(text)
		if i >= 0 {
			end = start + i
		}
		if d := text[start:end]; strings.TrimSpace(d) != "" {
			out = append(out, doc{text: d, lineOffset: strings.Count(text[:start], "\n")})
		}
		if i < 0 {
			return out
		}
		start = end + len("\n---")
	}
}
