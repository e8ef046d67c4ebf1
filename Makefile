# sindri/deploy — developer entry points. The README names two of them: `make demo` and `make test`.
SHELL := /usr/bin/env bash
GO ?= go
BIN := bin
export TESTCONTAINERS_RYUK_DISABLED := true
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1

.PHONY: demo test test-quick build vet fuzz bench report test-image action-image executor-image tools clean

## demo: a real preview-environment round trip on the embedded default (Docker provider).
demo: build test-image
	scripts/demo.sh

## test: everything CI runs: the quick suite plus the heavy suites (real engine, subprocess
## executors, cluster, chaos, act, a real kube-apiserver under envtest), the demo round trip (the README's first command) and
## bounded fuzzing.
test: vet test-image
	SINDRI_HEAVY=1 SINDRI_ACT=1 SINDRI_ACT_BIN="$$(scripts/tools.sh act)" SINDRI_PACKER_BIN="$$(scripts/tools.sh packer)" \
	  SINDRI_DEVPOD_BIN="$$(scripts/tools.sh devpod)" ENVTEST_ASSETS="$$(scripts/tools.sh kube-apiserver)" \
	  SINDRI_NATS_BIN="$$(scripts/tools.sh nats)" \
	  $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) demo
	$(MAKE) report
	$(MAKE) fuzz

## report: the suites whose output is a report: the chaos runs' counts (600 jobs on one server;
## CHAOS_JOBS on CHAOS_ENVS environments on a 3-node cluster, with the leader-loss stall), GitHub
## API requests per PR event (counted, and conditional 304s apart), and the benchmarks with their baselines in the same run.
CHAOS_JOBS ?= 10000
CHAOS_ENVS ?= 200
report:
	set -o pipefail; SINDRI_CHAOS=1 $(GO) test -count=1 -v -timeout 15m -run '^TestChaos$$' ./cmd/executor \
	  | grep -E '^(chaos:|--- |ok|FAIL|panic)'
	set -o pipefail; SINDRI_CHAOS=1 SINDRI_CHAOS_JOBS=$(CHAOS_JOBS) SINDRI_CHAOS_ENVS=$(CHAOS_ENVS) $(GO) test -count=1 -v -timeout 30m \
	  -run '^TestChaosCluster$$' ./cmd/executor | grep -E '^(chaos-cluster:|--- |ok|FAIL|panic)'
	set -o pipefail; SINDRI_HEAVY=1 $(GO) test -count=1 -v -run '^(TestE2EPullRequestLifecycle|TestE2ERequestsWithKeptStore|TestE2EConditionalLookupsWithKeptStore|TestE2EChatOpsDeployDestroy|TestLoadConcurrentActions)$$' ./cmd/action \
	  | grep -E 'GitHub API|load:|^(--- |ok|FAIL|panic)'
	$(GO) test -run '^$$' -bench . -benchtime 200x ./pkg/executor
	$(GO) test -run '^$$' -bench . -benchtime 1x ./cmd/executor
	$(GO) test -run '^$$' -bench . -benchtime 3x ./pkg/providers/docker
	$(GO) test -run '^$$' -bench . ./pkg/config ./pkg/secrets

## test-quick: the edit-loop suite (heavy suites skip themselves).
test-quick:
	$(GO) test ./...

# `sindri-action version` / `sindri-executor version` print these (internal/version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION_LDFLAGS = -X github.com/sindri/deploy/v3/internal/version.Version=$(VERSION) -X github.com/sindri/deploy/v3/internal/version.Commit=$(COMMIT)

build:
	mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(VERSION_LDFLAGS)" -o $(BIN)/sindri-action ./cmd/action
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(VERSION_LDFLAGS)" -o $(BIN)/sindri-executor ./cmd/executor

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a duration run with a
# bare "context deadline exceeded" at the deadline (go.dev/issue/75804, fixed in Go 1.27), and a
# duration run of FuzzLoad stalled after about 70 executions here. About 5-15 s per target.
FUZZTIME ?= 100000x
fuzz:
	$(GO) test ./pkg/config -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/chatops -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/action -run '^$$' -fuzz '^FuzzRouteAuthorize$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/secrets -run '^$$' -fuzz '^FuzzRedactingWriter$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/secrets -run '^$$' -fuzz '^FuzzParseEnvFile$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

test-image:
	scripts/ensure-docker.sh
	scripts/build-test-image.sh

action-image: 
	scripts/build-action-image.sh

## executor-image: the executor's FROM-scratch image (docs/operations.md), tag sindri/executor:local.
executor-image:
	scripts/build-executor-image.sh

clean:
	rm -rf $(BIN)
