// Package crds holds the lab's CustomResourceDefinitions as controller-gen
// writes them from api/v1alpha1 (`make generate`).
package crds

import "embed"

// Files are the CRD manifests, one per file.
//
//go:embed *.yaml
var Files embed.FS
