#!/usr/bin/env bash
# Builds the external tools the heavy tests need, once, into a cache folder keyed on the version,
# and prints the path of the requested tool. Usage: scripts/tools.sh act
set -euo pipefail
CACHE=${SINDRI_TOOLS_CACHE:-$HOME/.cache/sindri-deploy}
ACT_VERSION=v0.2.89

tool=${1:?usage: tools.sh act}
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
  *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
esac
