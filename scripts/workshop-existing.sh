#!/usr/bin/env bash
# A graded workshop on a cluster that is not the lab's kind cluster:
# ../shared/k8s-local (containerd 1.6, runc 1.1, no Docker), started here,
# the lab's images (crashlab's own included) imported into its node, then
# TestWorkshopOnExistingCluster, then stopped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOFLAGS=${GOFLAGS:--mod=mod}
kl=${K8S_LOCAL:-$PWD/../shared/k8s-local/k8s-local}
[ -x "$kl" ] || { echo "workshop-existing: no k8s-local at $kl (set K8S_LOCAL)" >&2; exit 1; }
"$kl" up >&2
trap '"$kl" down >&2 || true' EXIT
kubeconfig=$("$kl" kubeconfig)
archive=$(mktemp --suffix=.tar)
# bin/crashlab is static (make build): its image goes into the archive too.
./bin/crashlab images export "$archive" --arch "$(go env GOARCH)"
"$kl" import "$archive" >&2
rm -f "$archive"
# The node lists a new image only at the kubelet's next status update;
# `workshop create` reads that list.
for _ in $(seq 1 60); do
  kubectl --kubeconfig "$kubeconfig" get nodes -o jsonpath='{.items[*].status.images[*].names}' | grep -q crashlab.local/crashlab && break
  sleep 3
done
CRASHLAB_EXISTING_KUBECONFIG=$kubeconfig CRASHLAB_EXISTING_CONTEXT=default \
  go test -tags e2e -count=1 -timeout 20m -v -run TestWorkshopOnExistingCluster ./e2e/
