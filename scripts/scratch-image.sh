# Sourced by the image build scripts (build-action-image.sh, build-executor-image.sh): the
# steps every FROM-scratch image of this project shares.

# find_ca_bundle prints CA_BUNDLE or the host's CA bundle, or fails naming the variable to set.
find_ca_bundle() {
  local f
  if [ -n "${CA_BUNDLE:-}" ]; then echo "$CA_BUNDLE"; return 0; fi
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    [ -r "$f" ] && { echo "$f"; return 0; }
  done
  echo "$(basename "$0"): no CA bundle found; set CA_BUNDLE" >&2
  return 1
}

# build_scratch_image TAG DOCKERFILE CONTEXT builds with the legacy builder, which needs neither
# BuildKit nor a registry for FROM scratch; its deprecation notice goes to stderr and is kept out
# of the output unless the build fails. Then it prints the tag and the image's size.
build_scratch_image() {
  local tag=$1 dockerfile=$2 ctx=$3 log size
  if ! log=$(DOCKER_BUILDKIT=0 docker build -q -f "$dockerfile" -t "$tag" "$ctx" 2>&1); then
    echo "$log" >&2
    return 1
  fi
  size=$(docker image inspect -f '{{.Size}}' "$tag")
  echo "$(basename "$0" .sh): $tag ($((size / 1024 / 1024)) MB)"
}
