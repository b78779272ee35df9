"""Shared fixtures: the repository's data folders and one real embedded Spark session with Delta."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SAMPLE = DATA / "sample-crawl"
REAL = DATA / "warc-real"
BROKEN = DATA / "warc-broken"
ONE_FILE = SAMPLE / "CC-SAMPLE-2026-01-mini-00002.warc.gz"
# columns that say when or by which run a row was written, not what it holds
VOLATILE = {"run_id", "computed_at", "finished_at", "started_at"}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.fixture(scope="session")
def truth() -> list[dict]:
    return load_jsonl(SAMPLE / "truth.jsonl")


def make_config(*overrides: str) -> dict:
    """The local profile on two cores, without the Spark UI (tests need no web server)."""
    from jobs import config
    return config.load(config.CONF_DIR / "local.toml",
                       ['spark.master="local[2]"', "spark.shuffle_partitions=2", "spark.conf.spark.ui.enabled=false",
                        *overrides])


@pytest.fixture(scope="session")
def spark():
    from jobs import session
    spark = session.build(make_config(), "tests")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def sample_docs() -> dict[str, dict]:
    """url -> document row of the shipped sample crawl, extracted by plain Python (no Spark)."""
    from jobs import extract
    from udfs.extract import extract_file

    opts = extract.options(make_config(), "fixture")
    docs = {}
    for path in sorted(SAMPLE.glob("*.warc.gz")):
        for row in extract_file(str(path), opts):
            if row["kind"] == "document":
                docs[row["url"]] = row
    return docs


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """The bootstrap math_recall and math_precision models, trained from the shipped text by the project's own
    job, once per test run: with several pytest-xdist workers the first one trains them, the others wait."""
    import fcntl
    import os

    from jobs import train_classifier

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent   # the run's folder, shared by its workers
    out = root / "models"
    with open(root / "models.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").exists():
            out.mkdir(exist_ok=True)
            for name in ("math_recall", "math_precision"):
                train_classifier.run(make_config(f'classifier.model_dir="{out}"'), name)
            (out / "done").touch()
    return out


@pytest.fixture(scope="session")
def sample_recalled(spark, tmp_path_factory, models_dir) -> tuple[Path, dict]:
    """The shipped sample crawl extracted and carried through language and math_recall (run id `run-f`), once
    per session: (warehouse, each stage's summary). Read it, or `copy_warehouse` it before writing."""
    from jobs import cli, extract, inputs

    warehouse = tmp_path_factory.mktemp("recalled")
    cfg = make_config(f'run.warehouse="{warehouse}"', 'run.run_id="run-f"', f'classifier.model_dir="{models_dir}"')
    summaries = {"extract": extract.run(spark, cfg, inputs.resolve(str(SAMPLE / "warc.paths")))}
    for stage in ("language", "math_recall"):
        summaries[stage] = cli.run_stage(spark, cfg, stage, None)
    return warehouse, summaries


@pytest.fixture(scope="session")
def clean(spark, tmp_path_factory, models_dir) -> tuple[Path, dict]:
    """One clean `run` of the last sample file in this process (run id `clean`): (warehouse, config). Read it,
    or copy it before writing anything but `progress`."""
    from jobs import cli
    warehouse = tmp_path_factory.mktemp("clean")
    cfg = make_config(f'run.warehouse="{warehouse}"', 'run.run_id="clean"', f'classifier.model_dir="{models_dir}"')
    cli.run_pipeline(spark, cfg, cli.PIPELINE, [str(ONE_FILE)])
    return warehouse, cfg


def table_contents(spark, warehouse) -> dict:
    """Every table but stage_stats and progress as sorted rows, without the VOLATILE columns."""
    from jobs import tables
    out = {}
    for name in tables.TABLES:
        if name in ("stage_stats", "progress") or not tables.exists(spark, str(warehouse), name):
            continue
        df = tables.read(spark, str(warehouse), name)
        keep = [c for c in df.columns if c not in VOLATILE]
        out[name] = sorted(repr(tuple(r)) for r in df.select(*keep).collect())
    return out


def read_from(contents: dict, local_file: Path, url: str) -> dict:
    """`table_contents` of a run that read `local_file`, as they are when it was read from `url` instead (the WARC
    path of every row's provenance)."""
    return {table: sorted(r.replace(repr(str(local_file)), repr(url)) for r in rows)
            for table, rows in contents.items()}


def copy_warehouse(source: Path, target: Path) -> Path:
    import shutil
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def s3():
    """A real S3 API (moto's server on 127.0.0.1, a free port) for this test process, with fake credentials in the
    environment (moto accepts any until a test asks it to check them: S3Server.require_auth), a bucket laid out
    like Common Crawl's with the sample crawl (`s3.sample`: the URL of its warc.paths.gz, whose lines are
    relative to the bucket) and an empty warehouse bucket (`s3.warehouse`). Buckets a test writes to are its own."""
    import os

    from tests import s3server

    saved = {k: os.environ.get(k) for k in s3server.CREDENTIALS}
    os.environ.update(s3server.CREDENTIALS)
    server = s3server.start()
    try:
        server.sample = server.make_crawl("commoncrawl-sample", sorted(SAMPLE.glob("*.warc.gz")))
        server.warehouse = "webmath-warehouse"
        server.make_bucket(server.warehouse)
        yield server
    finally:
        server.server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
