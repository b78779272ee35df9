"""Running it like production: `refresh` carries only new files, a run killed with SIGKILL mid-stage resumes to
the tables of a clean run, two refreshes at once never corrupt a table, and `sql` and `maintain` on a real
warehouse."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from jobs import cli, progress, tables
from tests.conftest import ONE_FILE, ROOT, SAMPLE, make_config, table_contents

# tests that share a session fixture run in one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("clean")


def webmath(*args, warehouse, models_dir, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", *args, "--warehouse", str(warehouse), "--set", 'spark.master="local[2]"',
         "--set", "spark.shuffle_partitions=2", "--set", f'classifier.model_dir="{models_dir}"',
         "--set", "spark.conf.spark.ui.enabled=false", "--set", "run.lease_seconds=5"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)


def test_run_records_progress_and_refresh_has_nothing_left(spark, clean):
    warehouse, cfg = clean
    assert progress.plan(spark, str(warehouse), [str(ONE_FILE)], cli.PIPELINE) == [(s, []) for s in cli.PIPELINE]
    before = table_contents(spark, warehouse)
    versions = {t: tables.read(spark, str(warehouse), t).inputFiles() for t in ("documents", "corpus")}
    cfg = dict(cfg, run=dict(cfg["run"], run_id="again"))
    cli.run_pipeline(spark, cfg, cli.PIPELINE, [str(ONE_FILE)], resume=True)
    assert table_contents(spark, warehouse) == before
    assert {t: tables.read(spark, str(warehouse), t).inputFiles() for t in versions} == versions   # nothing rewritten


def test_refresh_takes_only_new_files(spark, clean, tmp_path):
    """A paths file with the old file and a new one: only the new one goes through the stages."""
    warehouse, cfg = clean
    other = SAMPLE / "CC-SAMPLE-2026-01-mini-00001.warc.gz"
    planned = progress.plan(spark, str(warehouse), [str(ONE_FILE), str(other)], cli.PIPELINE)
    assert planned == [(s, [str(other)]) for s in cli.PIPELINE]
    # a stage rerun for a file makes every later stage due again for it
    progress.record(spark, str(warehouse), "x", "quality", [str(ONE_FILE)], cli.PIPELINE[cli.PIPELINE.index("quality") + 1:])
    planned = dict(progress.plan(spark, str(warehouse), [str(ONE_FILE)], cli.PIPELINE))
    assert planned["quality"] == [] and planned["math_precision"] == [str(ONE_FILE)] == planned["decontaminate"]


def test_killed_run_resumes_to_the_clean_tables_even_with_two_refreshes_at_once(spark, clean, tmp_path, models_dir):
    """SIGKILL the driver (and its JVM and workers) of a refresh once it is inside dedup; then start two
    refreshes at the same time on the same warehouse. The killed run's lease runs out (run.lease_seconds, 5 s
    here) and one of the two takes it over and resumes; the other waits for it, then finds nothing left to do.
    The tables equal the clean run's: nothing lost, nothing twice."""
    warehouse = tmp_path / "wh"
    first = webmath("refresh", "--input", str(ONE_FILE), "--run-id", "killed", warehouse=warehouse,
                    models_dir=models_dir)
    seen = ""
    deadline = time.time() + 400
    while "[math_recall]" not in seen and time.time() < deadline:
        line = first.stdout.readline()
        if not line and first.poll() is not None:
            break
        seen += line
    assert "[math_recall]" in seen, first.stderr.read()[-2000:]
    time.sleep(2)                                    # inside dedup now
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    done = dict(progress.plan(spark, str(warehouse), [str(ONE_FILE)], cli.PIPELINE))
    assert done["math_recall"] == [] and done["decontaminate"] == [str(ONE_FILE)]

    both = [webmath("refresh", "--input", str(ONE_FILE), "--run-id", f"resume{i}", warehouse=warehouse,
                    models_dir=models_dir) for i in (1, 2)]
    results = [(p.wait(timeout=900), *p.communicate()) for p in both]
    assert [code for code, _, _ in results] == [0, 0], [err[-2000:] for _, _, err in results]
    took = [i for i, (_, _, err) in enumerate(results) if "lease: took over the warehouse from run killed" in err]
    assert len(took) == 1
    out, err = results[took[0]][1:]
    later_out, later_err = results[1 - took[0]][1:]
    assert f"lease: waiting for run resume{took[0] + 1} (webmath refresh)" in later_err
    assert later_out.splitlines()[0] == f"refresh resume{2 - took[0]}: all 1 WARC file(s) are through the pipeline already"
    # the resumed run skips what the killed one finished and runs the rest in pipeline order
    assert [line.split("]")[0][1:] for line in out.splitlines() if line.startswith("[")] == cli.PIPELINE
    assert "[math_recall] done before" in out and "[dedup] done before" not in out
    assert "funnel of run resume" in out
    clean_warehouse, _ = clean
    assert table_contents(spark, warehouse) == table_contents(spark, clean_warehouse)


def test_every_stage_run_alone_writes_what_the_passes_wrote(spark, clean, tmp_path, models_dir):
    """`webmath run` runs three passes (extract with language and math_recall; dedup; quality with
    math_precision and decontaminate). Each stage run alone, in order, on the same file gives the same tables,
    the same rejections at the same stages and the same funnel."""
    from jobs import cli, stats
    clean_warehouse, _ = clean
    assert [[name for name, _ in group] for group in cli.passes([(s, [str(ONE_FILE)]) for s in cli.PIPELINE])] == [
        ["extract", "language", "math_recall"], ["dedup"], ["quality", "math_precision", "decontaminate"]]
    warehouse = tmp_path / "alone"
    cfg = make_config(f'run.warehouse="{warehouse}"', 'run.run_id="alone"', f'classifier.model_dir="{models_dir}"')
    for stage in cli.PIPELINE:
        cli.run_stage(spark, cfg, stage, [str(ONE_FILE)])
    assert table_contents(spark, warehouse) == table_contents(spark, clean_warehouse)
    funnel = stats.funnel(spark, str(warehouse), "alone")[1]
    assert funnel == stats.funnel(spark, str(clean_warehouse), "clean")[1]
    stages = [stage for stage, counter, _ in funnel if counter == "input"]
    assert stages == cli.PIPELINE


def test_sql_sees_every_table_by_name(spark, clean):
    from jobs import sql
    warehouse, _ = clean
    out = sql.run(spark, str(warehouse), "SELECT stage, count(*) AS n FROM rejected GROUP BY stage ORDER BY stage")
    lines = out.splitlines()
    assert lines[0].split() == ["stage", "n"]
    counted = {r["stage"]: r["n"] for r in tables.read(spark, str(warehouse), "rejected").groupBy("stage").count()
               .withColumnRenamed("count", "n").collect()}
    assert [line.split() for line in lines[2:-1]] == [[s, str(counted[s])] for s in sorted(counted)]
    assert lines[-1] == f"({len(counted)} row(s))"
    joined = sql.run(spark, str(warehouse), "SELECT count(*) AS n FROM corpus JOIN minhash_index USING (doc_id)")
    assert joined.splitlines()[2].strip() == str(tables.read(spark, str(warehouse), "corpus").count())
    # the tables without text have a view with it: quality's pages with the text math_recall holds for them
    assert sql.register(spark, str(warehouse)) == [*(n for n in tables.TABLES if (warehouse / n).is_dir()),
                                                   "language_text", "deduped_text", "quality_text",
                                                   "math_precision_text"]
    texts = sql.run(spark, str(warehouse), "SELECT count(*) AS n, sum(length(q.text)) AS chars FROM quality_text q "
                                           "JOIN math_recall m USING (doc_id) WHERE q.text = m.text")
    quality = tables.read(spark, str(warehouse), "quality")
    assert "text" not in quality.columns
    chars = tables.read(spark, str(warehouse), "math_recall").join(quality.select("doc_id"), "doc_id") \
        .selectExpr("sum(length(text))").first()[0]
    assert texts.splitlines()[2].split() == [str(quality.count()), str(chars)]
    from jobs.config import ConfigError
    with pytest.raises(ConfigError, match="nope"):
        sql.run(spark, str(warehouse), "SELECT * FROM nope")


def test_maintain_compacts_and_keeps_every_row(spark, clean, tmp_path):
    """On a copy of three of the clean run's tables (a partitioned one among them): each is compacted to
    fewer files, vacuumed, and holds the same rows; a table that is not there is passed over."""
    import shutil

    from jobs import maintain
    warehouse = tmp_path / "wh"
    for name in ("documents", "rejected", "stage_stats"):
        shutil.copytree(clean[0] / name, warehouse / name)
    cfg = make_config(f'run.warehouse="{warehouse}"')
    before = table_contents(spark, warehouse)
    report = {r["table"]: r for r in maintain.run(spark, cfg)}
    assert set(report) == {"documents", "rejected", "stage_stats"}
    assert all(r["files_after"] <= r["files_before"] for r in report.values())
    assert report["stage_stats"]["files_after"] == 1 < report["stage_stats"]["files_before"]
    assert table_contents(spark, warehouse) == before
    from jobs.config import ConfigError
    with pytest.raises(ConfigError, match="maintain.vacuum_retention_hours"):
        make_config("maintain.vacuum_retention_hours=1")


def test_a_table_written_before_its_text_moved_out_is_still_read_with_its_text(spark, clean, tmp_path):
    """A `language` table of an earlier version held every column of `documents`. A run of this version replaces
    its slices with narrow rows (Delta keeps the wide columns, null in the new rows), and the table read with
    its text takes the text from `documents`, never its own stale or null copy."""
    import shutil

    from pyspark.sql import functions as F
    warehouse = tmp_path / "wh"
    shutil.copytree(clean[0] / "documents", warehouse / "documents")
    docs = tables.read(spark, str(warehouse), "documents")
    wide = docs.withColumn("lang", F.lit("en")).withColumn("lang_score", F.lit(0.9)).withColumn("text", F.lit("old"))
    wide.select(*[c for c in docs.columns if c != "run_id"], "lang", "lang_score", "run_id") \
        .write.format("delta").partitionBy("crawl").save(str(warehouse / "language"))
    first = docs.select("doc_id").orderBy("doc_id").first()["doc_id"]
    tables.replace_slice(wide.where(F.col("doc_id") == first), str(warehouse), "language", f"doc_id = '{first}'")
    stored = {r["doc_id"]: r["text"] for r in tables.read(spark, str(warehouse), "language").collect()}
    assert stored[first] is None and set(stored.values()) == {None, "old"}
    texts = {r["doc_id"]: r["text"] for r in tables.read_text(spark, str(warehouse), "language").collect()}
    assert texts == {r["doc_id"]: r["text"] for r in docs.collect()}


def test_a_run_that_read_nothing_records_why_and_exits_4(spark, tmp_path, models_dir):
    """A warc.paths whose lines were resolved against the wrong folder: every file fails. The failures are in
    ingest_log and the funnel; the run stops after extract with one line and exit code 4, not an empty funnel
    and exit code 0."""
    listing = tmp_path / "warc.paths"
    listing.write_text("segments/a/warc/one.warc.gz\nsegments/b/warc/two.warc.gz\n")
    warehouse = tmp_path / "wh"
    p = webmath("run", "--input", str(listing), "--run-id", "wrong-folder", warehouse=warehouse, models_dir=models_dir)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 4, err[-2000:]
    one = tmp_path / "segments/a/warc/one.warc.gz"
    assert err.strip().splitlines()[-1] == (
        "webmath: error: nothing was read: not one record from the 2 input WARC file(s) (each is in ingest_log); "
        f"e.g. {one}: failed, FileNotFoundError: [Errno 2] No such file or directory: '{one}'")
    stage_lines = [re.sub(r"\] [\d.]+s:", "] Ns:", line) for line in out.splitlines() if line.startswith("[")]
    assert stage_lines == ["[extract] Ns: files 2, records_read 0, kept 0, skipped 0",
                           "[language] same pass: input 0, kept 0, rejected 0",
                           "[math_recall] same pass: input 0, kept 0, rejected 0"]
    log = tables.read(spark, str(warehouse), "ingest_log").orderBy("warc_path").select("warc_path", "status", "run_id")
    assert [tuple(r) for r in log.collect()] == [(str(one), "failed", "wrong-folder"),
                                                 (str(tmp_path / "segments/b/warc/two.warc.gz"), "failed", "wrong-folder")]
    assert tables.read(spark, str(warehouse), "documents").count() == 0
    assert not (warehouse / "deduped").exists() and not (warehouse / "corpus").exists()
