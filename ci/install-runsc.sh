#!/usr/bin/env bash
# Install gVisor's runsc for the gVisor job of the matrix (run as root). The distribution's package first (Debian and
# Ubuntu ship "runsc"); where it has none, gVisor's own apt repository. Does nothing when runsc is already there.
set -euo pipefail
if command -v runsc >/dev/null 2>&1; then runsc --version | head -n 1; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! apt-get install -y -qq runsc >/dev/null 2>&1; then
  apt-get install -y -qq curl gnupg >/dev/null
  curl -fsSL https://gvisor.dev/archive.key | gpg --dearmor -o /usr/share/keyrings/gvisor-archive-keyring.gpg
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/gvisor-archive-keyring.gpg] https://storage.googleapis.com/gvisor/releases release main" \
    > /etc/apt/sources.list.d/gvisor.list
  apt-get update -qq
  apt-get install -y -qq runsc >/dev/null
fi
runsc --version | head -n 1
