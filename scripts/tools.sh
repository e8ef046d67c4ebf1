#!/usr/bin/env bash
# Builds the external tools the heavy tests need, once, into a cache folder keyed on the version,
# and prints the path of the requested tool. Usage: scripts/tools.sh act|packer
# packer is Debian's package (Packer v1.6.6, the version the VM templates are validated with):
# /usr/bin/packer when present, else installed once with apt-get (as root, or through sudo).
set -euo pipefail
CACHE=${SINDRI_TOOLS_CACHE:-$HOME/.cache/sindri-deploy}
ACT_VERSION=v0.2.89

tool=${1:?usage: tools.sh act|packer}
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
  *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
esac
