#!/usr/bin/env bash
# Builds the external tools the heavy tests need, once, into a cache folder keyed on the version,
# and prints the path of the requested tool. Usage: scripts/tools.sh act|packer|devpod
# packer is Debian's package (Packer v1.6.6, the version the VM templates are validated with):
# /usr/bin/packer when present, else installed once with apt-get (as root, or through sudo).
set -euo pipefail
CACHE=${SINDRI_TOOLS_CACHE:-$HOME/.cache/sindri-deploy}
ACT_VERSION=v0.2.89
# devpod: the proxy refuses its version list and `go install` refuses it, so it is built from a
# throwaway module at this exact version (~6 min cold on 2 cores).
DEVPOD_VERSION=v0.6.15

tool=${1:?usage: tools.sh act|packer|devpod}
case "$tool" in
  act)
    dir=$CACHE/act-$ACT_VERSION
    if [ ! -x "$dir/act" ]; then
      mkdir -p "$dir"
      echo "tools: building act $ACT_VERSION into $dir (once)" >&2
      GOBIN=$dir GOFLAGS=-mod=mod go install "github.com/nektos/act@$ACT_VERSION" >&2
    fi
    echo "$dir/act"
    ;;
  packer)
    if [ ! -x /usr/bin/packer ]; then
      sudo=""
      if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
      echo "tools: installing Debian's packer package (once)" >&2
      $sudo apt-get update -q >&2
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends packer >&2
    fi
    echo /usr/bin/packer
    ;;
  devpod)
    dir=$CACHE/devpod-$DEVPOD_VERSION
    if [ ! -x "$dir/devpod" ]; then
      mkdir -p "$dir"
      echo "tools: building devpod $DEVPOD_VERSION into $dir (once, ~6 min)" >&2
      work=$(mktemp -d)
      trap 'rm -rf "$work"' EXIT
      (
        cd "$work"
        printf 'module devpodbuild\n\ngo 1.26.0\n' >go.mod
        printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/loft-sh/devpod"\n' >tools.go
        GOFLAGS=-mod=mod go get "github.com/loft-sh/devpod@$DEVPOD_VERSION" >&2
        # Build to a temporary name and rename, so an interrupted build never leaves a
        # half-written binary that the -x test above would accept.
        CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
          -ldflags "-s -w -X github.com/loft-sh/devpod/pkg/version.version=$DEVPOD_VERSION" \
          -o "$dir/devpod.tmp" github.com/loft-sh/devpod >&2
      )
      mv "$dir/devpod.tmp" "$dir/devpod"
    fi
    echo "$dir/devpod"
    ;;
  *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
esac
