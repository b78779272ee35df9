"""`webmath report`: an HTML page with charts of a run, what a data engineer looks at after a night's run.

    webmath report --warehouse warehouse [--run-id RUN] [--out DIR]   # default: WAREHOUSE/report/index.html

The folder may be on S3 (`s3://`, `s3a://`: the default for a warehouse there), written through s3fs.

The funnel comes from `stage_stats` (jobs.stats.funnel); the score histograms (with the configured thresholds),
the rejection reasons, the language mix and the sampled documents count the rows the run wrote (its run_id).
Only aggregates and a few rows reach the driver: histograms are counted per floor(score * bins) in Spark, and
the samples are picked by the smallest hash of doc_id on the narrow columns first, their text excerpts then
read for those doc_ids alone. A missing table leaves its section saying so; udfs.report draws and renders.
"""
from __future__ import annotations

import importlib
import tempfile
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from jobs import stats, storage, tables
from jobs.config import ConfigError
from udfs import report as page

# The score histograms: stage -> (its score column, the rejection reason whose value is that score).
SCORES = {stage.name: stage.score for stage in tables.REGISTRY if stage.score}
# Each stage of the funnel and the table it writes, in pipeline order.
STAGE_TABLES = dict(zip(stats.STAGE_ORDER, tables.PIPELINE_TABLES))
# A stage's place in the pipeline, for listing its rows in that order (anything else last).
STAGE_RANK = {stage: i for i, stage in enumerate(stats.STAGE_ORDER)}


def thresholds(cfg: dict, stage: str) -> dict[str, float]:
    """The bars the stage's score is held to, by the name of the case they apply to."""
    if stage == "language":
        return {"min_score": cfg["language"]["min_score"]}
    c = cfg[stage]
    return {"with math markup": c["threshold_with_markup"], "without math markup": c["threshold_without_markup"]}


def out_dir(warehouse: str, out: str | None) -> str:
    """Where the report goes: `out`, or the warehouse's `report/`; a local folder or an S3 one."""
    folder = (out or f"{warehouse.rstrip('/')}/report").removeprefix("file://")
    if "://" in folder and not storage.is_s3(folder):
        raise ConfigError(f"report: {folder} is neither a local folder nor on S3 (give one with --out)")
    return folder


def run(spark: SparkSession, cfg: dict, run_id: str | None = None, out: str | None = None) -> dict:
    """Write the report of `run_id` (default: the latest run) to `out`: {index, charts, report}: the page and
    the charts as local paths, or as S3 URLs."""
    folder = out_dir(cfg["run"]["warehouse"], out)
    report = collect(spark, cfg, run_id)
    if not storage.is_s3(folder):
        index, charts = page.write(report, Path(folder))
        return {"index": index, "charts": charts, "report": report}
    import fsspec
    fs, root = fsspec.core.url_to_fs(folder)
    with tempfile.TemporaryDirectory() as tmp:
        index, charts = page.write(report, Path(tmp))
        for path in [*charts, index]:   # the page last: once it is there, so are the charts it shows
            fs.put_file(str(path), f"{root.rstrip('/')}/{path.name}")
    url = lambda path: f"{folder.rstrip('/')}/{path.name}"
    return {"index": url(index), "charts": [url(c) for c in charts], "report": report}


def collect(spark: SparkSession, cfg: dict, run_id: str | None = None) -> page.Report:
    """The report's data: small aggregates and a few sampled rows of the run."""
    warehouse, c = cfg["run"]["warehouse"], cfg["report"]
    run_id, funnel = stats.funnel(spark, warehouse, run_id)
    if not funnel:
        raise ConfigError(f"no stage_stats for run {run_id} in {warehouse}" if run_id else
                          f"no stage_stats in {warehouse} (no stage has run there)")
    needed = [*STAGE_TABLES.values(), "rejected"]
    report = page.Report(run_id=run_id, warehouse=warehouse, funnel=funnel, sample_tables=STAGE_TABLES,
                         missing={t for t in needed if not tables.exists(spark, warehouse, t)})

    def rows(table: str) -> DataFrame | None:
        """The rows `run_id` wrote to `table`, None when the table is missing."""
        if table in report.missing:
            return None
        return tables.read(spark, warehouse, table).where(F.col("run_id") == run_id)

    rejected = rows("rejected")
    report.scores = _scores(cfg, rows, rejected)
    languages = rows("language")
    if languages is not None:
        report.languages["kept"] = {r["lang"]: r["count"] for r in languages.groupBy("lang").count().collect()}
    if rejected is not None:
        report.rejections, not_kept = _rejections(rejected)
        if languages is not None:
            report.languages["rejected"] = not_kept
    report.samples = _samples(spark, warehouse, rows, rejected, report.missing, c["samples"], c["excerpt_chars"])
    return report


def _scores(cfg: dict, rows, rejected: DataFrame | None) -> list[page.Scores]:
    """Each score's histogram, all counted in one job: the kept rows' score, and the failing values of the rows
    rejected for a low score (series `rejected: <reason>`)."""
    bins = cfg["report"]["bins"]
    present = {stage: df for stage in SCORES if (df := rows(tables.table_of(stage))) is not None}
    frames = [df.select(F.lit(stage).alias("stage"), F.lit("kept").alias("series"),
                        F.col(SCORES[stage][0]).alias("score")) for stage, df in present.items()]
    if rejected is not None and present:
        low = reduce(lambda a, b: a | b, [(F.col("stage") == stage) & (F.col("reason") == SCORES[stage][1])
                                          for stage in present])
        frames.append(rejected.where(low).select("stage", F.concat(F.lit("rejected: "), "reason").alias("series"),
                                                 F.col("value").cast("double").alias("score")))
    counts: dict[tuple[str, str], dict[int, int]] = {}
    if frames:
        for r in (reduce(DataFrame.unionByName, frames).where(F.col("score").isNotNull())
                  .groupBy("stage", "series", F.floor(F.col("score") * bins).cast("int").alias("bin")).count()
                  .collect()):
            counts.setdefault((r["stage"], r["series"]), {})[r["bin"]] = r["count"]
    labels = {stage: ["kept"] + ([] if rejected is None else [f"rejected: {reason}"])
              for stage, (_, reason) in SCORES.items() if stage in present}
    return [page.Scores(stage, tables.table_of(stage), column, thresholds(cfg, stage),
                        {label: page.histogram(counts.get((stage, label), {}), bins)
                         for label in labels.get(stage, [])})
            for stage, (column, _) in SCORES.items()]


def _rejections(rejected: DataFrame) -> tuple[list[tuple[str, str, int]], dict[str, int]]:
    """(stage, reason, documents) in pipeline order, most first; and the documents per language found of the
    language stage's `language_not_kept` (its value), counted in the same job."""
    lang = F.when((F.col("stage") == "language") & (F.col("reason") == "language_not_kept"), F.col("value"))
    counted = rejected.groupBy("stage", "reason", lang.alias("lang")).count().collect()
    totals: dict[tuple[str, str], int] = {}
    for r in counted:
        totals[(r["stage"], r["reason"])] = totals.get((r["stage"], r["reason"]), 0) + r["count"]
    rejections = sorted(((stage, reason, n) for (stage, reason), n in totals.items()),
                        key=lambda r: (STAGE_RANK.get(r[0], len(STAGE_RANK)), -r[2], r[1]))
    return rejections, {r["lang"]: r["count"] for r in counted if r["lang"] is not None}


def _rewrites_text(stage: str) -> bool:
    """Whether the stage may change a page's text (decontamination's cut policy): its FilterStage says so."""
    return "text" in getattr(getattr(importlib.import_module(f"jobs.{stage}"), "STAGE", None), "replaces", ())


def _text_table(stage: str, kept: bool) -> str | None:
    """The table a sampled document's text is read from: `documents`, which holds every extracted page's text,
    unless the page was kept by a stage that may rewrite it; extract's rejections have no text."""
    if kept and _rewrites_text(stage):
        return STAGE_TABLES[stage]
    return "documents" if kept or stage != "extract" else None


def _samples(spark: SparkSession, warehouse: str, rows, rejected: DataFrame | None, missing: set[str], n: int,
             excerpt_chars: int) -> list[page.Sample]:
    """Per stage the `n` kept rows and the `n` rejected ones (round robin over the reasons) with the smallest
    xxhash64 of (doc_id, stage), picked in one job on the narrow columns (the first window's limit is applied
    before its shuffle); then the head of their text, read for those doc_ids only."""
    frames = [df.select(F.lit(stage).alias("stage"), F.lit(True).alias("kept"), "doc_id", "url",
                        F.lit(None).cast("string").alias("reason"),
                        (F.format_string("%.4f", SCORES[stage][0]) if stage in SCORES
                         else F.lit(None).cast("string")).alias("value"))
              for stage, df in ((stage, rows(table)) for stage, table in STAGE_TABLES.items()) if df is not None]
    if rejected is not None:
        frames.append(rejected.select("stage", F.lit(False).alias("kept"), "doc_id", "url", "reason", "value"))
    if not frames:
        return []
    by_reason = Window.partitionBy("stage", "kept", "reason").orderBy("_h", "doc_id")
    by_stage = Window.partitionBy("stage", "kept").orderBy("_r", "_h", "doc_id")
    picked = (reduce(DataFrame.unionByName, frames).withColumn("_h", F.xxhash64("doc_id", "stage"))
              .withColumn("_r", F.row_number().over(by_reason)).where(F.col("_r") <= n)
              .withColumn("_n", F.row_number().over(by_stage)).where(F.col("_n") <= n).collect())
    wanted: dict[str, set] = {}
    for r in picked:
        table = _text_table(r["stage"], r["kept"])
        if table is not None and table not in missing:
            wanted.setdefault(table, set()).add(r["doc_id"])
    heads = [tables.read(spark, warehouse, table).where(tables.in_list("doc_id", ids))
             .select(F.lit(table).alias("table"), "doc_id", F.substring("text", 1, excerpt_chars).alias("excerpt"),
                     F.length("text").alias("chars")) for table, ids in wanted.items()]
    texts = {(r["table"], r["doc_id"]): (r["excerpt"], (r["chars"] or 0) > excerpt_chars)
             for r in (reduce(DataFrame.unionByName, heads).collect() if heads else [])}
    out = []
    for r in sorted(picked, key=lambda r: (STAGE_RANK.get(r["stage"], len(STAGE_RANK)), not r["kept"], r["_n"])):
        excerpt, truncated = texts.get((_text_table(r["stage"], r["kept"]), r["doc_id"]), (None, False))
        out.append(page.Sample(stage=r["stage"], kept=r["kept"], doc_id=r["doc_id"], url=r["url"], excerpt=excerpt,
                               truncated=truncated, reason=r["reason"], value=r["value"]))
    return out
