#!/usr/bin/env bash
# install-sindri.sh: installs the runtime a Sindri environment needs on the image (run as
# root) and records what the image was built with. Reads SINDRI_VERSION, SINDRI_PROFILE,
# SINDRI_EXTENSIONS (space-separated) and SINDRI_CACHE from the build.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

echo "sindri: installing the container runtime"
apt-get install -y -q --no-install-recommends docker.io
systemctl enable docker

echo "sindri: recording build settings"
install -d -m 0755 /etc/sindri
{
  echo "SINDRI_VERSION=${SINDRI_VERSION:-latest}"
  echo "SINDRI_PROFILE=${SINDRI_PROFILE:-}"
  echo "SINDRI_EXTENSIONS=\"${SINDRI_EXTENSIONS:-}\""
  echo "SINDRI_IMAGE_BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >/etc/sindri/image.env
chmod 0644 /etc/sindri/image.env

if [ "${SINDRI_CACHE:-true}" != "true" ]; then
  echo "sindri: build cache disabled; removing package caches"
  apt-get clean
fi
