#!/usr/bin/env bash
# Makes sure kind has a container runtime and a node image, then prints the
# exports crashlab needs (DOCKER_HOST, CRASHLAB_NODE_IMAGE) on stdout.
#
# - A Docker (or podman) that answers and can reach registries: nothing to do;
#   kind uses its default node image.
# - Otherwise (these lab VMs: no daemon, no registry): ../shared/kind-offline
#   starts a private dockerd and builds a kind node image offline, once; later
#   runs reuse its cache (about 10 minutes cold, seconds warm).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[cluster-env] %s\n' "$*" >&2; }

if [ -z "${CRASHLAB_FORCE_OFFLINE:-}" ] && [ -z "${DOCKER_HOST:-}" ] && timeout 10 docker info >/dev/null 2>&1; then
  log "docker answers: using kind's default node image"
  exit 0
fi

ko=${KIND_OFFLINE:-}
if [ -z "$ko" ]; then
  for c in "$here/../shared/kind-offline/kind-offline" "$here/../../shared/kind-offline/kind-offline"; do
    [ -f "$c" ] && { ko=$c; break; }
  done
fi
[ -n "$ko" ] || { log "no Docker that can pull images, and no kind-offline found (set KIND_OFFLINE=/path/to/kind-offline)"; exit 1; }
[ "$(id -u)" = 0 ] || { log "kind-offline must run as root (it starts a private dockerd)"; exit 1; }

# The suite's node is kind's default Kubernetes minor (kind v0.33.0: 1.37), so
# that what CI proves is what users get; `make e2e-1.34` runs the second target.
image=${CRASHLAB_NODE_IMAGE:-kind-offline/node:v1.37.2}
export NODE_IMAGE=$image
tag=${image##*:}
export K8S_VERSION=${K8S_VERSION:-${tag%-debian}}
log "using kind-offline: $ko"
bash "$ko" deps >&2
bash "$ko" docker-up >&2
eval "$(bash "$ko" env)"
if docker image inspect "$image" >/dev/null 2>&1; then
  log "node image $image already built"
else
  log "building node image $image (first time: about 10 minutes)"
  t0=$(date +%s)
  nice -n 5 bash "$ko" build-image >&2
  log "node image built in $(( $(date +%s) - t0 ))s"
fi
echo "export DOCKER_HOST=$DOCKER_HOST"
echo "export CRASHLAB_NODE_IMAGE=$image"
