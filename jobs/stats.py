"""`stage_stats`: the funnel, counted from the tables each stage wrote (never from accumulators)."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import tables

# The pipeline's stage order, for printing the funnel.
STAGE_ORDER = ["extract", *tables.STAGES]


def counts(df: DataFrame, counter: str) -> DataFrame:
    """Rows per crawl, as (crawl, counter, value)."""
    return df.groupBy("crawl").agg(F.count(F.lit(1)).alias("value")).select(
        "crawl", F.lit(counter).alias("counter"), "value")


def sums(df: DataFrame, column: str, counter: str | None = None) -> DataFrame:
    return df.groupBy("crawl").agg(F.sum(column).cast("long").alias("value")).select(
        "crawl", F.lit(counter or column).alias("counter"), "value")


def by(df: DataFrame, column: str, prefix: str) -> DataFrame:
    """Rows per crawl and value of `column`, as counters named `prefix.<value>`."""
    return df.groupBy("crawl", column).agg(F.count(F.lit(1)).alias("value")).select(
        "crawl", F.concat(F.lit(prefix + "."), F.col(column)).alias("counter"), "value")


def record(spark: SparkSession, warehouse: str, run_id: str, stage: str, frames: list[DataFrame]) -> list:
    """Count `frames` (each already small: a few rows per crawl) in one job and replace the stage's rows of
    `stage_stats` for this run with them. Returns the (crawl, counter, value) rows."""
    counted = reduce(DataFrame.unionByName, frames).collect()
    now = datetime.now(timezone.utc)
    rows = [(run_id, stage, r["crawl"], r["counter"], int(r["value"] or 0), now) for r in counted]
    predicate = f"run_id = {tables.sql_literal(run_id)} AND stage = {tables.sql_literal(stage)}"
    tables.replace_slice(spark.createDataFrame(rows, tables.STAGE_STATS), warehouse, "stage_stats", predicate)
    return [(crawl, counter, value) for _, _, crawl, counter, value, _ in rows]


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
