"""The one filter mechanism every per-page stage uses, alone or fused with the stages after it.

A per-page stage is a function from a batch of pages to its signals and a `(keep, reason, value)` decision.
Consecutive per-page stages run as one pass (a chain): one Python function takes each Arrow batch of the source
rows, runs the first stage's scorer on every page, the next stage's on the pages the first kept, and so on,
and appends every stage's signals and decision to the batch. The page never leaves the Python worker between
the stages of a chain. After the pass, the decided rows are persisted, every stage's funnel is counted from
them in one job, and all tables are written at once: each stage's kept rows to its own table (provenance and
earlier columns carried along, its signals added), every page a stage dropped to `rejected` once, at the
stage that dropped it, with the reason and failing value, and each stage's funnel to `stage_stats`.

A stage may rewrite some of the columns it reads (decontamination cuts text out): its scorer returns a
replacement for each of them, null where a row keeps its value; its table and the stages after it see the
rewritten value. The pass owns the slice of the WARC files it was given (all of them by default) and replaces
it, so a rerun leaves the same rows as one run, and a stage run alone writes the same rows as in the chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import stats, tables
from jobs.config import ConfigError

DECISION = [T.StructField("keep", T.BooleanType()), T.StructField("reason", T.StringType()),
            T.StructField("value", T.StringType())]


@dataclass(frozen=True)
class FilterStage:
    name: str                 # the stage and its table
    inputs: tuple[str, ...]   # the source columns the scorer reads
    # (spark, cfg) -> function of one pandas DataFrame (the `inputs`; struct columns as dicts) returning the
    # stage's signal columns (tables.signals_of(name)), keep, reason, value and the `replaces` columns, one row
    # per input row. Called on the driver: whatever the function needs on the executors travels in its
    # closure or as a Spark file.
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


# --- the pass: one Python function over Arrow batches --------------------------------------------------------

def decision_column(stage: str, part: str) -> str:
    """The name of a chain's per-stage column in the decided rows: keep, reason, value, or a rewritten column."""
    return f"_{stage}__{part}"


def chain_fields(stages: Sequence[FilterStage], source: T.StructType) -> list[T.StructField]:
    """What a chain appends to its source rows: every stage's signals, decision and rewritten columns."""
    fields = []
    for stage in stages:
        fields += tables.signals_of(stage.name).fields
        fields += [T.StructField(decision_column(stage.name, f.name), f.dataType) for f in DECISION]
        fields += [T.StructField(decision_column(stage.name, c), source[c].dataType) for c in stage.replaces]
    return fields


def chain_step(stages: Sequence[FilterStage], scorers: Sequence[Callable], fields: list[T.StructField]):
    """The Python side of a chain: a function (Arrow batch of source rows, optional mask of the rows to judge)
    -> the same batch with the chain's columns (`fields`) appended. Each stage judges the rows every stage
    before it kept; the others get nulls in its columns."""
    from pyspark.sql.pandas.types import to_arrow_type

    arrow_types = {f.name: to_arrow_type(f.dataType) for f in fields}
    inputs = sorted({c for stage in stages for c in (*stage.inputs, *stage.replaces)})

    def step(batch, mask: np.ndarray | None = None):
        import pyarrow as pa

        n = batch.num_rows
        frame = pa.Table.from_batches([batch]).select(inputs).to_pandas()
        alive = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        columns: dict[str, np.ndarray] = {}
        for stage, score in zip(stages, scorers):
            index = np.flatnonzero(alive)
            out = score(frame.iloc[index][list(stage.inputs)].reset_index(drop=True)) if len(index) else None
            named = [(f.name, f.name) for f in tables.signals_of(stage.name).fields]
            named += [(f.name, decision_column(stage.name, f.name)) for f in DECISION]
            named += [(c, decision_column(stage.name, c)) for c in stage.replaces]
            for src, dst in named:
                full = np.full(n, None, dtype=object)
                if out is not None:
                    full[index] = out[src].to_numpy(dtype=object)
                columns[dst] = full
            kept = np.zeros(n, dtype=bool)
            if out is not None:
                kept[index] = out["keep"].to_numpy(dtype=bool)
                for c in stage.replaces:            # the stages after it read the rewritten value
                    new = out[c].to_numpy(dtype=object)
                    given = pd.notna(out[c]).to_numpy()
                    if given.any():
                        column = frame[c].to_numpy(dtype=object).copy()
                        column[index[given]] = new[given]
                        frame[c] = column
            alive = kept
        arrays = list(batch.columns) + [pa.array(columns[f.name], type=arrow_types[f.name], from_pandas=True)
                                        for f in fields]
        names = list(batch.schema.names) + [f.name for f in fields]
        return pa.RecordBatch.from_arrays(arrays, names=names)

    return step


def chain_scorers(spark: SparkSession, cfg: dict, stages: Sequence[FilterStage]) -> list[Callable]:
    """Each stage's scorer, made on the driver (models added as Spark files, indexes broadcast)."""
    return [stage.scorer(spark, cfg) for stage in stages]


def decided(spark: SparkSession, cfg: dict, stages: Sequence[FilterStage], owned: str = "true") -> DataFrame:
    """The source rows of the chain's first stage that match `owned`, with every stage's columns appended."""
    warehouse = cfg["run"]["warehouse"]
    require_source(spark, warehouse, stages[0].name)
    source = spread(spark, tables.read_text(spark, warehouse, stages[0].source, owned))
    fields = chain_fields(stages, source.schema)
    step = chain_step(stages, chain_scorers(spark, cfg, stages), fields)

    def run(batches):
        for batch in batches:
            yield step(batch)

    return source.mapInArrow(run, T.StructType(source.schema.fields + fields))


# --- after the pass: the tables, `rejected` and the funnel ----------------------------------------------------

def _keep(stage: FilterStage) -> Column:
    return F.col(decision_column(stage.name, "keep"))


def outputs(spark: SparkSession, cfg: dict, stages: Sequence[FilterStage], rows: DataFrame,
            owned: str) -> tuple[list[tuple[DataFrame, str, str]], DataFrame, dict[str, list]]:
    """From a chain's decided `rows` (persisted): each stage's table slice, the rows it dropped (REJECTED
    columns, `stage` set) and its funnel counters [(crawl, counter, value)], counted in one job."""
    run_id = cfg["run"]["run_id"]
    slices, rejected = [], []
    reached = F.lit(True)
    replaced: dict[str, Column] = {}
    for stage in stages:
        for c in stage.replaces:
            replaced[c] = F.coalesce(F.col(decision_column(stage.name, c)), replaced.get(c, F.col(c)))
        kept = rows.where(reached & _keep(stage))
        kept = kept.select(*[replaced[c].alias(c) if c in replaced else F.col(c) for c in kept.columns])
        slices.append((kept.withColumn("run_id", F.lit(run_id)), stage.table, owned))
        rejected.append(rows.where(reached & ~_keep(stage)).select(
            *tables.PROVENANCE_COLUMNS, F.lit(stage.name).alias("stage"),
            F.col(decision_column(stage.name, "reason")).alias("reason"),
            F.col(decision_column(stage.name, "value")).alias("value"), F.lit(run_id).alias("run_id")))
        reached = reached & _keep(stage)
    return slices, _union(rejected), chain_counts(rows, stages)


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def chain_counts(rows: DataFrame, stages: Sequence[FilterStage]) -> dict[str, list[tuple[str, str, int]]]:
    """Every stage's funnel counters from the decided rows, in one job and one pass: `input` (the rows the
    stages before it kept), `kept`, its `kept_counters` among the kept and `rejected.<reason>`."""
    keys = ["crawl"] + [decision_column(s.name, part) for s in stages for part in ("keep", "reason")]
    extra, names = [], []
    for s in stages:
        for counter, condition in s.kept_counters:
            names.append((s.name, counter, f"_c{len(extra)}"))
            extra.append(F.count_if(_keep(s) & F.expr(condition)).alias(f"_c{len(extra)}"))
    totals: dict[str, dict[tuple[str, str], int]] = {s.name: {} for s in stages}

    def add(stage: str, crawl: str, counter: str, value: int) -> None:
        if value:
            totals[stage][(crawl, counter)] = totals[stage].get((crawl, counter), 0) + value

    for r in rows.groupBy(*keys).agg(F.count(F.lit(1)).alias("_n"), *extra).collect():
        n, crawl = int(r["_n"]), r["crawl"]
        for s in stages:
            keep = r[decision_column(s.name, "keep")]
            if keep is None:                     # an earlier stage dropped these rows
                break
            add(s.name, crawl, "input", n)
            if keep:
                add(s.name, crawl, "kept", n)
                for stage, counter, column in names:
                    if stage == s.name:
                        add(s.name, crawl, counter, int(r[column]))
            else:
                add(s.name, crawl, f"rejected.{r[decision_column(s.name, 'reason')]}", n)
                break
    return {stage: [(crawl, counter, value) for (crawl, counter), value in found.items()]
            for stage, found in totals.items()}


def summary(counted: list[tuple[str, str, int]], kept_counters=()) -> dict:
    """A stage's counts for the line `webmath run` prints."""
    total = lambda prefix: sum(v for _, c, v in counted if c.startswith(prefix))
    return {"input": total("input"), "kept": total("kept"), "rejected": total("rejected."),
            **{counter: total(counter) for counter, _ in kept_counters}}


def run_chain(spark: SparkSession, cfg: dict, stages: Sequence[FilterStage],
              paths: list[str] | None = None) -> dict[str, dict]:
    """Run consecutive per-page stages as one pass over the first one's source; {stage: counts}."""
    warehouse, run_id = cfg["run"]["warehouse"], cfg["run"]["run_id"]
    owned = tables.in_list("warc_path", paths) if paths is not None else "true"
    rows = decided(spark, cfg, stages, owned).persist(StorageLevel.MEMORY_AND_DISK)
    try:                                  # decided once, by the count: every table is written from the cache
        slices, rejected, counted = outputs(spark, cfg, stages, rows, owned)
        names = [s.name for s in stages]
        tables.replace_slices(warehouse, [
            *slices, (rejected, "rejected", f"{tables.in_list('stage', names)} AND ({owned})"),
            stats.stages_slice(spark, run_id, counted)])
    finally:
        rows.unpersist()
    return {s.name: summary(counted[s.name], s.kept_counters) for s in stages}


def run(spark: SparkSession, cfg: dict, stage: FilterStage, paths: list[str] | None = None) -> dict:
    """One stage alone: a chain of one."""
    return run_chain(spark, cfg, [stage], paths)[stage.name]


def scored(spark: SparkSession, cfg: dict, stage: FilterStage, owned: str = "true") -> DataFrame:
    """The stage's decided source rows, without writing them."""
    return decided(spark, cfg, [stage], owned)


# --- shared by every stage -------------------------------------------------------------------------------------

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
