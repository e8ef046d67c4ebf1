#!/usr/bin/env bash
# Builds the executor image from a locally built static binary (no base image is pulled):
#   scripts/build-executor-image.sh [TAG]      default TAG: sindri/executor:local
# Env: SINDRI_EXECUTOR_BIN (use this prebuilt static binary instead of building), CA_BUNDLE
# (default the host's bundle), SINDRI_EXECUTOR_TAGS (build tags, default none: the executor is
# where the Kubernetes provider runs). Prints the tag and the image size.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/scratch-image.sh
. scripts/scratch-image.sh
tag=${1:-sindri/executor:local}
ca=$(find_ca_bundle)

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
if [ -n "${SINDRI_EXECUTOR_BIN:-}" ]; then
  cp "$SINDRI_EXECUTOR_BIN" "$ctx/sindri-executor"
else
  CGO_ENABLED=0 GOOS=linux go build -trimpath -tags "${SINDRI_EXECUTOR_TAGS-}" -ldflags "-s -w" \
    -o "$ctx/sindri-executor" ./cmd/executor
fi
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -p "$ctx/rootfs/tmp" "$ctx/rootfs/etc" && chmod 1777 "$ctx/rootfs/tmp"
printf 'sindri:x:65532:65532:sindri executor:/tmp:/nonexistent\n' >"$ctx/rootfs/etc/passwd"
printf 'sindri:x:65532:\n' >"$ctx/rootfs/etc/group"
build_scratch_image "$tag" deploy/executor.Dockerfile "$ctx"
