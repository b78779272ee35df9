"""`webmath evaluate --truth truth.jsonl`: precision and recall of the math selection after every stage.

`truth.jsonl` has one line per response with `record_id` (the WARC-Record-ID) and `label` (`math`, `non_math`,
`non_html`), as the sample crawl's does; `url` with `dup_of` / `near_dup_of` (the URL of the page a planted
copy copies) where the crawl has copies. A stage's selection is the set of documents in its table.

Two recalls: of every page labelled math, and of the distinct math pages. After dedup a page removed for its
copy is not lost, so the second counts a math page as kept when it or any copy of it is kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from jobs import tables
from jobs.config import ConfigError


@dataclass(frozen=True)
class Truth:
    math: dict[str, bool]    # record_id -> labelled math
    group: dict[str, str]    # record_id -> record_id of the original page it is a copy of (its own if none)

    @property
    def positives(self) -> int:
        return sum(self.math.values())

    @property
    def distinct_positives(self) -> int:
        return len({self.group[r] for r, m in self.math.items() if m})


def load_truth(path: str) -> Truth:
    if not Path(path).is_file():
        raise ConfigError(f"truth file not found: {path}")
    math, copies, by_url = {}, {}, {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        try:
            row = json.loads(line)
            math[row["record_id"]] = row["label"] == "math"
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}:{n}: needs JSON with 'record_id' and 'label' ({exc})") from None
        if row.get("url"):
            by_url[row["url"]] = row["record_id"]
        original = row.get("dup_of") or row.get("near_dup_of")
        if original:
            copies[row["record_id"]] = original
    group = {}
    for record in math:
        seen, node = {record}, record
        while node in copies and by_url.get(copies[node]) not in (None, *seen):
            node = by_url[copies[node]]
            seen.add(node)
        group[record] = node
    return Truth(math, group)


def run(spark: SparkSession, cfg: dict, truth: Truth) -> list[dict]:
    warehouse = cfg["run"]["warehouse"]
    out = []
    for table in tables.PIPELINE_TABLES:
        if not tables.exists(spark, warehouse, table):
            continue
        ids = {r[0] for r in tables.read(spark, warehouse, table).select("warc_record_id").collect()}
        ids &= truth.math.keys()
        tp = sum(truth.math[i] for i in ids)
        distinct = len({truth.group[i] for i in ids if truth.math[i]})
        out.append({"table": table, "kept": len(ids), "math_kept": tp,
                    "precision": tp / len(ids) if ids else 0.0,
                    "recall": tp / truth.positives if truth.positives else 0.0,
                    "recall_distinct": distinct / truth.distinct_positives if truth.distinct_positives else 0.0})
    return out


def format_report(rows: list[dict], truth: Truth) -> str:
    lines = [f"math selection against {truth.positives} pages labelled math "
             f"({truth.distinct_positives} distinct: copies of one page count once in 'distinct')",
             f"{'table':<16}{'kept':>8}{'math':>8}{'precision':>11}{'recall':>9}{'distinct':>10}"]
    for r in rows:
        lines.append(f"{r['table']:<16}{r['kept']:>8}{r['math_kept']:>8}{r['precision']:>11.4f}{r['recall']:>9.4f}"
                     f"{r['recall_distinct']:>10.4f}")
    return "\n".join(lines)
