"""`webmath sample`: a stratified sample of a stage's table, exported as JSONL for labelling.

    webmath sample --table math_recall --n 400 --out to_label.jsonl

Strata are score buckets (equal widths over [0, 1] of `--score-column`), taken round robin so thin buckets
are not crowded out; inside each, at most `sample.per_domain` pages of one domain, picked by a seeded hash of
doc_id, so the sample is spread over domains and the same table gives the same sample. Each line has doc_id, url, url_host, the score, its bucket,
the text and an empty `label` for a person or a model to fill; `webmath train-classifier --labelled` reads it.
"""
from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from jobs import tables
from jobs.config import ConfigError


def run(spark: SparkSession, cfg: dict, table: str, score_column: str, n: int, out: str) -> dict:
    c = cfg["sample"]
    warehouse = cfg["run"]["warehouse"]
    if not tables.exists(spark, warehouse, table):
        raise ConfigError(f"table not found: {tables.path(warehouse, table)}")
    df = tables.read_text(spark, warehouse, table)
    if score_column not in df.columns:
        raise ConfigError(f"table {table} has no column '{score_column}'")
    buckets = c["buckets"]
    picked = (df.select("doc_id", "url", "url_host", "text", F.col(score_column).alias("score"))
              .withColumn("bucket", F.least(F.floor(F.col("score") * buckets), F.lit(buckets - 1)).cast("int"))
              .withColumn("_h", F.xxhash64("doc_id", F.lit(c["seed"])))
              .withColumn("_d", F.row_number().over(Window.partitionBy("bucket", "url_host").orderBy("_h", "doc_id")))
              .where(F.col("_d") <= c["per_domain"])
              .withColumn("_b", F.row_number().over(Window.partitionBy("bucket").orderBy("_h", "doc_id")))
              .orderBy("_b", "bucket")   # round robin over the buckets: balanced, and n rows if there are n
              .limit(n)
              .collect())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for r in picked:
            fh.write(json.dumps({"doc_id": r["doc_id"], "url": r["url"], "url_host": r["url_host"],
                                 "score": r["score"], "bucket": r["bucket"],
                                 "text": r["text"][:c["max_chars"]], "label": None}, ensure_ascii=False) + "\n")
    per_bucket = {}
    for r in picked:
        per_bucket[r["bucket"]] = per_bucket.get(r["bucket"], 0) + 1
    return {"rows": len(picked), "per_bucket": dict(sorted(per_bucket.items())), "out": out}
