#!/usr/bin/env bash
# End-to-end suite on a real cluster that `crashlab up` creates through the kind
# library. Skipped with one line when no cluster can be had, never under CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! envs=$(./scripts/cluster-env.sh); then
  if [ -n "${CI:-}" ]; then
    echo "e2e: FAILED: no container runtime for kind could be set up (CI must run the e2e suite)" >&2
    exit 1
  fi
  echo "e2e: skipped: no container runtime for kind could be set up (see scripts/cluster-env.sh output above)"
  exit 0
fi
eval "$envs"
# The terminal tests (`crashlab play`, the workshop board's --tui) drive the
# lab in tmux; the workshop board's page is tested in Debian's Chromium.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  command -v tmux >/dev/null || need+=(tmux)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; } ||
      echo "e2e: could not install ${need[*]}" >&2
  fi
fi
export GOFLAGS=${GOFLAGS:--mod=mod}
# The suite must create the cluster through `crashlab up` itself; a cluster
# left by an earlier run (its node possibly stopped with the old dockerd) goes.
if [ -z "${CRASHLAB_E2E_KEEP:-}" ]; then
  ./bin/crashlab down >/dev/null 2>&1 || true
fi
# The release archive the suite unpacks and runs (`make release-snapshot`).
if [ -f dist/checksums.txt ]; then
  export CRASHLAB_RELEASE_DIST=$PWD/dist
fi
log=${E2E_LOG:-/tmp/crashlab-e2e.log}
set +e
go test -tags e2e -count=1 -timeout 45m -parallel ${E2E_PARALLEL:-8} -v -run TestLab ./e2e/ >"$log" 2>&1
rc=$?
set -e
# The full log has every CLI run; print the outline, and the details on failure.
grep -E '^\s*(=== RUN|--- |PASS|FAIL|ok|panic)|crashlab up:' "$log" || true
if [ $rc -ne 0 ]; then
  echo "---- e2e failed (rc=$rc); failure details from $log ----"
  grep -B2 -A25 -E 'Error Trace|panic:|FAIL' "$log" | tail -400
  # Last, one short line per failed assertion: what a CI excerpt keeps.
  echo "---- e2e failure digest ----"
  grep -A14 -E 'Error Trace' "$log" | grep -E '^\s*(Test:|Error:|Messages:)' | sed -E 's/^\s+/FAIL-DETAIL /; s/(.{300}).*/\1…/' | tail -60
  grep -E '^\s*--- FAIL' "$log" | tail -30
fi
exit $rc
