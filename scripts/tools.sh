#!/usr/bin/env bash
# Builds the external tools the heavy tests need, once, into a cache folder keyed on the version,
# and prints the path of the requested tool. Usage: scripts/tools.sh act|packer|devpod|kube-apiserver|chromium
#
#   act             prints the act binary.
#   packer          Debian's package (Packer v1.6.6, the version the VM templates are validated
#                   with): /usr/bin/packer when present, else installed once with apt-get.
#   devpod          devpod v0.6.15, built once from a throwaway module (~6 min cold).
#   chromium        Debian's chromium (headless, for the web view's browser test): /usr/bin/chromium
#                   when present, else installed once with apt-get.
#   kube-apiserver  prints the envtest assets folder holding kube-apiserver (built from the
#                   module proxy, ~8.5 min cold, 2.8 GB RSS) and etcd (Debian's etcd-server),
#                   for envtest.Environment.BinaryAssetsDirectory / KUBEBUILDER_ASSETS.
set -euo pipefail
CACHE=${SINDRI_TOOLS_CACHE:-$HOME/.cache/sindri-deploy}
ACT_VERSION=v0.2.89
KUBE_VERSION=v1.37.2    # k8s.io/kubernetes; v1.36.6 is refused by the proxy
KUBE_STAGING=v0.37.2    # the k8s.io/* staging modules that go with it
# devpod: the proxy refuses its version list and `go install` refuses it, so it is built from a
# throwaway module at this exact version (~6 min cold on 2 cores).
DEVPOD_VERSION=v0.6.15

# as_root runs a command as root, through sudo only when we are not root already.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_etcd installs Debian's etcd-server (3.4.23 on bookworm) when no etcd is on the machine.
ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  echo "tools: installing Debian etcd-server" >&2
  as_root apt-get update >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends etcd-server >&2
}

# build_kube_apiserver builds cmd/kube-apiserver at $KUBE_VERSION into $1 with a throwaway module:
# go install refuses k8s.io/kubernetes because its go.mod has replace directives.
build_kube_apiserver() {
  local out=$1 work mod minor
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  echo "tools: building kube-apiserver $KUBE_VERSION into $out (once; ~8.5 min cold)" >&2
  (
    cd "$work"
    printf 'module k8sbuild\n\ngo 1.26.0\n' > go.mod
    GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
    mod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod
    { echo 'replace ('
      awk -v v="$KUBE_STAGING" '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print "\t"$1" => "$1" "v}' "$mod"
      echo ')'; } >> go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' > tools.go
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >&2
    minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
      -o "$out/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
    mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"
  )
}

tool=${1:?usage: tools.sh act|packer|devpod|kube-apiserver|chromium}
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
  chromium)
    if [ ! -x /usr/bin/chromium ]; then
      echo "tools: installing Debian's chromium package (once)" >&2
      as_root apt-get update -q >&2
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends chromium >&2
    fi
    echo /usr/bin/chromium
    ;;
  packer)
    if [ ! -x /usr/bin/packer ]; then
      echo "tools: installing Debian's packer package (once)" >&2
      as_root apt-get update -q >&2
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends packer >&2
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
  kube-apiserver)
    dir=$CACHE/envtest-$KUBE_VERSION
    mkdir -p "$dir"
    ensure_etcd
    # Two heavy test packages may ask at once: one builds, the other waits on the lock.
    exec 9>"$dir/.lock"
    flock 9
    [ -x "$dir/kube-apiserver" ] || build_kube_apiserver "$dir"
    ln -sf "$(command -v etcd)" "$dir/etcd"
    if command -v kubectl >/dev/null 2>&1; then ln -sf "$(command -v kubectl)" "$dir/kubectl"; fi
    echo "$dir"
    ;;
  *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
esac
