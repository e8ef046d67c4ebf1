#!/usr/bin/env bash
# Builds the action image from a locally built static binary (no base image is pulled):
#   scripts/build-action-image.sh [TAG]      default TAG: sindri/deploy:local
# Env: SINDRI_ACTION_PKG (default ./cmd/action), SINDRI_ACTION_BIN (use this prebuilt static
# binary instead of building), CA_BUNDLE (default the host's bundle), SINDRI_ACTION_TAGS (build
# tags, default nokubernetes: client-go would add ~19 MB to the ~24 MB image; the kubernetes
# provider runs in executors, docs/providers/kubernetes.md "Image size").
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-sindri/deploy:local}
pkg=${SINDRI_ACTION_PKG:-./cmd/action}
ca=${CA_BUNDLE:-}
if [ -z "$ca" ]; then
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    [ -r "$f" ] && { ca=$f; break; }
  done
fi
[ -n "$ca" ] || { echo "build-action-image: no CA bundle found; set CA_BUNDLE" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
if [ -n "${SINDRI_ACTION_BIN:-}" ]; then
  cp "$SINDRI_ACTION_BIN" "$ctx/sindri-action"
else
  CGO_ENABLED=0 GOOS=linux go build -trimpath -tags "${SINDRI_ACTION_TAGS-nokubernetes}" -ldflags "-s -w" -o "$ctx/sindri-action" "$pkg"
fi
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -p "$ctx/rootfs/tmp" && chmod 1777 "$ctx/rootfs/tmp"
# The legacy builder needs neither BuildKit nor a registry for FROM scratch.
# Its deprecation notice goes to stderr; keep it out of the output unless the build fails.
if ! log=$(DOCKER_BUILDKIT=0 docker build -q -f Dockerfile -t "$tag" "$ctx" 2>&1); then
  echo "$log" >&2
  exit 1
fi
size=$(docker image inspect -f '{{.Size}}' "$tag")
echo "build-action-image: $tag ($((size / 1024 / 1024)) MB)"
