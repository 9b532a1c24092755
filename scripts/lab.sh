#!/usr/bin/env bash
# `make lab`: set up a container runtime and node image if needed, create the
# lab cluster through crashlab itself, and say what to do next.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(./scripts/cluster-env.sh)"
args=()
[ -n "${CRASHLAB_NODE_IMAGE:-}" ] && args+=(--image "$CRASHLAB_NODE_IMAGE")
./bin/crashlab up "${args[@]}"
./bin/crashlab list
echo
if [ -n "${DOCKER_HOST:-}" ]; then
  echo "The lab's docker daemon is private; for 'crashlab down' and image loading run:"
  echo "  export DOCKER_HOST=$DOCKER_HOST"
fi
echo "Start a scenario: ./bin/crashlab start orders-api-down-after-config"
