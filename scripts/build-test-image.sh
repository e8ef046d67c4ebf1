#!/usr/bin/env bash
# Builds the tiny images the Docker provider's tests deploy: sindri-test/hello:1 and :2, a static
# Go HTTP server (testimage/hello) in a FROM-scratch image. The two tags differ in content (the
# reply says v1 or v2), so tests can check that a new image recreates the container.
# It also builds the DevPod provider's images, sindri-test/devpod:1 and :fail: devpod runs its
# agent through a shell, so they hold Debian's static busybox (installed once with apt-get when
# /bin/busybox is missing), a "developer" user and /docker/scripts/entrypoint.sh (the
# postStartCommand of every generated devcontainer.json), which exits 3 in :fail.
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

DEVPOD_REPO=${SINDRI_TEST_DEVPOD_IMAGE_REPO:-sindri-test/devpod}
for variant in 1 fail; do
  tag="$DEVPOD_REPO:$variant"
  if [ "$force" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "build-test-image: $tag exists (use --force to rebuild)" >&2
    continue
  fi
  if [ ! -x /bin/busybox ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    echo "build-test-image: installing Debian's busybox-static (once)" >&2
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends busybox-static >&2
  fi
  ctx="$work/devpod-$variant"
  mkdir -p "$ctx/root/bin" "$ctx/root/etc" "$ctx/root/docker/scripts" "$ctx/root/tmp" "$ctx/root/alt/home/developer" "$ctx/root/root"
  cp /bin/busybox "$ctx/root/bin/busybox"
  for app in $(/bin/busybox --list); do
    [ "$app" = busybox ] || ln -s busybox "$ctx/root/bin/$app"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\ndeveloper:x:1001:1001:developer:/alt/home/developer:/bin/sh\n' >"$ctx/root/etc/passwd"
  printf 'root:x:0:\ndeveloper:x:1001:\n' >"$ctx/root/etc/group"
  if [ "$variant" = fail ]; then
    printf '#!/bin/sh\necho "sindri entrypoint: starting"\necho "sindri entrypoint: fatal: no such profile" >&2\nexit 3\n' >"$ctx/root/docker/scripts/entrypoint.sh"
  else
    printf '#!/bin/sh\necho "sindri entrypoint: ready"\n' >"$ctx/root/docker/scripts/entrypoint.sh"
  fi
  chmod 755 "$ctx/root/docker/scripts/entrypoint.sh"
  chmod 1777 "$ctx/root/tmp"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY root/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
LABEL dev.sindri.test-image="devpod" dev.sindri.test-image.variant="$variant"
CMD ["/bin/sh"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
  echo "build-test-image: built $tag" >&2
done
