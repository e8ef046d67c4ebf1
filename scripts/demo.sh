#!/usr/bin/env bash
# The README's main command: a real preview-environment round trip on the embedded default.
# Embedded NATS + in-process executor + the Docker provider on this machine's engine:
# deploy, print the job summary and URL, check the URL answers on 127.0.0.1, stop, start,
# destroy, and check nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/sindri-action}
CFG=examples/demo/sindri.yaml
ENV=sindri-demo
export DEMO_TOKEN=${DEMO_TOKEN:-demo-secret-$RANDOM$RANDOM}   # reaches the container, never the output

step() { printf '\n=== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

step "validate $CFG"
"$BIN" validate -c "$CFG"

step "deploy $ENV (embedded NATS + executor, Docker provider)"
out=$("$BIN" local deploy -c "$CFG" | tee -a /dev/stderr)
url=$(sed -n 's/^  url=//p' <<<"$out")
[ -n "$url" ] || fail "deploy printed no url"
grep -q "$DEMO_TOKEN" <<<"$out" && fail "the secret value appeared in the output"

step "GET $url"
body=$(curl -fsS --retry 10 --retry-delay 1 --retry-connrefused "$url") || fail "$url did not answer"
echo "$body"
curl -fsS "$url/env-check?name=DEMO_TOKEN" | tee -a /dev/stderr | grep -q true || fail "DEMO_TOKEN did not reach the container"
echo

step "stop"
"$BIN" local stop -c "$CFG"
curl -fsS -m 2 "$url" >/dev/null 2>&1 && fail "$url still answers after stop"

step "start"
"$BIN" local start -c "$CFG"
curl -fsS --retry 10 --retry-delay 1 --retry-connrefused "$url" >/dev/null || fail "$url did not answer after start"
echo "answers again: $url"

step "destroy"
"$BIN" local destroy -c "$CFG"
left=$(docker ps -a -q --filter "label=sindri.dev/env=$ENV"; docker volume ls -q --filter "label=sindri.dev/env=$ENV"; docker network ls -q --filter "label=sindri.dev/env=$ENV")
[ -z "$left" ] || fail "left behind: $left"
echo "nothing left behind (containers, volumes, networks labelled sindri.dev/env=$ENV)"

step "demo passed"
