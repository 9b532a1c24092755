package fixes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/podstate"
	"github.com/crashlab/crashlab/scenarios"
)

// renderer fills the templates of a fix's strings from the live cluster at the
// moment a step runs, so a fix never carries a copy of a live fact (an image
// reference, a Secret's value) that could go stale.
//
// Data: .Image, .ForeignImage, .NodeArch (scenarios.Values). Functions:
//
//	secretValue NAME KEY   the value of KEY in Secret NAME of the lab namespace, now
//	nodeImage TEXT         the first image name on the cluster's nodes that contains TEXT
//	nodeRuntime            the container runtime of the first node (e.g. containerd://2.1.1)
//	hasPrefix S PREFIX     strings.HasPrefix
type renderer struct {
	ctx  context.Context
	c    kubernetes.Interface
	ns   string
	vals scenarios.Values
}

func (r *renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"secretValue": r.secretValue,
		"nodeImage":   r.nodeImage,
		"nodeRuntime": r.nodeRuntime,
		"hasPrefix":   strings.HasPrefix,
	}
}

func (r *renderer) secretValue(name, key string) (string, error) {
	s, err := r.c.CoreV1().Secrets(r.ns).Get(r.ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("secretValue %s %s: %w", name, key, err)
	}
	// The API server folds stringData into data; a fake clientset does not.
	if v, ok := s.Data[key]; ok {
		return string(v), nil
	}
	if v, ok := s.StringData[key]; ok {
		return v, nil
	}
	return "", fmt.Errorf("secretValue: Secret %s has no key %q", name, key)
}

func (r *renderer) nodeImage(text string) (string, error) {
	nodes, err := r.c.CoreV1().Nodes().List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("nodeImage: list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		for _, im := range n.Status.Images {
			for _, name := range im.Names {
				if strings.Contains(name, text) {
					return name, nil
				}
			}
		}
	}
	return "", fmt.Errorf("nodeImage: no image on the nodes contains %q", text)
}

func (r *renderer) nodeRuntime() (string, error) {
	nodes, err := r.c.CoreV1().Nodes().List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("nodeRuntime: list nodes: %w", err)
	}
	if len(nodes.Items) == 0 {
		return "", fmt.Errorf("nodeRuntime: the cluster has no nodes")
	}
	return nodes.Items[0].Status.NodeInfo.ContainerRuntimeVersion, nil
}

// parseTemplate checks a string's template without running it.
func parseTemplate(s string) (*template.Template, error) {
	return template.New("fix").Option("missingkey=error").Funcs((&renderer{}).funcs()).Parse(s)
}

// renderString fills one string; strings without "{{" are returned as they are.
func (r *renderer) renderString(s string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := template.New("fix").Option("missingkey=error").Funcs(r.funcs()).Parse(s)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, r.vals); err != nil {
		return "", fmt.Errorf("template %q: %w", s, err)
	}
	return b.String(), nil
}

// renderJSON fills every string value of a JSON document. Templates live in
// values only, and the result is re-encoded, so a value can never break the
// document's structure (a URL with colons stays one string).
func (r *renderer) renderJSON(raw json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // 2 stays 2, not 2.0, through the round trip
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v, err := walkStrings(v, r.renderString)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// checkTemplates parses every template in a JSON document.
func checkTemplates(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	_, err := walkStrings(v, func(s string) (string, error) {
		if strings.Contains(s, "{{") {
			if _, err := parseTemplate(s); err != nil {
				return "", err
			}
		}
		return s, nil
	})
	return err
}

func walkStrings(v any, fn func(string) (string, error)) (any, error) {
	switch x := v.(type) {
	case string:
		return fn(x)
	case []any:
		for i := range x {
			y, err := walkStrings(x[i], fn)
			if err != nil {
				return nil, err
			}
			x[i] = y
		}
	case map[string]any:
		for k := range x {
			y, err := walkStrings(x[k], fn)
			if err != nil {
				return nil, err
			}
			x[k] = y
		}
	}
	return v, nil
}

// AfterSignature renders a fix's after signature against the live cluster,
// dropping entries that render empty (a conditional that does not apply).
func AfterSignature(ctx context.Context, c kubernetes.Interface, ns string, vals scenarios.Values, fix Fix) ([]string, error) {
	if fix.After == nil {
		return nil, nil
	}
	r := &renderer{ctx: ctx, c: c, ns: ns, vals: vals}
	var out []string
	for _, e := range fix.After.Signature {
		s, err := r.renderString(e)
		if err != nil {
			return nil, fmt.Errorf("%s: after: %w", fix.Name, err)
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, err := podstate.Evidence(podstate.Facts{}, "", s); err != nil {
			return nil, fmt.Errorf("%s: after: %w", fix.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}
