# sindri/deploy — developer entry points. The README names two of them: `make demo` and `make test`.
SHELL := /usr/bin/env bash
GO ?= go
BIN := bin
export TESTCONTAINERS_RYUK_DISABLED := true
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1

.PHONY: demo test test-quick build vet fuzz bench test-image action-image tools clean

## demo: a real preview-environment round trip on the embedded default (Docker provider).
demo: build test-image
	scripts/demo.sh

## test: everything CI runs: the quick suite plus the heavy suites (real engine, subprocess
## executors, cluster, chaos, act) and bounded fuzzing.
test: vet test-image
	SINDRI_HEAVY=1 SINDRI_CHAOS=1 SINDRI_ACT=1 SINDRI_ACT_BIN="$$(scripts/tools.sh act)" \
	  $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) fuzz

## test-quick: the edit-loop suite (heavy suites skip themselves).
test-quick:
	$(GO) test ./...

build:
	mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/sindri-action ./cmd/action
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/sindri-executor ./cmd/executor

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

FUZZTIME ?= 15s
fuzz:
	$(GO) test ./pkg/config -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/chatops -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/secrets -run '^$$' -fuzz '^FuzzRedactingWriter$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/secrets -run '^$$' -fuzz '^FuzzParseEnvFile$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

test-image:
	scripts/ensure-docker.sh
	scripts/build-test-image.sh

action-image: 
	scripts/build-action-image.sh

clean:
	rm -rf $(BIN)
