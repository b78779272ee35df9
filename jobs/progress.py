"""Which WARC files each stage has finished (table `progress`), so that `webmath refresh` carries only new files
through the pipeline and a run that was killed resumes where it stopped.

A stage records its files after its writes have committed. Every stage replaces its slice, so running a stage
again for a file whose last attempt died half way leaves the same rows as one clean attempt. When a stage runs
for some files, the records of the stages after it for those files are cleared in the same commit: their
input has just been rewritten, so they are due again.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import tables

# ingest_log statuses of a file that was read to its end: damage inside it is recorded record by record,
# and reading it again gives the same rows. A `failed` file (it could not be opened or read) is retried.
READ_TO_THE_END = ("ok", "partial", "empty")


def done(spark: SparkSession, warehouse: str, stage: str, paths: list[str]) -> set[str]:
    """The files of `paths` that `stage` has finished (for extract: and read to their end)."""
    if not tables.exists(spark, warehouse, "progress"):
        return set()
    owned = tables.in_list("warc_path", paths)
    finished = {r[0] for r in tables.read(spark, warehouse, "progress")
                .where(f"stage = {tables.sql_literal(stage)} AND {owned}").select("warc_path").collect()}
    if stage == "extract" and finished:
        read = {r[0] for r in tables.read(spark, warehouse, "ingest_log").where(owned)
                .where(F.col("status").isin(*READ_TO_THE_END)).select("warc_path").collect()}
        finished &= read
    return finished


def plan(spark: SparkSession, warehouse: str, paths: list[str], stages: list[str]) -> list[tuple[str, list[str]]]:
    """(stage, the files it must run on) in pipeline order: the files it has not finished, and every file an
    earlier stage runs on."""
    out, due = [], set()
    for stage in stages:
        due |= set(paths) - done(spark, warehouse, stage, paths)
        out.append((stage, sorted(due)))
    return out


def record(spark: SparkSession, warehouse: str, run_id: str, stages: str | list[str], paths: list[str],
           later: list[str]) -> None:
    """`stages` (one or the stages of a pass) finished `paths`; the records of the `later` stages for them are
    cleared, in the same commit."""
    if not paths:
        return
    stages = [stages] if isinstance(stages, str) else list(stages)
    now = datetime.now(timezone.utc)
    rows = [(path, stage, run_id, now) for stage in stages for path in sorted(set(paths))]
    predicate = f"{tables.in_list('warc_path', paths)} AND {tables.in_list('stage', [*stages, *later])}"
    tables.replace_slice(spark.createDataFrame(rows, tables.PROGRESS), warehouse, "progress", predicate)
