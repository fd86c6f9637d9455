#!/usr/bin/env bash
# Installs the Debian packages hrn needs: a Vulkan driver that runs WebGPU on the CPU
# (Mesa lavapipe; Debian 12's own Mesa is too old for Dawn, so it comes from
# bookworm-backports), the Fashion-MNIST data set, redis-server (the queue of `hrn sweep
# --queue`; tests start their own instance) and Chromium (the playground's test drives it headless
# with WebGPU). Idempotent; needs root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system.sh: run as root (it uses apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/debian.sources
backports=/etc/apt/sources.list.d/hrn-backports.sources

if [ ! -f "$backports" ]; then
  # Reuse the mirror this machine already trusts rather than naming a host here.
  uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
  keyring=$(awk '/^Signed-By:/ {print $2; exit}' "$src")
  cat > "$backports" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: $keyring
SRC
fi

need_update=1
if dpkg-query -W -f='${Version}\n' mesa-vulkan-drivers 2>/dev/null | grep -q '^25' \
   && [ -d /usr/share/datasets/fashion-mnist ] && command -v redis-server >/dev/null \
   && [ -x /usr/bin/chromium ]; then
  need_update=0
fi

if [ "$need_update" -eq 1 ]; then
  apt-get update -qq
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  apt-get install -y -qq dataset-fashion-mnist redis-server chromium >/dev/null
fi
echo "system packages: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), fashion-mnist in /usr/share/datasets/fashion-mnist, $(redis-server --version | cut -d' ' -f1-3), chromium $(dpkg-query -W -f='${Version}' chromium)"
