// Package images builds the lab's container images in memory with
// go-containerregistry, from workload binaries embedded at compile time, so
// crashlab needs no Docker daemon and no registry.
//
// The binaries are committed in bin/ (see bin/README.md), so that
// `go install github.com/crashlab/crashlab/cmd/crashlab@VERSION`, which runs
// no make, gives a crashlab that can deploy every incident. `make workload`
// rebuilds them; bin_test.go fails when the workload source no longer builds
// to exactly the committed bytes. Were they missing, this package would not
// compile ("pattern bin/workload-linux-amd64: no matching files found"),
// which is intended: a crashlab without its images would only fail later,
// on the cluster, in a far more confusing way.
package images

import "embed"

//go:embed bin/workload-linux-amd64 bin/workload-linux-arm64
var binaries embed.FS
