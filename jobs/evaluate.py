"""`webmath evaluate --truth truth.jsonl`: precision and recall of the math selection after every stage.

`truth.jsonl` has one line per response with `record_id` (the WARC-Record-ID) and `label` (`math`, `non_math`,
`non_html`), as the sample crawl's does. A stage's selection is the set of documents in its table.
"""
from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession

from jobs import tables
from jobs.config import ConfigError


def load_truth(path: str) -> dict[str, bool]:
    if not Path(path).is_file():
        raise ConfigError(f"truth file not found: {path}")
    truth = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        try:
            row = json.loads(line)
            truth[row["record_id"]] = row["label"] == "math"
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}:{n}: needs JSON with 'record_id' and 'label' ({exc})") from None
    return truth


def run(spark: SparkSession, cfg: dict, truth: dict[str, bool]) -> list[dict]:
    warehouse = cfg["run"]["warehouse"]
    positives = sum(truth.values())
    out = []
    for table in tables.PIPELINE_TABLES:
        if not tables.exists(spark, warehouse, table):
            continue
        ids = {r[0] for r in tables.read(spark, warehouse, table).select("warc_record_id").collect()}
        ids &= truth.keys()
        tp = sum(truth[i] for i in ids)
        out.append({"table": table, "kept": len(ids), "math_kept": tp,
                    "precision": tp / len(ids) if ids else 0.0, "recall": tp / positives if positives else 0.0})
    return out


def format_report(rows: list[dict], positives: int) -> str:
    lines = [f"math selection against {positives} pages labelled math",
             f"{'table':<16}{'kept':>8}{'math':>8}{'precision':>11}{'recall':>9}"]
    for r in rows:
        lines.append(f"{r['table']:<16}{r['kept']:>8}{r['math_kept']:>8}{r['precision']:>11.4f}{r['recall']:>9.4f}")
    return "\n".join(lines)
