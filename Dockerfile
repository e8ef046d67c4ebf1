# sindri/deploy container action image (published as ghcr.io/sindri/deploy:v3).
#
# The build context is prepared by scripts/build-action-image.sh (`make action-image`):
#   sindri-action          static binary (CGO_ENABLED=0, -trimpath) of ./cmd/action
#   ca-certificates.crt    CA bundle for api.github.com and remote NATS over TLS
#   rootfs/tmp/            empty directory, mode 1777: the embedded NATS store lives under /tmp
#                          (copied as rootfs/ so the builder keeps the directory's own mode)
# No stage pulls a base image, so it builds with no registry. The release workflow builds the
# same binary with the Go toolchain (actions/setup-go; the golang image works the same) and then
# this Dockerfile, so local and published images are built the same way.

FROM scratch AS rootfs
COPY sindri-action /usr/local/bin/sindri-action
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY rootfs/ /

FROM scratch
COPY --from=rootfs / /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
LABEL org.opencontainers.image.source="https://github.com/sindri/deploy" \
      org.opencontainers.image.description="sindri/deploy: preview environments from sindri.yaml" \
      org.opencontainers.image.licenses="MIT"
# Root, as GitHub's Dockerfile guidance for Docker actions asks: the runner creates the
# file-command files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) owned by its own user with mode 0644,
# and the Docker provider needs the engine socket (root:docker, 0660). A non-root USER broke
# both under act (e2e/act); see docs/action.md ("Container user").
USER 0:0
ENTRYPOINT ["/usr/local/bin/sindri-action"]
