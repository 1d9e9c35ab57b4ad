# The two commands of the README: `make run` and `make test`. Each installs
# what it needs on a fresh machine that has only Go.

GO ?= go
# The recipient of the sample CSV's invoices, which (as many ERP exports)
# has no person columns.
SAMPLE_PERSON = --tipo-identificacion CC --identificacion 52123456 --nombres "Ana María" --apellidos "Gómez Ruiz"

# The fuzz targets, package:target; make test gives each FUZZTIME, make fuzz
# longer. A crash found is written under the package's testdata/fuzz/ and
# stays there as a test case. make test counts executions (20,000 each,
# 3 to 15 s here) rather than seconds: a time limit that ends while a
# worker minimizes a new input fails the run ("context deadline exceeded"),
# and each new input is minimized in ten runs at most.
FUZZ = readers:FuzzCSV readers:FuzzHeader readers:FuzzSheetXML readers:FuzzCleanCell afacturar:FuzzAnswer ssintegral:FuzzAnswer ops:FuzzAttachmentPath
FUZZTIME ?= 20000x

.PHONY: run test fuzz bench capturas build cc office units cross dist

## run: the main job, on samples/, against the built-in sandbox; then the
## DIAN's own export, whose refused and misaddressed invoices are rows to
## look at by design (exit 1)
run:
	$(GO) build -o bin/batch ./cmd/batch
	bin/batch run --sandbox $(SAMPLE_PERSON) \
		-o samples/resultados.xlsx samples/facturas-recibidas.xlsx samples/facturas-recibidas.csv \
		samples/eventos-recibidas.csv samples/facturas-emitidas.csv
	@echo "La exportación de la DIAN, como la da el portal (.xlsx) y como la guarda Excel (.csv), y a quién pagar (por-pagar.csv):"
	@bin/batch run --sandbox $(SAMPLE_PERSON) \
		-o samples/resultados-dian.xlsx samples/dian-recibidos.xlsx samples/dian-recibidos.csv samples/por-pagar.csv; \
		code=$$?; [ $$code -le 1 ] || exit $$code; \
		echo "código $$code: la factura rechazada por la DIAN, la dirigida a otra empresa y las endosadas (por-pagar.csv) quedan en la hoja Atención de samples/resultados-dian.xlsx"

## test: a short run of every fuzz target, then every test with the race
## detector (its summary comes last). LibreOffice and openpyxl are
## installed first: the tests have them read result workbooks back.
test: cc office
	$(GO) vet ./...
	@$(MAKE) --no-print-directory cross
	@$(MAKE) --no-print-directory units
	@$(MAKE) --no-print-directory fuzz
	$(GO) tool gotestsum --format pkgname-and-test-fails -- -race -count=1 ./...

## fuzz: each fuzz target for FUZZTIME (make fuzz FUZZTIME=3m)
fuzz:
	@set -e; for t in $(FUZZ); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name $(FUZZTIME)"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x ./$$pkg 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | tail -n 2; \
	done

## units: the systemd service, its timer and its failure notice of deploy/
## checked with
## systemd-analyze verify, and the service's exposure (systemd-analyze
## security, at most 3.0), where it is installed, against a binary built
## for the check (verify wants ExecStart's program to exist).
units:
	@if command -v systemd-analyze >/dev/null 2>&1; then \
		d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
		$(GO) build -o "$$d/batch" ./cmd/batch && \
		sed "s#/usr/local/bin/batch#$$d/batch#" deploy/batch-nocturno.service > "$$d/batch-nocturno.service" && \
		cp deploy/batch-nocturno.timer deploy/avisar.sh "$$d/" && \
		sed "s#/usr/local/lib/batch/avisar.sh#$$d/avisar.sh#" deploy/batch-aviso@.service > "$$d/batch-aviso@.service" && \
		out=$$(cd "$$d" && systemd-analyze verify batch-nocturno.service batch-nocturno.timer batch-aviso@batch-nocturno.service.service 2>&1); \
		status=$$?; [ -z "$$out" ] && [ $$status = 0 ] || { echo "$$out"; exit 1; }; \
		score=$$(systemd-analyze security --offline=true --threshold=30 "$$d/batch-nocturno.service" 2>&1) || { echo "$$score" | grep -E '✗|Overall'; echo "units: la unidad expone más de 3,0 en systemd-analyze security"; exit 1; }; \
		echo "units: deploy/batch-nocturno.service, .timer y batch-aviso@.service verificadas con systemd-analyze ($$(echo "$$score" | grep -o 'exposure level.*'))"; \
	else echo "units: systemd-analyze no está instalado; no se verifican las unidades"; fi

## bench: pacing against a strict sliding window, and reading a million rows,
## each figure as a ratio against a baseline measured in the same run
bench:
	$(GO) run ./tools/bench

## capturas: the result workbook of the samples read by LibreOffice and by
## openpyxl's read-only mode and compared cell by cell with what batch wrote
## (tools/lectores), then as LibreOffice shows it, converted headless to
## PDF and then to one PNG a sheet, in docs/capturas/.
## The sample CSV has no person columns, so its rows show INVALIDO and the
## Atención sheet has something to show.
capturas: office
	rm -f docs/capturas/resultados*.png
	$(GO) run ./cmd/batch run --sandbox -o docs/capturas/resultados.xlsx \
		samples/facturas-recibidas.xlsx samples/facturas-recibidas.csv; test $$? -le 1
	$(GO) run ./tools/lectores docs/capturas/resultados.xlsx
	cd docs/capturas && soffice --headless --convert-to pdf resultados.xlsx >/dev/null
	pdftoppm -png -r 90 docs/capturas/resultados.pdf docs/capturas/resultados
	rm -f docs/capturas/resultados.pdf docs/capturas/resultados.xlsx
	@ls docs/capturas/*.png

## cross: batch for the six systems it ships for, with CGO_ENABLED=0, and,
## for Windows and macOS, go vet and every package's test binary compiled
## (they cannot run here: -exec /bin/true stands in for running them): a
## change that breaks either fails here.
TARGETS = linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64
cross:
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	for t in $(TARGETS); do \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o "$$d/batch" ./cmd/batch; \
	done; \
	for os in windows darwin; do \
		GOOS=$$os $(GO) vet ./...; \
		CGO_ENABLED=0 GOOS=$$os $(GO) test -count=1 -exec /bin/true ./... > "$$d/$$os.txt" 2>&1 || { cat "$$d/$$os.txt"; exit 1; }; \
	done; \
	echo "cross: batch compila para $(TARGETS); go vet y las pruebas compilan para windows y darwin"

## dist: dist/batch_VERSION_OS_ARCH.{tar.gz,zip} for the six systems, with
## the README and that system's deploy examples, and dist/SHA256SUMS. The
## same commit gives the same bytes.
dist:
	$(GO) run ./tools/dist

## build: the binary in bin/
build:
	$(GO) build -buildvcs=true -o bin/batch ./cmd/batch

# LibreOffice (headless), poppler's pdftoppm and Debian's openpyxl, for
# make test (the three-reader check) and make capturas.
office:
	@command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && /usr/bin/python3 -c 'import openpyxl' 2>/dev/null || { \
		echo "instalando LibreOffice Calc, poppler-utils y python3-openpyxl (para leer los libros de resultados como otros programas)..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-calc-nogui poppler-utils python3-openpyxl >/dev/null; }

# The race detector needs a C compiler; install one where it is missing.
cc:
	@command -v gcc >/dev/null 2>&1 || { \
		echo "instalando gcc (lo necesita go test -race)..."; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc libc6-dev >/dev/null; }
