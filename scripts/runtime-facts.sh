#!/usr/bin/env bash
# Runs every incident's failure once on a cluster and writes what it observed
# to docs/facts/<name>.md (TestRuntimeFacts). The README's fact table quotes
# these files.
#   scripts/runtime-facts.sh kind         the lab's kind cluster (`crashlab up` first)
#   scripts/runtime-facts.sh k8s-local    ../shared/k8s-local: containerd 1.6, runc 1.1,
#                                         started here, the lab's images imported, stopped after
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOFLAGS=${GOFLAGS:--mod=mod}
mkdir -p docs/facts
case "${1:-kind}" in
kind)
  eval "$(./scripts/cluster-env.sh)"
  ./bin/crashlab up ${CRASHLAB_NODE_IMAGE:+--image "$CRASHLAB_NODE_IMAGE"}
  version=$(kubectl --context kind-crashlab version -o json | sed -n 's/.*"gitVersion": "\(v[0-9.]*\)".*/\1/p' | tail -1)
  CRASHLAB_FACTS_OUT=$PWD/docs/facts/kind-$version.md \
    go test -tags e2e -count=1 -timeout 30m -v -run TestRuntimeFacts ./e2e/
  ;;
k8s-local)
  kl=${K8S_LOCAL:-$PWD/../shared/k8s-local/k8s-local}
  [ -x "$kl" ] || { echo "runtime-facts: no k8s-local at $kl (set K8S_LOCAL)" >&2; exit 1; }
  "$kl" up >&2
  trap '"$kl" down >&2 || true' EXIT
  kubeconfig=$("$kl" kubeconfig)
  archive=$(mktemp --suffix=.tar)
  ./bin/crashlab images export "$archive"
  "$kl" import "$archive" >&2
  rm -f "$archive"
  # The node lists a new image in its status only at the kubelet's next
  # status update; `start` reads that list.
  for _ in $(seq 1 60); do
    kubectl --kubeconfig "$kubeconfig" get nodes -o jsonpath='{.items[*].status.images[*].names}' | grep -q crashlab.local/workload && break
    sleep 3
  done
  CRASHLAB_FACTS_KUBECONFIG=$kubeconfig CRASHLAB_FACTS_CONTEXT=default \
    CRASHLAB_FACTS_OUT=$PWD/docs/facts/k8s-local-containerd-1.6.md \
    go test -tags e2e -count=1 -timeout 30m -v -run TestRuntimeFacts ./e2e/
  ;;
*) echo "usage: $0 kind|k8s-local" >&2; exit 2 ;;
esac
