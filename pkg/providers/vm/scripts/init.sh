#!/usr/bin/env bash
# init.sh: first provisioning step of a Sindri VM image (run as root). Waits for cloud-init to
# finish its first boot, then brings the base system up to date and installs what the next
# steps need.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

echo "sindri: waiting for cloud-init"
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null || true
fi

echo "sindri: updating packages"
apt-get update -q
apt-get upgrade -y -q -o Dpkg::Options::=--force-confold
apt-get install -y -q --no-install-recommends ca-certificates curl git jq unzip
