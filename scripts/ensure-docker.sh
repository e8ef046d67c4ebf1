#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, starting Debian's dockerd when it does not.
# Fails loudly: the Docker provider's tests and the demo need a real engine.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: no dockerd; installing Debian's docker.io" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
log=${TMPDIR:-/tmp}/sindri-dockerd.log
echo "ensure-docker: starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "ensure-docker: FAILED: the Docker engine did not become reachable in 30 s; see $log" >&2
tail -20 "$log" >&2 || true
exit 1
