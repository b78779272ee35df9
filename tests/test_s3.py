"""The cloud path through a real S3 API (moto's S3 server on 127.0.0.1, conftest's `s3` fixture): the `webmath`
command reads Common Crawl's layout from `s3://` (warc.paths.gz and the WARC files, through s3fs, on the driver
and in the Spark tasks) and writes its Delta warehouse to `s3a://` (Spark's S3A with hadoop-aws), as a user runs
it; the tables equal those of the local run of the same file. Bad input on the cloud path (a missing bucket, an
endpoint that refuses connections, credentials S3 does not accept) stops with one line before anything is
written; a listed WARC file that is not in the bucket is a `failed` row of `ingest_log`, as a missing local file
is, and the run goes on."""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from jobs import lease
from jobs.config import ConfigError
from jobs.tables import PIPELINE
from tests import s3server
from tests.conftest import ONE_FILE, REAL, ROOT, SAMPLE, make_config, read_from, table_contents

# the module's tests share one S3 run (and the clean local run it is compared with): one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("s3")

CC, WH = "cc-run", "wh-run"
WAREHOUSE = f"s3a://{WH}/wh"
NEW_FILE = REAL / "whirlwind.warc.gz"   # a real Common Crawl WARC file (CC-MAIN-2024-22), one page
RUN_FILE = f"s3://{CC}/{s3server.segment_key(ONE_FILE.name, 0)}"
NEW_URL = f"s3://{CC}/{s3server.segment_key(NEW_FILE.name, 1)}"
MISSING_URL = f"s3://{CC}/{s3server.segment_key('CC-SAMPLE-2026-01-mini-00009.warc.gz', 2)}"


def webmath(s3, *args, models_dir, warehouse=WAREHOUSE) -> subprocess.Popen:
    """`webmath ...` in a process of its own (its own embedded Spark), pointed at the test S3 server."""
    command = [sys.executable, "-m", "jobs.cli", *args, "--warehouse", warehouse,
               "--set", 'spark.master="local[2]"', "--set", "spark.shuffle_partitions=2",
               "--set", f'classifier.model_dir="{models_dir}"', "--set", "spark.conf.spark.ui.enabled=false"]
    for setting in s3.settings():
        command += ["--set", setting]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **s3server.CREDENTIALS}, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """End a `webmath` process that is still running, with its JVM and Python workers (its own session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def finish(proc: subprocess.Popen, started: float) -> dict:
    out, err = proc.communicate(timeout=900)
    return {"code": proc.returncode, "out": out, "err": err, "seconds": round(time.time() - started, 1)}


def step(s3, *args, models_dir) -> dict:
    """`webmath ...` to its end."""
    started = time.time()
    return finish(webmath(s3, *args, models_dir=models_dir), started)


def rows(spark, table: str, *columns: str) -> list[tuple]:
    from jobs import tables
    return sorted(tuple(r) for r in tables.read(spark, WAREHOUSE, table).select(*columns).collect())


# session scope: the steps run once per test process (with module scope, a run with two pytest-xdist workers
# set them up twice)
@pytest.fixture(scope="session")
def s3_run(s3, request, models_dir) -> dict:
    """One warehouse on S3, as a user makes it: `webmath run` of ONE_FILE from a Common Crawl layout on S3, then
    `refresh` with nothing new, then `refresh` after a new WARC file and a line naming an object that does not
    exist were added to the listing, then `sql`, `report` and `export --out s3://`. Each step's exit code and
    output, the tables right after the run, and the warehouse's keys before and after the first refresh."""
    paths = s3.make_crawl(CC, [ONE_FILE])
    s3.make_bucket(WH)
    prefix = ["--set", f"input.prefix=s3://{CC}/"]
    started = time.time()
    proc = webmath(s3, "run", "--input", paths, *prefix, "--run-id", "s3", models_dir=models_dir)
    try:
        # the local reference runs in this process while the S3 run works
        request.getfixturevalue("clean")
        spark = request.getfixturevalue("spark")
        out = {"run": finish(proc, started)}
    finally:
        stop(proc)
    assert out["run"]["code"] == 0, out["run"]["err"][-3000:]
    s3.open_to(spark)
    out["tables"] = table_contents(spark, WAREHOUSE)
    out["keys_before"] = s3.keys(WH)
    out["refresh_nothing"] = step(s3, "refresh", "--input", paths, *prefix, "--run-id", "s3-nothing",
                                  models_dir=models_dir)
    out["keys_after"] = s3.keys(WH)

    s3.client().upload_file(str(NEW_FILE), CC, NEW_URL.split(f"s3://{CC}/")[1])
    s3.put_paths(CC, [u.split(f"s3://{CC}/")[1] for u in (RUN_FILE, NEW_URL, MISSING_URL)])
    # the refresh of the new listing is killed with SIGKILL inside its dedup pass, then started again: the
    # killed run's lease runs out (run.lease_seconds, 5 s here), the new one takes it over and resumes
    short_lease = ["--set", "run.lease_seconds=5"]
    killed = webmath(s3, "refresh", "--input", paths, *prefix, "--run-id", "s3-killed", *short_lease,
                     models_dir=models_dir)
    try:
        seen, deadline = "", time.time() + 600
        while "[math_recall]" not in seen and time.time() < deadline and killed.poll() is None:
            seen += killed.stdout.readline()
        time.sleep(2)
    finally:
        stop(killed)
    out["killed"] = {"code": killed.returncode, "out": seen, "err": killed.stderr.read(),
                     "keys": s3.keys(WH)}
    out["refresh_new"] = step(s3, "refresh", "--input", paths, *prefix, "--run-id", "s3-new", *short_lease,
                              models_dir=models_dir)
    # the three read the warehouse, at the same time (sql names it `s3://`: S3A too; the report goes to the
    # warehouse's report/ folder on S3, the export to another S3 folder)
    started = time.time()
    readers = {
        "sql": webmath(s3, "sql", "SELECT crawl, status, count(*) AS n, sum(responses) AS responses FROM ingest_log "
                               "GROUP BY crawl, status ORDER BY crawl, status", models_dir=models_dir,
                       warehouse=f"s3://{WH}/wh"),
        "report": webmath(s3, "report", models_dir=models_dir),
        "export": webmath(s3, "export", "--out", f"s3://{WH}/export", "--set", "export.shards=2",
                          models_dir=models_dir)}
    try:
        for name, proc in readers.items():
            out[name] = finish(proc, started)
    finally:
        for proc in readers.values():
            stop(proc)
    print({name: value["seconds"] for name, value in out.items() if isinstance(value, dict) and "seconds" in value})
    return out


def test_run_from_s3_to_s3a_writes_the_tables_of_the_local_run(s3_run, spark, clean):
    """Every table of the S3 run equals the local run's, row for row and column for column (run ids and times
    aside), once the WARC path is the S3 URL the run read instead of the local file's."""
    local_warehouse, _ = clean
    out = s3_run["run"]
    assert "funnel of run s3" in out["out"] and "[decontaminate] same pass: input 56, kept 53" in out["out"]
    local = read_from(table_contents(spark, local_warehouse), ONE_FILE, RUN_FILE)
    assert sorted(s3_run["tables"]) == sorted(local) == [
        "corpus", "deduped", "documents", "ingest_log", "language", "math_precision", "math_recall",
        "minhash_index", "quality", "rejected"]
    assert s3_run["tables"] == local
    assert {table: len(contents) for table, contents in s3_run["tables"].items()} == {
        "documents": 153, "language": 130, "math_recall": 63, "deduped": 58, "minhash_index": 58, "quality": 58,
        "math_precision": 56, "corpus": 53, "rejected": 102, "ingest_log": 1}
    # the Delta tables are on S3: each with its log, partitioned by crawl
    keys = s3_run["keys_before"]
    assert "wh/corpus/_delta_log/00000000000000000000.json" in keys
    assert [k for k in keys if k.startswith("wh/corpus/crawl=") and k.endswith(".parquet")]
    assert {k.split("/")[2] for k in keys if k.startswith("wh/corpus/crawl=")} == {"crawl=CC-SAMPLE-2026-01"}


def test_refresh_with_nothing_new_writes_nothing(s3_run):
    out = s3_run["refresh_nothing"]
    assert out["code"] == 0, out["err"][-2000:]
    assert out["out"].splitlines()[0] == \
        "refresh s3-nothing: all 1 WARC file(s) are through the pipeline already"
    assert s3_run["keys_after"] == s3_run["keys_before"]


def test_refresh_killed_and_started_again_takes_the_new_file_and_a_missing_object_is_a_failed_row(
        s3_run, s3, spark):
    """The listing grew by a new WARC file and by a line naming an object the bucket does not have: refresh reads
    only those two; the missing one is a `failed` row of ingest_log, as a missing local file is, and the run goes
    on through every stage. That refresh is killed with SIGKILL inside dedup and started again: the new run
    takes over the dead one's lease once it runs out and carries both files through the stages left."""
    from jobs import extract
    from udfs.extract import extract_file
    killed = s3_run["killed"]
    assert killed["code"] == -signal.SIGKILL and "[math_recall] same pass: " in killed["out"]
    assert f"wh/{lease.NAME}" in killed["keys"]                  # the dead run's lease was left behind
    out = s3_run["refresh_new"]
    assert out["code"] == 0, out["err"][-2000:]
    assert "lease: took over the warehouse from run s3-killed (webmath refresh)" in out["err"]
    lines = out["out"].splitlines()
    assert lines[0] == f"run s3-new: 2 WARC file(s) -> {WAREHOUSE}"
    # the killed run read the new file; the missing one failed and is read again, and the stages after it run
    # on both, though not one record was read this time
    stage_lines = [re.sub(r"\] [\d.]+s:", "]:", line) for line in lines if line.startswith("[")]
    assert stage_lines[:3] == [
        "[extract]: files 1, records_read 0, kept 0, skipped 0", "[language] same pass: input 0, kept 0, rejected 0",
        "[math_recall] same pass: input 0, kept 0, rejected 0"]
    assert [line.split("]")[0][1:] for line in stage_lines] == PIPELINE
    assert "funnel of run s3-new" in out["out"]
    assert f"wh/{lease.NAME}" not in s3.keys(WH)
    log = rows(spark, "ingest_log", "warc_path", "crawl", "status", "records_read", "responses", "records_kept",
               "run_id", "error")
    missing_key = MISSING_URL.removeprefix("s3://")
    assert log == sorted([
        (RUN_FILE, "CC-SAMPLE-2026-01", "ok", 466, 155, 153, "s3", None),
        (NEW_URL, "CC-MAIN-2024-22", "ok", 4, 1, 1, "s3-killed", None),
        (MISSING_URL, "unknown", "failed", 0, 0, 0, "s3-new", f"FileNotFoundError: {missing_key}")])
    # the same columns as a local file that does not exist (only the error's text names the path differently)
    opts = extract.options(make_config(), "s3-new")
    (local,) = extract_file(str(SAMPLE / "CC-SAMPLE-2026-01-mini-00009.warc.gz"), opts)
    assert (local["kind"], local["crawl"], local["status"], local["records_read"], local["responses"],
            local["records_kept"], local["error"].split(":")[0]) == \
        ("file", "unknown", "failed", 0, 0, 0, "FileNotFoundError")
    # the new page went through the stages: Aragonese, so the language stage rejected it
    new_rejected = [r for r in rows(spark, "rejected", "warc_path", "url", "stage", "reason", "value", "run_id")
                    if r[0] == NEW_URL]
    assert new_rejected == [(NEW_URL, "https://an.wikipedia.org/wiki/Escopete", "language", "language_not_kept", "an",
                             "s3-killed")]


def test_sql_reads_the_warehouse_as_s3_too(s3_run):
    out = s3_run["sql"]
    assert out["code"] == 0, out["err"][-2000:]
    assert [line.split() for line in out["out"].splitlines()] == [
        ["crawl", "status", "n", "responses"], ["-----------------", "------", "-", "---------"],
        ["CC-MAIN-2024-22", "ok", "1", "1"], ["CC-SAMPLE-2026-01", "ok", "1", "155"],
        ["unknown", "failed", "1", "0"], ["(3", "row(s))"]]


def test_report_of_the_s3a_warehouse_goes_to_its_report_folder_on_s3(s3_run, s3):
    """The report of the latest run (the refresh that resumed the killed one) in the warehouse's report/ folder
    on S3: the page, and exactly the charts it shows and the command counted."""
    from jobs import report
    out = s3_run["report"]
    assert out["code"] == 0, out["err"][-2000:]
    line = out["out"].splitlines()[-1]
    charts = int(re.fullmatch(rf"report: {WAREHOUSE}/report/index.html \((\d) charts, \d+ sampled documents\)",
                              line).group(1))
    page = s3.client().get_object(Bucket=WH, Key="wh/report/index.html")["Body"].read().decode()
    shown = re.findall(r'<img src="([a-z_]+\.png)"', page)
    assert len(shown) == charts and "funnel.png" in shown and "s3-new" in page
    assert s3.keys(WH, "wh/report/") == sorted(f"wh/report/{name}" for name in ["index.html", *shown])
    with pytest.raises(ConfigError) as exc:
        report.out_dir("hdfs://namenode/wh", None)
    assert str(exc.value) == "report: hdfs://namenode/wh/report is neither a local folder nor on S3 (give one with --out)"


def test_export_to_s3(s3_run, s3, spark, clean):
    """`webmath export --out s3://...` as a user runs it (its own process): the shards written by the Spark tasks
    and the manifest on S3; the rows read back from the Parquet shards are the corpus of the local run."""
    import pyarrow.parquet as pq

    from jobs import tables
    out = s3_run["export"]
    assert out["code"] == 0, out["err"][-2000:]
    client = s3.client()
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=WH, Prefix="export/")["Contents"])
    assert keys == ["export/README.md", "export/data/train-00000-of-00002.parquet",
                    "export/data/train-00001-of-00002.parquet", "export/jsonl/train-00000-of-00002.jsonl.zst",
                    "export/jsonl/train-00001-of-00002.jsonl.zst", "export/manifest.json"]
    manifest = json.loads(client.get_object(Bucket=WH, Key="export/manifest.json")["Body"].read())
    assert manifest["rows"] == 53 and manifest["source"]["table"] == f"{WAREHOUSE}/corpus"
    assert out["out"].splitlines()[0] == (f"53 documents, {manifest['chars']:,} characters "
                                          f"(~{manifest['tokens_estimate']:,} tokens) in 2 shards -> s3://{WH}/export")
    assert manifest["run_ids"] == {"s3": 53}
    exported = {}
    for key in keys:
        if key.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(client.get_object(Bucket=WH, Key=key)["Body"].read()))
            exported.update(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()))
    local_warehouse, _ = clean
    assert exported == {r["doc_id"]: r["text"] for r in tables.read(spark, str(local_warehouse), "corpus").collect()}


# ---- bad input on the cloud path: one line, exit 2, nothing written; checked before Spark starts ----

def cli(s3, capsys, *args, warehouse: str, endpoint: str | None = None) -> tuple[int, str, float]:
    """`webmath ...` in this process (it stops before Spark starts): (exit code, stderr, seconds)."""
    from jobs import cli as webmath_cli
    settings = [s.replace(s3.endpoint, endpoint) if endpoint else s for s in s3.settings()]
    started = time.time()
    code = webmath_cli.main([*args, "--warehouse", warehouse, *[a for s in settings for a in ("--set", s)]])
    return code, capsys.readouterr().err, time.time() - started


def test_listing_of_the_s3_crawl_resolves_under_the_prefix(s3):
    from jobs import inputs, storage
    from udfs import storage as udfs_storage
    udfs_storage.apply(storage.options(make_config(*s3.settings())))
    assert inputs.resolve(s3.sample, "s3://commoncrawl-sample/") == [
        f"s3://commoncrawl-sample/{s3server.segment_key(f'CC-SAMPLE-2026-01-mini-0000{i}.warc.gz', i)}"
        for i in range(3)]
    raw = gzip.decompress(s3.client().get_object(Bucket="commoncrawl-sample",
                                                 Key="crawl-data/CC-SAMPLE-2026-01/warc.paths.gz")["Body"].read())
    assert raw.decode().splitlines()[0] == s3server.segment_key("CC-SAMPLE-2026-01-mini-00000.warc.gz", 0)


def test_missing_input_bucket(s3, capsys):
    s3.make_bucket("wh-missing-input")
    code, err, _ = cli(s3, capsys, "run", "--input", "s3://no-such-crawl/crawl-data/CC-X/warc.paths.gz",
                       warehouse="s3a://wh-missing-input/wh")
    assert (code, err) == (2, "webmath: error: input not found: s3://no-such-crawl/crawl-data/CC-X/warc.paths.gz "
                              "(bucket not found)\n")
    assert s3.keys("wh-missing-input") == []


def test_missing_warehouse_bucket(s3, capsys):
    code, err, _ = cli(s3, capsys, "run", "--input", s3.sample, "--set", "input.prefix=s3://commoncrawl-sample/",
                       warehouse="s3a://no-such-warehouse/wh")
    assert (code, err) == (2, "webmath: error: warehouse s3a://no-such-warehouse/wh: bucket not found\n")
    assert "no-such-warehouse" not in [b["Name"] for b in s3.client().list_buckets()["Buckets"]]


def test_wrong_endpoint_fails_in_seconds(s3, capsys):
    """An endpoint where nothing listens: the input list cannot be read, in a few seconds (s3.connect_timeout,
    s3.max_attempts), not after minutes of retries; the warehouse is checked the same way."""
    closed = f"127.0.0.1:{s3server.free_port()}"
    s3.make_bucket("wh-wrong-endpoint")
    code, err, seconds = cli(s3, capsys, "run", "--input", s3.sample, warehouse="/nonexistent/unused",
                             endpoint=closed)
    assert (code, err) == (2, f"webmath: error: cannot read {s3.sample}: cannot connect to the S3 endpoint "
                              f"http://{closed} (s3.endpoint, s3.ssl): EndpointConnectionError\n")
    assert seconds < 30
    code, err, seconds = cli(s3, capsys, "sql", "SELECT 1", warehouse="s3a://wh-wrong-endpoint/wh", endpoint=closed)
    assert (code, err) == (2, "webmath: error: warehouse s3a://wh-wrong-endpoint/wh: cannot connect to the S3 "
                              f"endpoint http://{closed} (s3.endpoint, s3.ssl): EndpointConnectionError\n")
    assert seconds < 30
    assert s3.keys("wh-wrong-endpoint") == []


def test_endpoint_that_never_answers_fails_after_the_read_timeout(s3, capsys):
    """An endpoint that accepts connections and never answers (a socket that listens and reads nothing): the
    warehouse check gives up after s3.read_timeout on each of s3.max_attempts tries (s3fs's own five tries
    around a request would make that five times as long)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        where = f"127.0.0.1:{silent.getsockname()[1]}"
        code, err, seconds = cli(s3, capsys, "sql", "SELECT 1", "--set", "s3.read_timeout=1", "--set",
                                 "s3.max_attempts=2", warehouse="s3a://wh-silent/wh", endpoint=where)
    assert (code, err) == (2, f"webmath: error: warehouse s3a://wh-silent/wh: the S3 endpoint http://{where} did "
                              "not answer within s3.read_timeout: ReadTimeoutError\n")
    assert 2 <= seconds < 10   # (with five tries of s3fs around them: 25 s)


def test_denied_access(s3, capsys, monkeypatch):
    """With moto checking credentials and IAM policies: keys S3 does not know cannot read the listing, and a user
    allowed on the crawl's bucket but not on the warehouse's cannot use that warehouse (S3 answers 403 to both: to
    the unknown key's HEAD of the listing without a body, "Forbidden"; to the user's listing of the warehouse with
    an AccessDenied error)."""
    s3.make_bucket("wh-denied")
    key, secret = s3.make_user("crawl-reader", ["commoncrawl-sample"])
    s3.require_auth(True)
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret-s3-knows")
        code, err, _ = cli(s3, capsys, "run", "--input", s3.sample, warehouse="/nonexistent/unused")
        assert (code, err) == (2, f"webmath: error: cannot read {s3.sample}: access denied (Forbidden): check the "
                                  "credentials the provider chain finds (s3.credentials) and their permissions\n")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        code, err, _ = cli(s3, capsys, "run", "--input", s3.sample, "--set", "input.prefix=s3://commoncrawl-sample/",
                           warehouse="s3a://wh-denied/wh")
        assert (code, err) == (2, "webmath: error: warehouse s3a://wh-denied/wh: access denied (Access Denied): check "
                                  "the credentials the provider chain finds (s3.credentials) and their permissions\n")
    finally:
        s3.require_auth(False)
    assert s3.keys("wh-denied") == []


# ---- the [s3] settings as s3fs's arguments and S3A's keys ----

def test_cluster_profile_is_aws_with_the_default_chain():
    from jobs import config, storage
    from udfs import storage as udfs_storage
    cfg = config.load(config.CONF_DIR / "cluster.toml")
    assert udfs_storage.s3fs_kwargs(storage.options(cfg)) == {
        "use_ssl": True, "client_kwargs": {"region_name": "us-east-1"},
        "config_kwargs": {"connect_timeout": 5.0, "read_timeout": 60.0,
                          "retries": {"max_attempts": 3, "mode": "standard"}, "s3": {"addressing_style": "auto"}}}
    assert storage.s3a_conf(cfg) == {
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.path.style.access": "false", "spark.hadoop.fs.s3a.connection.ssl.enabled": "true",
        "spark.hadoop.fs.s3a.aws.credentials.provider":
            "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
        "spark.hadoop.fs.s3a.connection.establish.timeout": "5000ms",
        "spark.hadoop.fs.s3a.connection.timeout": "60000ms",
        "spark.hadoop.fs.s3a.attempts.maximum": "2", "spark.hadoop.fs.s3a.retry.limit": "2",
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1"}


def test_another_s3_api_and_environment_credentials(monkeypatch):
    from jobs import storage
    from udfs import storage as udfs_storage
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "id-from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    cfg = make_config('s3.endpoint="minio.internal:9000"', "s3.path_style=true", "s3.ssl=false",
                      's3.credentials="environment"', "s3.max_attempts=1")
    kwargs = udfs_storage.s3fs_kwargs(storage.options(cfg))
    assert (kwargs["client_kwargs"], kwargs["use_ssl"], kwargs["config_kwargs"]["s3"],
            kwargs["config_kwargs"]["retries"]) == (
        {"endpoint_url": "http://minio.internal:9000"}, False, {"addressing_style": "path"},
        {"max_attempts": 1, "mode": "standard"})
    # read from this process's environment when the settings are applied, never from the configuration
    assert (kwargs["key"], kwargs["secret"], kwargs["token"]) == ("id-from-env", "secret-from-env", None)
    conf = storage.s3a_conf(cfg)
    assert {k: conf[f"spark.hadoop.fs.s3a.{k}"] for k in (
        "endpoint", "path.style.access", "connection.ssl.enabled", "aws.credentials.provider", "attempts.maximum")} == {
        "endpoint": "minio.internal:9000", "path.style.access": "true", "connection.ssl.enabled": "false",
        "aws.credentials.provider": "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
        "attempts.maximum": "0"}
    assert udfs_storage.s3fs_kwargs(storage.options(make_config('s3.credentials="anonymous"')))["anon"] is True


@pytest.mark.parametrize("setting, error", [
    ('s3.endpoint="http://127.0.0.1:9000"', "config key 's3.endpoint' must be host[:port] without a scheme or path "
                                            "(s3.ssl chooses https or http), got 'http://127.0.0.1:9000'"),
    ('s3.credentials="keys"', "config key 's3.credentials' must be 'default', 'environment' or 'anonymous', "
                              "got 'keys'"),
    ("s3.max_attempts=0", "config key 's3.max_attempts' must be > 0, got 0"),
    ('s3.access_key="AKIA..."', "unknown config key 's3.access_key'"),
    ('spark.packages=["hadoop-aws"]', "config key 'spark.packages' must be a list of Maven coordinates "
                                      "group:artifact:version, got ['hadoop-aws']"),
])
def test_bad_s3_settings(setting, error):
    from jobs import config
    with pytest.raises(config.ConfigError) as exc:
        make_config(setting)
    assert str(exc.value) == error


def test_the_secret_key_stays_out_of_tables_logs_report_and_export(s3_run, s3, spark):
    """Every step of the S3 run had the secret access key in its environment (where the provider chain finds
    it). It appears in no line any step printed, no row of any table (stage_stats, ingest_log and progress
    included) and no object of the warehouse bucket: Delta's logs and commit infos, the report's page and charts,
    the exported shards and their manifest."""
    from pyspark.sql import functions as F

    from jobs import tables
    secret = s3server.CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    steps = {name: value for name, value in s3_run.items() if isinstance(value, dict) and "out" in value}
    assert sorted(steps) == ["export", "killed", "refresh_new", "refresh_nothing", "report", "run", "sql"]
    assert [name for name, value in steps.items() if secret in value["out"] + value["err"]] == []
    s3.open_to(spark)
    found = {}
    for table in tables.TABLES:
        if tables.exists(spark, WAREHOUSE, table):
            df = tables.read(spark, WAREHOUSE, table)
            found[table] = df.where(F.concat_ws(" ", *[F.col(c).cast("string") for c in df.columns])
                                    .contains(secret)).count()
    assert set(found) >= {"documents", "rejected", "ingest_log", "stage_stats", "progress", "corpus"}
    assert found == dict.fromkeys(found, 0)
    client = s3.client()
    objects = s3.keys(WH)
    assert any("/_delta_log/" in key for key in objects) and "export/manifest.json" in objects
    assert "wh/report/index.html" in objects
    assert [key for key in objects
            if secret.encode() in client.get_object(Bucket=WH, Key=key)["Body"].read()] == []
