"""`stage_stats`: the funnel, counted from the rows each stage wrote (never from accumulators).

A stage counts the persisted DataFrames its writes read, in one job before the writes, and writes the
counts beside its tables: the same rows as the tables' slices, without reading the tables back (which cost
a Delta snapshot and a query per table, seconds a stage)."""
from __future__ import annotations

from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import tables

# The pipeline's stage order, for printing the funnel.
STAGE_ORDER = tables.PIPELINE


def stages_slice(spark: SparkSession, run_id: str, counted: dict[str, list[tuple[str, str, int]]]) -> tuple:
    """The rows of `stage_stats` for this run of the stages in `counted` ({stage: [(crawl, counter, value)]}):
    one (df, table, predicate) slice for `tables.replace_slices`, written with the stages' own tables."""
    now = datetime.now(timezone.utc)
    rows = [(run_id, stage, crawl, counter, value, now)
            for stage, found in counted.items() for crawl, counter, value in found]
    predicate = f"run_id = {tables.sql_literal(run_id)} AND {tables.in_list('stage', counted)}"
    return spark.createDataFrame(rows, tables.STAGE_STATS), "stage_stats", predicate


def funnel(spark: SparkSession, warehouse: str, run_id: str | None = None) -> tuple[str, list]:
    """(run_id, rows of (stage, counter, value) summed over crawls) for `run_id` or the latest run."""
    if not tables.exists(spark, warehouse, "stage_stats"):
        return "", []
    df = tables.read(spark, warehouse, "stage_stats")
    if run_id is None:
        latest = df.orderBy(F.col("computed_at").desc()).select("run_id").first()
        if latest is None:
            return "", []
        run_id = latest["run_id"]
    rows = (df.where(F.col("run_id") == run_id).groupBy("stage", "counter")
            .agg(F.sum("value").alias("value")).collect())
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    rows.sort(key=lambda r: (order.get(r["stage"], len(order)), not r["counter"] in ("input", "kept"),
                             r["counter"] != "input", r["counter"]))
    return run_id, [(r["stage"], r["counter"], int(r["value"])) for r in rows]


def format_funnel(run_id: str, rows: list) -> str:
    if not rows:
        return "no stage_stats yet"
    lines = [f"funnel of run {run_id}", f"{'stage':<16}{'counter':<40}{'value':>10}"]
    for stage, counter, value in rows:
        lines.append(f"{stage:<16}{counter:<40}{value:>10,}")
    return "\n".join(lines)
