# sindri executor image (cmd/executor): the long-lived job worker, FROM scratch.
#
# The build context is prepared by scripts/build-executor-image.sh (`make executor-image`):
#   sindri-executor        static binary (CGO_ENABLED=0, -trimpath) of ./cmd/executor
#   ca-certificates.crt    CA bundle for the providers' APIs and NATS over TLS
#   rootfs/tmp/            empty directory, mode 1777 (providers' scratch files)
#   rootfs/etc/passwd      one line naming the sindri user (uid 65532), for tools that look it up
# No stage pulls a base image, so it builds with no registry (docs/operations.md, "Image").

FROM scratch AS rootfs
COPY sindri-executor /usr/local/bin/sindri-executor
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY rootfs/ /

FROM scratch
COPY --from=rootfs / /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp \
    SINDRI_METRICS_LISTEN=:9090
LABEL org.opencontainers.image.source="https://github.com/sindri/deploy" \
      org.opencontainers.image.description="sindri/deploy executor: runs preview-environment jobs from NATS JetStream" \
      org.opencontainers.image.licenses="MIT"
# Not root: the executor needs no privilege of its own. The Docker provider needs the engine
# socket's group (docker run --group-add), docs/operations.md "Image".
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/sindri-executor"]
