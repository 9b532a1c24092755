#!/usr/bin/env bash
# `make bench`: lab timings against kubectl and the kubelet's floor, measured in
# one run on the lab cluster (created or reused through `crashlab up`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(./scripts/cluster-env.sh)"
if ! command -v kubectl >/dev/null; then
  # kind-offline builds kubectl into its multicall binary.
  mc=$(ls ~/.cache/kind-offline/bin/kube-multicall-* 2>/dev/null | head -1 || true)
  [ -n "$mc" ] || { echo "bench: needs kubectl on PATH" >&2; exit 1; }
  mkdir -p .cache/bin && ln -sf "$mc" .cache/bin/kubectl
  export PATH=$PWD/.cache/bin:$PATH
fi
export GOFLAGS=${GOFLAGS:--mod=mod}
CRASHLAB_BENCH=1 CRASHLAB_E2E_KEEP=1 go test -tags e2e -count=1 -timeout 60m -run "${BENCH_RUN:-TestBench\$}" -v ./e2e/ > /tmp/crashlab-bench.log 2>&1 || { tail -50 /tmp/crashlab-bench.log; exit 1; }
grep '^BENCH' /tmp/crashlab-bench.log
