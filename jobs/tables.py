"""Every table's schema, the stage registry (one declaration per stage) and the one way the pipeline writes a
table: a Delta slice replace.

A stage never appends blindly: it replaces the slice it owns (the WARC files it read, or the documents it
scored), so a rerun of the same input leaves the same rows as one run.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

PROVENANCE = [
    T.StructField("doc_id", T.StringType()),
    T.StructField("url", T.StringType()),
    T.StructField("url_host", T.StringType()),
    T.StructField("crawl", T.StringType()),
    T.StructField("fetch_time", T.TimestampType()),
    T.StructField("warc_path", T.StringType()),
    T.StructField("warc_record_offset", T.LongType()),
    T.StructField("warc_record_length", T.LongType()),
    T.StructField("warc_record_id", T.StringType()),
    T.StructField("payload_digest", T.StringType()),
]
PROVENANCE_COLUMNS = [f.name for f in PROVENANCE]

MATH_MARKUP = T.StructType([T.StructField(name, T.IntegerType()) for name in (
    "tex_delimiters", "mathjax_script", "mathjax_rendered", "katex", "mathml", "tex_images", "mathjax_loaded")])

IMAGE = T.StructType([
    T.StructField("url", T.StringType()),
    T.StructField("alt", T.StringType()),
    T.StructField("position", T.IntegerType()),
])

DOCUMENTS = T.StructType(PROVENANCE + [
    T.StructField("http_status", T.IntegerType()),
    T.StructField("content_type", T.StringType()),
    T.StructField("charset", T.StringType()),
    T.StructField("title", T.StringType()),
    T.StructField("text", T.StringType()),
    T.StructField("images", T.ArrayType(IMAGE)),
    T.StructField("math_markup", MATH_MARKUP),
    T.StructField("html_bytes", T.LongType()),
    T.StructField("truncated", T.StringType()),
    T.StructField("extractor_version", T.StringType()),
    T.StructField("run_id", T.StringType()),
])

REJECTED = T.StructType(PROVENANCE + [
    T.StructField("stage", T.StringType()),
    T.StructField("reason", T.StringType()),
    T.StructField("value", T.StringType()),
    T.StructField("run_id", T.StringType()),
])

INGEST_LOG = T.StructType([
    T.StructField("warc_path", T.StringType()),
    T.StructField("crawl", T.StringType()),
    T.StructField("status", T.StringType()),
    T.StructField("records_read", T.LongType()),
    T.StructField("responses", T.LongType()),
    T.StructField("records_kept", T.LongType()),
    T.StructField("records_skipped", T.LongType()),
    T.StructField("records_damaged", T.LongType()),
    T.StructField("bytes_read", T.LongType()),
    T.StructField("error", T.StringType()),
    T.StructField("run_id", T.StringType()),
    T.StructField("started_at", T.TimestampType()),
    T.StructField("finished_at", T.TimestampType()),
])

STAGE_STATS = T.StructType([
    T.StructField("run_id", T.StringType()),
    T.StructField("stage", T.StringType()),
    T.StructField("crawl", T.StringType()),
    T.StructField("counter", T.StringType()),
    T.StructField("value", T.LongType()),
    T.StructField("computed_at", T.TimestampType()),
])

# Columns each filtering stage adds to the rows it keeps (its signals, stored on every row).
LANGUAGE_SIGNALS = T.StructType([
    T.StructField("lang", T.StringType()),
    T.StructField("lang_score", T.DoubleType()),
])

MATH_RECALL_SIGNALS = T.StructType([
    T.StructField("math_score_recall", T.DoubleType()),
    T.StructField("math_model_recall", T.StringType()),
])

# Dedup: the doc_id of the page kept for the cluster (the row's own: removed pages are in `rejected`, their
# value naming it) and how many pages of the input the cluster had, the kept page included.
DEDUP_SIGNALS = T.StructType([
    T.StructField("cluster_id", T.StringType()),
    T.StructField("cluster_size", T.LongType()),
])

MATH_PRECISION_SIGNALS = T.StructType([
    T.StructField("math_score_precision", T.DoubleType()),
    T.StructField("math_model_precision", T.StringType()),
])

QUALITY_SIGNALS = T.StructType(
    [T.StructField(name, T.LongType()) for name in ("word_count",)]
    + [T.StructField(name, T.DoubleType()) for name in (
        "mean_word_length", "symbol_ratio", "special_char_ratio", "punctuation_ratio", "char_repetition_ratio",
        "word_repetition_ratio", "dup_line_fraction", "dup_paragraph_fraction", "ellipsis_line_fraction",
        "bullet_line_fraction")]
    + [T.StructField(name, T.LongType()) for name in ("nsfw_word_count", "unicode_error_count")]
    + [T.StructField("math_char_fraction", T.DoubleType()), T.StructField("blocklisted", T.BooleanType())]
)

# One benchmark test item found in a document: which, the first matched n-gram (normalised text) and how many
# windows of the document matched it.
CONTAMINATION = T.StructType([
    T.StructField("benchmark", T.StringType()),
    T.StructField("item_id", T.StringType()),
    T.StructField("ngram", T.StringType()),
    T.StructField("matches", T.IntegerType()),
])

# `contamination` is empty unless the cut policy cut items out of the text (the drop policy drops such
# documents); `contamination_chars_cut` is how many characters of `text` the cuts removed.
DECONTAMINATE_SIGNALS = T.StructType([
    T.StructField("contamination", T.ArrayType(CONTAMINATION)),
    T.StructField("contamination_chars_cut", T.LongType()),
])

@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, declared once: the CLI, the run order, the passes, the funnel's order and the
    report are derived from `REGISTRY`. What runs is the module `jobs.<name>`: a per-page stage's `STAGE`
    (jobs.filtering.FilterStage), any other stage's `run(spark, cfg, paths)`."""
    name: str
    table: str                        # the table it writes (it reads the table of the stage before it)
    signals: T.StructType             # the columns it adds to every row it keeps
    help: str                         # its line in `webmath --help`
    score: tuple[str, str] | None = None   # (score column, reason whose value is that score): report histogram
    # whether its table holds the pages' text and the other columns of `documents` (CONTENT); the other
    # tables hold the provenance, the signals of the stages so far and run_id, and are read with their text
    # by `read_text`
    text: bool = False


REGISTRY = (
    Stage("extract", "documents", T.StructType([]),
          "WARC files -> documents (text with LaTeX and image placeholders, provenance)", text=True),
    Stage("language", "language", LANGUAGE_SIGNALS,
          "documents -> language: language id on the prose (math masked), en/zh kept",
          ("lang_score", "language_score_low")),
    Stage("math_recall", "math_recall", MATH_RECALL_SIGNALS,
          "language -> math_recall: high-recall fastText math classifier (OpenWebMath thresholds)",
          ("math_score_recall", "math_score_low"), text=True),
    Stage("dedup", "deduped", DEDUP_SIGNALS,
          "math_recall -> deduped: exact (normalised URL, content hash) and MinHash-LSH near duplicates, "
          "against minhash_index and within the input"),
    Stage("quality", "quality", QUALITY_SIGNALS,
          "deduped -> quality: math-aware rule filters (Gopher/ROOTS signals, NSFW words, domain blocklist)"),
    Stage("math_precision", "math_precision", MATH_PRECISION_SIGNALS,
          "quality -> math_precision: the stricter fastText math classifier, high thresholds",
          ("math_score_precision", "math_score_low")),
    Stage("decontaminate", "corpus", DECONTAMINATE_SIGNALS,
          "-> corpus: drop (or cut) benchmark test items: 13-gram index of GSM8K, MATH, MATH-500, MMLU-STEM",
          text=True),
)
# Every stage in pipeline order (the published order: extract -> language -> math_recall -> dedup (deduped) ->
# quality -> math_precision -> decontaminate (corpus)).
PIPELINE = [stage.name for stage in REGISTRY]
# The stages after extract: stage -> (the table it writes, the columns it adds to every row).
STAGES = {stage.name: (stage.table, stage.signals) for stage in REGISTRY[1:]}
PIPELINE_TABLES = [stage.table for stage in REGISTRY]


def table_of(stage: str) -> str:
    return STAGES[stage][0]


def signals_of(stage: str) -> T.StructType:
    return STAGES[stage][1]


def source_of(stage: str) -> str:
    """The table a stage reads: the one written by the stage before it."""
    return PIPELINE_TABLES[PIPELINE_TABLES.index(table_of(stage)) - 1]


# The columns of `documents` besides the provenance and run_id: what a table without text leaves out.
CONTENT = [f.name for f in DOCUMENTS.fields if f.name not in PROVENANCE_COLUMNS and f.name != "run_id"]


def _stage_of_table(table: str) -> Stage:
    return REGISTRY[PIPELINE_TABLES.index(table)]


def stage_schema(table: str) -> T.StructType:
    """The provenance, `documents`' other columns when the stage's table holds text, then every earlier stage's
    signals and this one's, `run_id` last."""
    stage = _stage_of_table(table)
    fields = [f for f in DOCUMENTS.fields if f.name != "run_id" and (stage.text or f.name in PROVENANCE_COLUMNS)]
    for _, signals in list(STAGES.values())[:PIPELINE_TABLES.index(table)]:
        fields += signals.fields
    return T.StructType(fields + [T.StructField("run_id", T.StringType())])


def text_table(table: str) -> str:
    """The table that holds the text of `table`'s pages: itself, or the nearest table before it that holds
    text (a page's text is the same in every table up to `corpus`, where decontamination may cut it)."""
    index = PIPELINE_TABLES.index(table)
    return next(PIPELINE_TABLES[i] for i in range(index, -1, -1) if REGISTRY[i].text)


# The kept pages' dedup keys, the index a later run's input is deduplicated against: a page in it is never
# removed for a new copy, and a new copy of it never gets in. `signature` holds the MinHash values (uint32 as
# int32), `bands` the LSH band hashes.
MINHASH_INDEX = T.StructType([
    T.StructField("doc_id", T.StringType()),
    T.StructField("crawl", T.StringType()),
    T.StructField("warc_path", T.StringType()),
    T.StructField("fetch_time", T.TimestampType()),
    T.StructField("url_key", T.StringType()),
    T.StructField("content_key", T.StringType()),
    T.StructField("signature", T.ArrayType(T.IntegerType())),
    T.StructField("bands", T.ArrayType(T.LongType())),
    T.StructField("run_id", T.StringType()),
])

# Which stages have finished which WARC files (jobs.progress): what `refresh` carries on and resumes from.
PROGRESS = T.StructType([
    T.StructField("warc_path", T.StringType()),
    T.StructField("stage", T.StringType()),
    T.StructField("run_id", T.StringType()),
    T.StructField("finished_at", T.TimestampType()),
])

# table name -> (schema, partition columns)
TABLES = {
    "documents": (DOCUMENTS, ["crawl"]),
    **{table: (stage_schema(table), ["crawl"]) for table, _ in STAGES.values()},
    "rejected": (REJECTED, ["crawl"]),
    "ingest_log": (INGEST_LOG, ["crawl"]),
    "minhash_index": (MINHASH_INDEX, ["crawl"]),
    "stage_stats": (STAGE_STATS, []),
    "progress": (PROGRESS, []),
}


def path(warehouse: str, table: str) -> str:
    return f"{warehouse.rstrip('/')}/{table}"


def exists(spark: SparkSession, warehouse: str, table: str) -> bool:
    from delta.tables import DeltaTable
    return DeltaTable.isDeltaTable(spark, path(warehouse, table))


def read(spark: SparkSession, warehouse: str, table: str) -> DataFrame:
    return spark.read.format("delta").load(path(warehouse, table))


def read_text(spark: SparkSession, warehouse: str, table: str, where: str = "true") -> DataFrame:
    """The rows of a pipeline table matching `where` (a condition on provenance columns), with the text and
    the other columns of `documents` when the table itself does not hold them (joined by doc_id from
    `text_table`)."""
    rows = read(spark, warehouse, table).where(where)
    source = text_table(table)
    if source == table:
        return rows
    content = read(spark, warehouse, source).where(where).select("doc_id", *CONTENT)
    # a table written before its text moved out still has the columns (null in rows written since)
    return rows.drop(*[c for c in CONTENT if c in rows.columns]).join(content, "doc_id")


def sql_name(spark: SparkSession, warehouse: str, table: str) -> str:
    """The table as a SQL identifier, delta.`<path>`. Delta takes it for a path only when the path is
    absolute, so a relative one is qualified as the writers resolve it (Hadoop's working directory)."""
    location = spark._jvm.org.apache.hadoop.fs.Path(path(warehouse, table))
    qualified = location.getFileSystem(spark._jsc.hadoopConfiguration()).makeQualified(location).toString()
    return f"delta.`{qualified}`"


def properties(spark: SparkSession, warehouse: str, table: str) -> dict[str, str]:
    """The table's Delta properties (TBLPROPERTIES)."""
    return {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {sql_name(spark, warehouse, table)}").collect()}


def set_properties(spark: SparkSession, warehouse: str, table: str, values: dict[str, str]) -> None:
    pairs = ", ".join(f"{sql_literal(k)} = {sql_literal(v)}" for k, v in sorted(values.items()))
    spark.sql(f"ALTER TABLE {sql_name(spark, warehouse, table)} SET TBLPROPERTIES ({pairs})")


def sql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def in_list(column: str, values) -> str:
    values = sorted(set(values))
    if not values:
        return "false"
    return f"{column} IN ({', '.join(sql_literal(v) for v in values)})"


class ConcurrentWriteError(RuntimeError):
    """Another run kept committing to the slice this one was replacing; its message is one line."""


# Attempts of a slice replace that lost a commit race to another run (Delta's optimistic concurrency). The
# replace is idempotent, so trying again after the other commit is safe.
WRITE_ATTEMPTS = 5


def replace_slice(df: DataFrame, warehouse: str, table: str, predicate: str, attempts: int = WRITE_ATTEMPTS) -> None:
    """Write `df` as the rows of `table` that match `predicate`, replacing whatever matched it before.

    One Delta transaction: readers see the old slice or the new one, never both, and a rerun is idempotent.
    Every row of `df` must itself match `predicate` (Delta checks it). A commit that conflicts with another
    writer's (Delta's optimistic concurrency: the other committed to the rows this one replaces since it
    started) is tried again from the start, with a line on stderr, up to `attempts` times in all; then
    ConcurrentWriteError.
    """
    import random
    import time

    import delta.exceptions.captured  # noqa: F401  (turns Delta's commit conflicts into Python exceptions)
    from delta.exceptions import DeltaConcurrentModificationException, ConcurrentAppendException, \
        ConcurrentDeleteDeleteException, ConcurrentDeleteReadException, ConcurrentTransactionException, \
        ConcurrentWriteException, MetadataChangedException, ProtocolChangedException
    conflicts = (DeltaConcurrentModificationException, ConcurrentAppendException, ConcurrentDeleteDeleteException,
                 ConcurrentDeleteReadException, ConcurrentTransactionException, ConcurrentWriteException,
                 MetadataChangedException, ProtocolChangedException)
    schema, partitions = TABLES[table]
    df = df.select([field.name for field in schema.fields])
    for attempt in range(1, attempts + 1):
        writer = df.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
        if partitions:
            writer = writer.partitionBy(*partitions)
        try:
            writer.save(path(warehouse, table))
            return
        except conflicts as exc:
            if attempt == attempts:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConcurrentWriteError(
                    f"table {path(warehouse, table)}: another run committed to the same rows {attempt} times "
                    f"while this one was writing ({type(exc).__name__}: {first[:200]}); run it again") from None
            print(f"table {path(warehouse, table)}: another writer committed to the same rows first "
                  f"({type(exc).__name__}); writing again, attempt {attempt + 1} of {attempts}",
                  file=sys.stderr, flush=True)
            time.sleep(random.uniform(0.5, 2.0) * attempt)


def replace_slices(warehouse: str, slices: list[tuple[DataFrame, str, str]]) -> None:
    """`replace_slice` for each (df, table, predicate), the tables written at once from threads of one session:
    each is still its own transaction, and the commits of one overlap the others' work. The threads run their
    Spark jobs with the caller's local properties (its job group: jobs.watch counts the writes' tasks). Raises
    the first failure once every write has ended."""
    from concurrent.futures import ThreadPoolExecutor

    from pyspark.util import inheritable_thread_target

    write = inheritable_thread_target(slices[0][0].sparkSession)(replace_slice)
    with ThreadPoolExecutor(max_workers=len(slices), thread_name_prefix="write") as pool:
        futures = [pool.submit(write, df, warehouse, table, predicate) for df, table, predicate in slices]
    for future in futures:
        future.result()
