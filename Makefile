# Two commands for a newcomer: `make lab` (set up and start the lab) and `make test`.
SHELL := /bin/bash
GO ?= go
export GOFLAGS ?= -mod=mod
ARCHES := amd64 arm64
WORKLOAD_BINS := $(foreach a,$(ARCHES),images/bin/workload-linux-$(a))
CRASHLAB := bin/crashlab

.PHONY: all generate workshop-k8s-local build workload release-snapshot lab test unit e2e e2e-1.34 e2e-nodes bench bench-workshop bench-audit facts facts-k8s-local fmt vet clean cluster-env

all: build

# The lab's container program, one static binary per node architecture. They
# are embedded into crashlab (images/embed.go) and committed, so that
# `go install github.com/crashlab/crashlab/cmd/crashlab@VERSION` (which runs
# no make) builds a complete crashlab. `make workload` rebuilds them and
# records the toolchain and their sha256 in images/bin/BUILD; commit all three.
# A unit test (images/bin_test.go) rebuilds them with exactly this
# environment and these flags and fails when the committed ones differ.
# Every setting that changes the output is pinned, whatever the caller's
# environment says: no VCS stamp (it would change with every commit), the
# baseline instruction sets, no experiments.
WORKLOAD_ENV := CGO_ENABLED=0 GOOS=linux GOAMD64=v1 GOARM64=v8.0 GOEXPERIMENT= GOFLAGS=-mod=mod
WORKLOAD_FLAGS := -trimpath -buildvcs=false -ldflags='-s -w -buildid='
workload:
	@set -e; for a in $(ARCHES); do \
		echo "build images/bin/workload-linux-$$a"; \
		$(WORKLOAD_ENV) GOARCH=$$a $(GO) build $(WORKLOAD_FLAGS) -o images/bin/workload-linux-$$a ./workload; \
	done
	@{ $(GO) env GOVERSION; cd images/bin && { sha256sum $(notdir $(WORKLOAD_BINS)) 2>/dev/null || shasum -a 256 $(notdir $(WORKLOAD_BINS)); }; } > images/bin/BUILD.tmp
	@mv images/bin/BUILD.tmp images/bin/BUILD
	@cat images/bin/BUILD

# `go install`, exactly as users install it (`go install
# github.com/crashlab/crashlab/cmd/crashlab@VERSION`): nothing generated is
# needed, the workload binaries it embeds are committed.
# The lab's API: deep copies and CRDs from api/v1alpha1's Go types, by
# controller-gen, pinned in tools/generate (its own module, as goreleaser).
# The output is committed: building crashlab never needs controller-gen.
CONTROLLER_GEN := .cache/bin/controller-gen
$(CONTROLLER_GEN): tools/generate/go.mod
	cd tools/generate && $(GO) build -o $(CURDIR)/$(CONTROLLER_GEN) sigs.k8s.io/controller-tools/cmd/controller-gen
generate: $(CONTROLLER_GEN)
	$(CONTROLLER_GEN) object paths=./api/... crd:crdVersions=v1 output:crd:dir=api/crds

build:
	# Static (no cgo): the same binary runs here and as the lab controller's
	# image in the cluster, which has no C library.
	CGO_ENABLED=0 GOBIN=$(CURDIR)/bin $(GO) install ./cmd/crashlab
	# kubectl finds plugins by name on PATH: `kubectl crashlab explain POD`.
	ln -sf crashlab bin/kubectl-crashlab

# What a tagged release publishes, built offline into dist/: archives for
# linux and darwin on amd64 and arm64, checksums.txt, and the krew manifest
# (dist/krew/crashlab.yaml). goreleaser is a Go module pinned in
# tools/release/go.mod (its own module, so its dependencies stay out of the
# lab's go.mod); the e2e suite runs the linux/amd64 archive's binary.
GORELEASER := .cache/bin/goreleaser
$(GORELEASER): tools/release/go.mod tools/release/go.sum
	cd tools/release && $(GO) build -o $(CURDIR)/$(GORELEASER) github.com/goreleaser/goreleaser/v2
release-snapshot: $(GORELEASER)
	$(GORELEASER) release --snapshot --clean

# Sets up a container runtime and node image when none answers, then creates the lab.
lab: build
	./scripts/lab.sh

unit:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# End-to-end suite on a real cluster, created through `crashlab up` (kind library).
e2e: build release-snapshot
	./scripts/e2e.sh

# The second Kubernetes target (not in CI): the suite on a v1.34 node, whose
# kubelet caps the back-off only behind the alpha gate.
e2e-1.34: build
	CRASHLAB_NODE_IMAGE=kind-offline/node:v1.34.4 ./scripts/e2e.sh

# The incidents whose failure involves a node (its architecture, labels,
# capacity, image list) and one crash loop, on a two-node cluster: a workshop
# room's `crashlab up --nodes N` must not change what they teach.
NODE_SENSITIVE := invoice-api-down-after-rebuild,payments-api-stuck-pending,indexer-stuck-pending,mailer-down-after-cluster-move,orders-api-down-after-config
e2e-nodes: build
	CRASHLAB_E2E_NODES=2 CRASHLAB_E2E_ONLY=$(NODE_SENSITIVE) ./scripts/e2e.sh

# Every incident's failure once, what was seen written to docs/facts/: on
# the lab's kind node, and on the second runtime (../shared/k8s-local,
# containerd 1.6 and runc 1.1; started and stopped by the target).
facts: build
	./scripts/runtime-facts.sh kind
facts-k8s-local: build
	./scripts/runtime-facts.sh k8s-local

# A graded workshop (two learners, through the controller) on a cluster that
# is not kind: ../shared/k8s-local, the trainer's "existing cluster" (not in CI).
workshop-k8s-local: build
	./scripts/workshop-existing.sh

test: unit e2e

bench: build
	./scripts/bench.sh

# A workshop room of 10, 30 and 100 learners (CRASHLAB_BENCH_LEARNERS="10,30,100"),
# graded by the lab's controller and, in the same run, by each learner's own
# crashlab: create time, API requests per second idle and at work, the
# controller's CPU and memory, the board's update time p50/p99.
bench-workshop: build
	BENCH_RUN='TestBenchWorkshop$$' ./scripts/bench.sh

# What recording API requests (crashlab replay) costs; re-creates the cluster.
bench-audit: build
	BENCH_RUN='TestBenchAudit$$' ./scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
