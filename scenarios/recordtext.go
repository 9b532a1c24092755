package scenarios

import (
	"fmt"
	"strings"

	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// canonicalText re-writes rendered manifests from their decoded objects, one
// document each. The attempt record keeps this text, and a learner (or a
// candidate) can read the record: the author's comments in manifests.yaml
// explain the failure ("too small for the working set"), so they must not
// reach the cluster. Only fields the objects carry survive a decode and a
// marshal, which is exactly what grading needs.
func canonicalText(id, text string) (string, error) {
	decode := scheme.Codecs.UniversalDeserializer().Decode
	var out strings.Builder
	for i, doc := range trimDocs(text) {
		obj, gvk, err := decode([]byte(doc), nil, nil)
		if err != nil {
			return "", fmt.Errorf("scenario %s: manifest document %d: %w", id, i+1, err)
		}
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
		y, err := yaml.Marshal(obj)
		if err != nil {
			return "", fmt.Errorf("scenario %s: manifest document %d: %w", id, i+1, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(y)
	}
	return out.String(), nil
}
