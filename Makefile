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

# The bootstrap classifiers, trained from the shipped seed text (seconds) when they are missing or older than
# the text and configuration they learn from.
MODELS = models/math_recall.bin models/math_precision.bin
models/%.bin: data/seed/math_positive.txt data/seed/non_math_negative.txt data/seed/api_docs.jsonl.gz \
              data/seed/api_docs_no_formula.jsonl.gz conf/defaults.toml | install
	$(BIN)/webmath train-classifier --name $*

demo: jars $(MODELS)
	$(BIN)/webmath run --input data/sample-crawl/warc.paths --warehouse $(WAREHOUSE)
	$(BIN)/webmath evaluate --warehouse $(WAREHOUSE) --truth data/sample-crawl/truth.jsonl
	$(BIN)/webmath report --warehouse $(WAREHOUSE)
	@echo "tables: $(WAREHOUSE)/  (query them with Spark SQL or delta-rs)"
	@echo "report: $(WAREHOUSE)/report/index.html  (open it in a browser)"

test: jars
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m jobs.bench $(if $(RECORDS),--records $(RECORDS))

clean:
	rm -rf $(WAREHOUSE) bench-out .pytest_cache
