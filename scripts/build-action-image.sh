#!/usr/bin/env bash
# Builds the action image from a locally built static binary (no base image is pulled):
#   scripts/build-action-image.sh [TAG]      default TAG: sindri/deploy:local
# Env: SINDRI_ACTION_PKG (default ./cmd/action), SINDRI_ACTION_BIN (use this prebuilt static
# binary instead of building), CA_BUNDLE (default the host's bundle), SINDRI_ACTION_TAGS (build
# tags, default nokubernetes: client-go would add ~19 MB to the ~24 MB image; the kubernetes
# provider runs in executors, docs/providers/kubernetes.md "Image size").
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/scratch-image.sh
. scripts/scratch-image.sh
tag=${1:-sindri/deploy:local}
pkg=${SINDRI_ACTION_PKG:-./cmd/action}
ca=$(find_ca_bundle)

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
if [ -n "${SINDRI_ACTION_BIN:-}" ]; then
  cp "$SINDRI_ACTION_BIN" "$ctx/sindri-action"
else
  CGO_ENABLED=0 GOOS=linux go build -trimpath -tags "${SINDRI_ACTION_TAGS-nokubernetes}" -ldflags "-s -w" -o "$ctx/sindri-action" "$pkg"
fi
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -p "$ctx/rootfs/tmp" && chmod 1777 "$ctx/rootfs/tmp"
build_scratch_image "$tag" Dockerfile "$ctx"
