# The two commands of the README: `make run` and `make test`. Each installs
# what it needs on a fresh machine that has only Go.

GO ?= go
# The recipient of the sample CSV's invoices, which (as many ERP exports)
# has no person columns.
SAMPLE_PERSON = --tipo-identificacion CC --identificacion 52123456 --nombres "Ana María" --apellidos "Gómez Ruiz"

.PHONY: run test bench build cc

## run: the main job, on samples/, against the built-in sandbox
run:
	$(GO) run ./cmd/batch run --sandbox $(SAMPLE_PERSON) \
		-o samples/resultados.xlsx samples/facturas-recibidas.xlsx samples/facturas-recibidas.csv

## test: every test, with the race detector
test: cc
	$(GO) vet ./...
	$(GO) tool gotestsum --format pkgname-and-test-fails -- -race -count=1 ./...

## bench: pacing against a strict sliding window, and reading a million rows,
## each figure as a ratio against a baseline measured in the same run
bench:
	$(GO) run ./internal/bench

## build: the binary in bin/
build:
	$(GO) build -o bin/batch ./cmd/batch

# The race detector needs a C compiler; install one where it is missing.
cc:
	@command -v gcc >/dev/null 2>&1 || { \
		echo "instalando gcc (lo necesita go test -race)..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc libc6-dev >/dev/null; }
