"""`webmath expand-seeds`: DeepSeekMath's recall expansion, one round.

Per domain, the share of its pages (in the table the classifier read, `language`) that the classifier kept
(`math_recall`). Domains above `expand.min_share` (DeepSeekMath: 10%) with at least `expand.min_pages` pages are
math domains; their pages the classifier did not keep are the candidates for the next round of seeds. Writes the
candidates (JSONL, with an empty `label` to review) and the domain statistics (JSON).
"""
from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import tables
from jobs.config import ConfigError


def run(spark: SparkSession, cfg: dict, out_dir: str, pool: str = "language", kept: str = "math_recall") -> dict:
    c = cfg["expand"]
    warehouse = cfg["run"]["warehouse"]
    for table in (pool, kept):
        if not tables.exists(spark, warehouse, table):
            raise ConfigError(f"table not found: {tables.path(warehouse, table)}")
    pages = tables.read_text(spark, warehouse, pool).select("doc_id", "url", "url_host", "text")
    kept_ids = tables.read(spark, warehouse, kept).select("doc_id").withColumn("kept", F.lit(True))
    marked = pages.join(kept_ids, "doc_id", "left").withColumn("kept", F.coalesce("kept", F.lit(False)))
    domains = (marked.groupBy("url_host")
               .agg(F.count(F.lit(1)).alias("pages"), F.sum(F.col("kept").cast("int")).alias("math_pages"))
               .withColumn("share", F.col("math_pages") / F.col("pages")))
    math_domains = domains.where((F.col("share") > c["min_share"]) & (F.col("pages") >= c["min_pages"]))
    candidates = (marked.where(~F.col("kept")).join(math_domains.select("url_host", "share"), "url_host")
                  .orderBy("url_host", "doc_id").collect())
    stats = [r.asDict() for r in math_domains.orderBy(F.col("share").desc(), "url_host").collect()]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "candidates.jsonl", "w", encoding="utf-8") as fh:
        for r in candidates:
            fh.write(json.dumps({"doc_id": r["doc_id"], "url": r["url"], "url_host": r["url_host"],
                                 "domain_share": r["share"], "text": r["text"][:c["max_chars"]], "label": None},
                                ensure_ascii=False) + "\n")
    (out / "math_domains.json").write_text(json.dumps(stats, indent=2))
    return {"math_domains": len(stats), "candidates": len(candidates), "out": str(out)}
