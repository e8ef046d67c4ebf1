#!/usr/bin/env bash
# Builds the tiny images the Docker provider's tests deploy: sindri-test/hello:1 and :2, a static
# Go HTTP server (testimage/hello) in a FROM-scratch image. The two tags differ in content (the
# reply says v1 or v2), so tests can check that a new image recreates the container.
# Idempotent: skips tags that already exist unless -f/--force (or SINDRI_TEST_IMAGE_FORCE=1).
# Needs go and the docker CLI; never pulls (there is no registry: FROM scratch needs none).
set -euo pipefail
cd "$(dirname "$0")/.."

REPO=${SINDRI_TEST_IMAGE_REPO:-sindri-test/hello}
force=${SINDRI_TEST_IMAGE_FORCE:-0}
case "${1:-}" in
  -f|--force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [-f|--force]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for variant in 1 2; do
  tag="$REPO:$variant"
  if [ "$force" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "build-test-image: $tag exists (use --force to rebuild)" >&2
    continue
  fi
  ctx="$work/$variant"
  mkdir -p "$ctx"
  CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.variant=$variant" \
    -o "$ctx/hello" ./testimage/hello
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY hello /hello
ENV PORT=8080
EXPOSE 8080
LABEL dev.sindri.test-image="hello" dev.sindri.test-image.variant="$variant"
ENTRYPOINT ["/hello"]
DOCKERFILE
  # The legacy builder needs no BuildKit and no network for FROM scratch.
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
  echo "build-test-image: built $tag" >&2
done
