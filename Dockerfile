# sindri/deploy container action image (published as ghcr.io/sindri/deploy:v3).
#
# The build context is prepared by scripts/build-action-image.sh (`make action-image`):
#   sindri-action          static binary (CGO_ENABLED=0, -trimpath) of ./cmd/action
#   ca-certificates.crt    CA bundle for api.github.com and remote NATS over TLS
#   tmp/                   empty directory: the embedded NATS store lives under /tmp
# No stage pulls a base image, so it builds with no registry. The release workflow builds the
# same binary with the Go toolchain (actions/setup-go; the golang image works the same) and then
# this Dockerfile, so local and published images are built the same way.

FROM scratch AS rootfs
COPY sindri-action /usr/local/bin/sindri-action
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 tmp/ /tmp/

FROM scratch
COPY --from=rootfs / /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
LABEL org.opencontainers.image.source="https://github.com/sindri/deploy" \
      org.opencontainers.image.description="sindri/deploy: preview environments from sindri.yaml" \
      org.opencontainers.image.licenses="MIT"
# Non-root, as the design asks. GitHub's Dockerfile guidance says Docker actions should run as
# root to write the workspace and file commands; see docs/action.md ("Container user").
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sindri-action"]
