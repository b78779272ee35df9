# webmath: `make demo` and `make test` set up everything on a fresh machine (Python venv, packages, the Delta
# jars from Maven Central) and then run.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
WAREHOUSE ?= warehouse
STAMP   = $(VENV)/.installed

.PHONY: install jars demo test bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Resolve the Delta jars once (Ivy cache), so the first job does not pay for it.
jars: install
	$(BIN)/webmath warm

# The bootstrap classifier, trained from the shipped seed text (seconds) when it is not there yet.
models/math_recall.bin: | install
	$(BIN)/webmath train-classifier --name math_recall

demo: jars models/math_recall.bin
	$(BIN)/webmath run --input data/sample-crawl/warc.paths --warehouse $(WAREHOUSE)
	$(BIN)/webmath evaluate --warehouse $(WAREHOUSE) --truth data/sample-crawl/truth.jsonl
	@echo "tables: $(WAREHOUSE)/  (query them with Spark SQL or delta-rs)"

test: jars
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m jobs.bench $(if $(RECORDS),--records $(RECORDS))

clean:
	rm -rf $(WAREHOUSE) bench-out .pytest_cache
