# ferry — build, test, demo and benchmarks. Every target installs what it needs itself.
SHELL := /bin/bash
GO ?= go
BIN := bin/ferry
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/ferryml/ferry/internal/version.Version=$(VERSION)
ORT = $(shell scripts/onnxruntime.sh)

.PHONY: all build test vet demo onnxruntime data bench fuzz fmt clean help docs

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## build bin/ferry
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ferry

onnxruntime: ## install onnxruntime's shared library (from npm onnxruntime-node) and print its path
	@scripts/onnxruntime.sh

data: ## fetch the real datasets (npm vega-datasets) and print their folder
	@scripts/vega-data.sh

vet:
	$(GO) vet ./...

test: vet build ## every test, then a shortened demo (installs onnxruntime first)
	ONNXRUNTIME_SHARED_LIBRARY_PATH=$(ORT) $(GO) test -count=1 ./...
	ONNXRUNTIME_SHARED_LIBRARY_PATH=$(ORT) FERRY_DEMO_SHORT=1 scripts/demo.sh $(BIN) >/dev/null 2>demo-test.log \
	  || { tail -n 60 demo-test.log; echo "make test: the shortened demo failed (log: demo-test.log)"; exit 1; }
	@rm -f demo-test.log; echo "make test: shortened demo passed"

demo: build ## the main job end to end on embedded defaults
	ONNXRUNTIME_SHARED_LIBRARY_PATH=$(ORT) scripts/demo.sh $(BIN)

bench: ## benchmarks on real data (see docs/benchmarks.md)
	ONNXRUNTIME_SHARED_LIBRARY_PATH=$(ORT) FERRY_DATA=$$(scripts/vega-data.sh) \
	  $(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./...

docs: build ## regenerate docs/reference (CLI and spec reference) from the code
	$(BIN) docs --out docs/reference

fuzz: ## fuzz the spec loader for 30s
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 30s ./spec

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
