"""`webmath extract`: WARC files → `documents`, `rejected`, `ingest_log`, `stage_stats`.

One Spark task per WARC file: the paths are spread one per partition and `mapInArrow` streams each file
through `udfs.extract.extract_file`. The per-page stages after it (`webmath run`: language, math_recall) can
run in the same pass (`chain`): each batch of extracted pages goes through their scorers in the same Python
worker (jobs.filtering.chain_step), and their tables are written with extract's. The stage owns the slice of
the tables that belongs to the WARC files it read, and replaces it, so extracting the same files again gives
the same rows as once.
"""
from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from jobs import filtering, inputs, stats, storage, tables
from jobs.config import section_options
from udfs import storage as udfs_storage
from udfs.extract import ExtractOptions, partition_fn

STAGE = "extract"


def _wire_schema() -> T.StructType:
    """What a task sends back: the union of the documents, rejected and ingest_log columns, plus `kind`."""
    fields = {"kind": T.StructField("kind", T.StringType())}
    for schema in (tables.DOCUMENTS, tables.REJECTED, tables.INGEST_LOG):
        for field in schema.fields:
            fields.setdefault(field.name, field)
    return T.StructType(list(fields.values()))


def options(cfg: dict, run_id: str) -> ExtractOptions:
    return section_options(cfg, "extract", ExtractOptions, run_id=run_id, crawl=cfg["input"]["crawl"])


def extracted(spark: SparkSession, cfg: dict, paths: list[str],
              chain: tuple[filtering.FilterStage, ...] = (), counter=None) -> DataFrame:
    """Every WARC file as its own Spark task, streamed through `extract_file`: the rows of all three tables,
    told apart by `kind` (document, rejected, file), the documents judged by the `chain` stages. `counter`
    (jobs.watch.Counter): the tasks add each file read and its responses to it."""
    wire = _wire_schema()
    counts = (counter.files, counter.pages) if counter is not None else (None, None)
    read = partition_fn(options(cfg, cfg["run"]["run_id"]), to_arrow_schema(wire), cfg["extract"]["batch_rows"],
                        *counts)
    s3 = storage.options(cfg)

    def fn(batches):
        udfs_storage.apply(s3)   # the task opens s3:// WARC files with the run's S3 settings
        yield from read(batches)

    files = spark.createDataFrame(
        spark.sparkContext.parallelize([(p,) for p in paths], len(paths)), "warc_path string")
    if not chain:
        return files.mapInArrow(fn, wire)
    fields = filtering.chain_fields(chain, wire)
    step = filtering.chain_step(chain, filtering.chain_scorers(spark, cfg, chain), fields)

    def fused(batches):
        for batch in fn(batches):
            yield step(batch, batch.column("kind").to_numpy(zero_copy_only=False) == "document")

    return files.mapInArrow(fused, T.StructType(wire.fields + fields))


def run(spark: SparkSession, cfg: dict, paths: list[str] | None = None,
        chain: tuple[filtering.FilterStage, ...] = (), counter=None) -> dict:
    """Extract `paths` (and judge the pages by the `chain` stages in the same pass); the counts of extract,
    and with a chain {stage: counts} of every stage. `counter`: see `extracted`."""
    run_id = cfg["run"]["run_id"]
    warehouse = cfg["run"]["warehouse"]
    if paths is None:
        paths = inputs.resolve(cfg["input"]["path"], cfg["input"]["prefix"])

    out = extracted(spark, cfg, paths, chain, counter).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        owned = tables.in_list("warc_path", paths)
        counted = {STAGE: count(out)}                 # extracts once, into the cache the writes read
        rejected = out.where("kind = 'rejected'")
        slices = []
        if chain:
            slices, chain_rejected, chain_counted = filtering.outputs(
                spark, cfg, chain, out.where("kind = 'document'"), owned)
            rejected = rejected.select(chain_rejected.columns).unionByName(chain_rejected)
            counted.update(chain_counted)
        stages = tables.in_list("stage", counted)
        tables.replace_slices(warehouse, [
            (out.where("kind = 'document'"), "documents", owned), *slices,
            (rejected, "rejected", f"{stages} AND {owned}"),
            (out.where("kind = 'file'"), "ingest_log", owned),
            stats.stages_slice(spark, run_id, counted)])
    finally:
        out.unpersist()
    found = counted[STAGE]
    total = lambda counter: sum(v for _, c, v in found if c == counter)
    summary = {"files": total("files"), "records_read": total("records_read"), "kept": total("kept"),
               "skipped": sum(v for _, c, v in found if c.startswith("rejected."))}
    if not chain:
        return summary
    return {STAGE: summary, **{s.name: filtering.summary(counted[s.name], s.kept_counters) for s in chain}}


def count(out: DataFrame) -> list[tuple[str, str, int]]:
    """The stage's funnel counters from the rows of the three tables (told apart by `kind`), in one job and one
    pass over them: `files`, `files.<status>`, `records_read` and `input` (responses) from the files,
    `kept` from the documents, `rejected.<reason>` from the rejected records; (crawl, counter, value)."""
    totals: dict[tuple[str, str], int] = {}

    def add(crawl: str, counter: str, value) -> None:
        totals[(crawl, counter)] = totals.get((crawl, counter), 0) + int(value or 0)

    for r in (out.groupBy("crawl", "kind", "status", "reason")
              .agg(F.count(F.lit(1)).alias("n"), F.sum("records_read").alias("records_read"),
                   F.sum("responses").alias("responses")).collect()):
        if r["kind"] == "file":
            for counter, value in (("files", r["n"]), (f"files.{r['status']}", r["n"]),
                                   ("records_read", r["records_read"]), ("input", r["responses"])):
                add(r["crawl"], counter, value)
        elif r["kind"] == "document":
            add(r["crawl"], "kept", r["n"])
        elif r["kind"] == "rejected":
            add(r["crawl"], f"rejected.{r['reason']}", r["n"])
    return [(crawl, counter, value) for (crawl, counter), value in totals.items()]
