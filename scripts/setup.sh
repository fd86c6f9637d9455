#!/usr/bin/env bash
# One-time setup on a fresh Debian 12 machine: system packages (as root), npm packages, build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  bash scripts/install-system.sh
elif ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]'; then
  echo "setup: Mesa 25 lavapipe is missing; run 'sudo bash scripts/install-system.sh' once" >&2
fi

# onnxruntime-node (tests only) bundles its CPU runtime; skip its optional CUDA download on any npm.
# npm ci also runs the package's `prepare` script, which is the build (dist/).
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
echo "setup: done; try 'npx hrn --help'"
