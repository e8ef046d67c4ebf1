#!/usr/bin/env bash
# Builds the external tools the heavy tests need, once, into a cache folder keyed on the version,
# and prints the path of the requested tool. Usage: scripts/tools.sh act|packer|devpod|kube-apiserver|nats|caddy|sshd|chromium
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
#   nats            the stock NATS CLI (natscli v0.5.0; v0.5.1 is not served), built once from a
#                   throwaway module (~1-2 min cold): the wire contract's "by hand" commands.
#   sshd            Debian's openssh-server (/usr/sbin/sshd), installed once with apt-get, for the
#                   ssh:// engine test.
#   caddy           Caddy v2.11.9 (the reverse proxy of the preview-URL test), built once from a
#                   throwaway module.
set -euo pipefail
CACHE=${SINDRI_TOOLS_CACHE:-$HOME/.cache/sindri-deploy}
ACT_VERSION=v0.2.89
KUBE_VERSION=v1.37.2    # k8s.io/kubernetes; v1.36.6 is refused by the proxy
KUBE_STAGING=v0.37.2    # the k8s.io/* staging modules that go with it
# devpod: the proxy refuses its version list and `go install` refuses it, so it is built from a
# throwaway module at this exact version (~6 min cold on 2 cores).
DEVPOD_VERSION=v0.6.15
NATSCLI_VERSION=v0.5.0
CADDY_VERSION=v2.11.9   # github.com/caddyserver/caddy/v2, as listed in go-partial.tsv

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

# build_go_tool OUT MODULE VERSION PKG LDFLAGS builds the static binary OUT from package PKG of
# MODULE@VERSION in a throwaway module (go install refuses modules whose version list the proxy
# refuses, or whose go.mod has replace directives). It builds to a temporary name and renames,
# so an interrupted build never leaves a half-written binary that an -x test would accept.
build_go_tool() {
  local out=$1 module=$2 version=$3 pkg=$4 ldflags=$5 work
  work=$(mktemp -d)
  mkdir -p "$(dirname "$out")"
  (
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    printf 'module toolbuild\n\ngo 1.26.0\n' >go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
    GOFLAGS=-mod=mod go get "$module@$version" >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg" >&2
  )
  mv "$out.tmp" "$out"
}

tool=${1:?usage: tools.sh act|packer|devpod|kube-apiserver|nats|caddy|sshd|chromium}
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
      echo "tools: building devpod $DEVPOD_VERSION into $dir (once, ~6 min)" >&2
      build_go_tool "$dir/devpod" github.com/loft-sh/devpod "$DEVPOD_VERSION" github.com/loft-sh/devpod \
        "-X github.com/loft-sh/devpod/pkg/version.version=$DEVPOD_VERSION"
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
  nats)
    dir=$CACHE/nats-$NATSCLI_VERSION
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    if [ ! -x "$dir/nats" ]; then
      echo "tools: building the NATS CLI $NATSCLI_VERSION into $dir (once, ~2-4 min)" >&2
      build_go_tool "$dir/nats" github.com/nats-io/natscli "$NATSCLI_VERSION" github.com/nats-io/natscli/nats ""
    fi
    echo "$dir/nats"
    ;;
  sshd)
    if [ ! -x /usr/sbin/sshd ]; then
      echo "tools: installing Debian's openssh-server package (once)" >&2
      as_root apt-get update -q >&2
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends openssh-server >&2
    fi
    echo /usr/sbin/sshd
    ;;
  caddy)
    dir=$CACHE/caddy-$CADDY_VERSION
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    if [ ! -x "$dir/caddy" ]; then
      echo "tools: building caddy $CADDY_VERSION into $dir (once)" >&2
      build_go_tool "$dir/caddy" github.com/caddyserver/caddy/v2/cmd/caddy "$CADDY_VERSION" github.com/caddyserver/caddy/v2/cmd/caddy ""
    fi
    echo "$dir/caddy"
    ;;
  *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
esac
