"""The one filter mechanism every filtering stage uses.

A stage reads the table before it in the pipeline, computes its signals and a `(keep, reason, value)` decision
with a pandas UDF, writes the kept rows (provenance and earlier columns carried along, its signals added) to its
own table, the others to `rejected` with the stage, reason and failing value, and records its funnel in
`stage_stats`. A stage may also rewrite some of the columns it reads (decontamination cuts text out): the scorer
returns a replacement for each of them, null where a row keeps its value. It owns the slice of the WARC files it was given (all of them by default) and replaces it, so a
rerun leaves the same rows as one run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import stats, tables
from jobs.config import ConfigError

DECISION = [T.StructField("keep", T.BooleanType()), T.StructField("reason", T.StringType()),
            T.StructField("value", T.StringType())]


@dataclass(frozen=True)
class FilterStage:
    name: str                 # the stage and its table
    inputs: tuple[str, ...]   # what the scorer reads: column names or SQL expressions ("expr AS name")
    # (spark, cfg) -> function of one pandas DataFrame (the `inputs`) returning the stage's signal columns
    # (tables.signals_of(name)) and keep, reason, value. Called on the driver: whatever the function needs
    # on the executors travels in its closure or as a Spark file.
    scorer: Callable[[SparkSession, dict], Callable[[pd.DataFrame], pd.DataFrame]]
    # columns of the source table the scorer may rewrite: it returns each of them too, null = unchanged
    replaces: tuple[str, ...] = ()
    # (counter, SQL condition on the kept rows): extra funnel counters, e.g. ("cut", "size(contamination) > 0")
    kept_counters: tuple[tuple[str, str], ...] = ()

    @property
    def source(self) -> str:
        return tables.source_of(self.name)

    @property
    def table(self) -> str:
        return tables.table_of(self.name)


def scored(spark: SparkSession, cfg: dict, stage: FilterStage, owned: str = "true") -> DataFrame:
    """The stage's source rows matching `owned`, with its signals, rewritten columns, keep, reason and value."""
    warehouse, run_id = cfg["run"]["warehouse"], cfg["run"]["run_id"]
    require_source(spark, warehouse, stage.name)
    signals = tables.signals_of(stage.name)
    source = spread(spark, tables.read(spark, warehouse, stage.source).where(owned))
    replaced = [source.schema[name] for name in stage.replaces]
    score = stage.scorer(spark, cfg)

    def batch(frame: pd.DataFrame) -> pd.DataFrame:
        return score(frame)

    udf = F.pandas_udf(batch, T.StructType(replaced + signals.fields + DECISION))
    carried = [F.coalesce(F.col(f"_s.{c}"), F.col(c)).alias(c) if c in stage.replaces else F.col(c)
               for c in source.columns]
    return (source.withColumn("_s", udf(F.struct(*[F.expr(x) for x in stage.inputs])))
            .select(*carried, *[F.col(f"_s.{f.name}").alias(f.name) for f in signals.fields + DECISION])
            .withColumn("run_id", F.lit(run_id)))


def spread(spark: SparkSession, df: DataFrame) -> DataFrame:
    """`df` over at least as many partitions as the session has task slots (`defaultParallelism`). A small
    table is often a single file, which one task reads: the scoring after it would keep one core busy and
    leave the others idle. A large read is already split that way and is left as it is (no shuffle)."""
    slots = spark.sparkContext.defaultParallelism
    return df if df.rdd.getNumPartitions() >= slots else df.repartition(slots)


def require_source(spark: SparkSession, warehouse: str, stage: str) -> None:
    source = tables.source_of(stage)
    if not tables.exists(spark, warehouse, source):
        raise ConfigError(f"table not found: {tables.path(warehouse, source)} (run the stages before {stage} "
                          f"first)")


def publish(spark: SparkSession, cfg: dict, stage: str, rows: DataFrame, owned: str,
            kept_counters: tuple[tuple[str, str], ...] = (), also: tuple[tuple[DataFrame, str, str], ...] = (),
            counted_from: DataFrame | None = None, source: DataFrame | None = None) -> dict:
    """Write a stage's decided `rows` (its source rows with `keep`, `reason`, `value` and its own columns) as
    its slice `owned`: kept rows to its table, the others to `rejected`, and the (df, table, predicate) slices
    of `also` and its funnel in `stage_stats` beside them, all at once. The funnel is counted before the
    writes from `counted_from` (the same rows as `rows`, or the columns of them that the counters read:
    crawl, keep, reason; by default `rows` itself, which should then be persisted: the count is the pass
    that fills the cache the writes read) and `input` from `source` (by default the decided rows). Returns
    the run's counts."""
    warehouse, run_id = cfg["run"]["warehouse"], cfg["run"]["run_id"]
    table = tables.table_of(stage)
    counted = stats.decisions(rows if counted_from is None else counted_from, kept_counters)
    if source is not None:
        counted = [row for row in counted if row[1] != "input"] + stats.count([stats.counts(source, "input")])
    rejected = rows.where("NOT keep").withColumn("stage", F.lit(stage))
    tables.replace_slices(warehouse, [(rows.where("keep"), table, owned),
                                      (rejected, "rejected", f"stage = '{stage}' AND ({owned})"), *also,
                                      stats.stage_slice(spark, run_id, stage, counted)])
    total = lambda prefix: sum(v for _, c, v in counted if c.startswith(prefix))
    return {"input": total("input"), "kept": total("kept"), "rejected": total("rejected."),
            **{counter: total(counter) for counter, _ in kept_counters}}


def run(spark: SparkSession, cfg: dict, stage: FilterStage, paths: list[str] | None = None) -> dict:
    owned = tables.in_list("warc_path", paths) if paths is not None else "true"
    rows = scored(spark, cfg, stage, owned).persist(StorageLevel.MEMORY_AND_DISK)
    try:                                  # scored once, by the count: both tables are written from the cache
        return publish(spark, cfg, stage.name, rows, owned, stage.kept_counters)
    finally:
        rows.unpersist()
