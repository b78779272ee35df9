"""`webmath evaluate --truth truth.jsonl [--split measured]`: the math selection measured against labelled pages.

Prints, for every stage's table, how many labelled pages it holds, their precision and the distinct recall of
math pages in the configured languages; then for the final table, per genre, markup kind and language:
precision and distinct recall with 95% Wilson intervals and the false-positive rate on non-math pages; the
precision that false-positive rate implies at Common Crawl's math base rate; where each lost math page was
lost (stage and reason, from `rejected`); the non-math pages that got through; and formula fidelity (the share
of the TeX strings of the raw HTML present in `documents`' text, the raw HTML read back from the WARC record
each document names). The counting is `udfs.evaluation`'s; this module only reads the tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import tables
from jobs.config import ConfigError
from udfs import evaluation
from udfs.evaluation import Page


def load_truth(path: str) -> dict[str, Page]:
    try:
        return evaluation.load_truth(path)
    except evaluation.TruthError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class Evaluation:
    pages: dict[str, Page]
    languages: tuple[str, ...]
    base_rate: float
    stages: list[tuple[str, evaluation.Selection]]
    final: str                                     # the last table there is
    kept: set[str]                                 # record ids in the final table
    leaked: set[str]
    losses: list[evaluation.Loss]
    formulas: dict[str, evaluation.FormulaCount]
    formula_pages: dict[str, tuple[int, int]]      # record id -> (TeX strings, present)

    def selection(self, pages: dict[str, Page]) -> evaluation.Selection:
        return evaluation.select(pages, self.kept, self.leaked, self.languages)


def _ids_frame(spark: SparkSession, ids) -> DataFrame:
    return spark.createDataFrame([(i,) for i in sorted(ids)], "warc_record_id string")


def run(spark: SparkSession, cfg: dict, pages: dict[str, Page], split: str | None = None) -> Evaluation:
    warehouse = cfg["run"]["warehouse"]
    pages = evaluation.only_split(pages, split)
    if not pages:
        raise ConfigError(f"no labelled page in split '{split}' of the truth file")
    languages = tuple(cfg["language"]["keep"])
    labelled = _ids_frame(spark, pages).cache()
    present = [t for t in tables.PIPELINE_TABLES if tables.exists(spark, warehouse, t)]
    if not present:
        raise ConfigError(f"no pipeline table in {warehouse} (run the pipeline first)")
    held = {t: {r[0] for r in tables.read(spark, warehouse, t).join(labelled, "warc_record_id", "left_semi")
                .select("warc_record_id").collect()} for t in present}
    rejected = {}
    if tables.exists(spark, warehouse, "rejected"):
        for r in (tables.read(spark, warehouse, "rejected").join(labelled, "warc_record_id", "left_semi")
                  .select("warc_record_id", "stage", "reason", "value").collect()):
            rejected[r[0]] = (r[1], r[2], r[3])
    leaked = {r for r, (stage, _, _) in rejected.items() if stage == evaluation.LEAK_STAGE}
    furthest = {}
    for index, table in enumerate(tables.PIPELINE_TABLES):
        for record in held.get(table, ()):
            furthest[record] = index
    final = present[-1]
    kept = held[final]
    stages = [(t, evaluation.select(pages, held[t], leaked, languages)) for t in present]
    counts = fidelity_counts(spark, warehouse, labelled, cfg["extract"]["max_html_bytes"]) \
        if "documents" in present else {}
    labelled.unpersist()
    return Evaluation(pages=pages, languages=languages, base_rate=cfg["evaluate"]["base_rate"], stages=stages,
                      final=final, kept=kept, leaked=leaked,
                      losses=evaluation.losses(pages, kept, leaked, languages, furthest, rejected),
                      formulas=evaluation.formula_fidelity(pages, counts), formula_pages=counts)


def fidelity_counts(spark: SparkSession, warehouse: str, labelled, max_html_bytes: int
                    ) -> dict[str, tuple[int, int]]:
    """record id -> (TeX strings in the raw HTML, how many of them the document's text holds), for the
    labelled documents; the raw HTML is read back from each document's WARC record on the executors."""
    def count(frames):
        from udfs import extract, fidelity

        for frame in frames:
            rows = []
            for path, offset, length, record, text in zip(frame["warc_path"], frame["warc_record_offset"],
                                                          frame["warc_record_length"], frame["warc_record_id"],
                                                          frame["text"]):
                html = extract.record_html(path, int(offset), int(length), record, max_html_bytes)
                rows.append((record, *fidelity.fidelity(html or "", text)))
            yield pd.DataFrame(rows, columns=["warc_record_id", "tex", "found"])

    schema = T.StructType([T.StructField("warc_record_id", T.StringType()), T.StructField("tex", T.LongType()),
                           T.StructField("found", T.LongType())])
    docs = (tables.read(spark, warehouse, "documents").join(labelled, "warc_record_id", "left_semi")
            .select("warc_path", "warc_record_offset", "warc_record_length", "warc_record_id", "text"))
    return {r[0]: (r[1], r[2]) for r in docs.mapInPandas(count, schema).where(F.col("tex") > 0).collect()}


def _share(share: evaluation.Share) -> str:
    if not share.n:
        return f"{'—':>22}"
    lo, hi = share.interval
    return f"{share.value:>7.3f} [{lo:.3f}, {hi:.3f}]"


def _breakdown(ev: Evaluation, title: str, parts: dict[str, dict[str, Page]]) -> list[str]:
    lines = [f"{title:<18}{'math':>6}{'kept':>6}{'distinct recall [95% CI]':>27}{'precision [95% CI]':>25}"
             f"{'non-math':>10}{'through':>9}"]
    for name, pages in parts.items():
        s = ev.selection(pages)
        lines.append(f"{name:<18}{s.recall.n:>6}{s.kept:>6}    {_share(s.recall)}  {_share(s.precision)}"
                     f"{s.false_positives.n:>10}{s.false_positives.k:>9}")
    return lines


def format_report(ev: Evaluation, listed: int = 30) -> str:
    pages = ev.pages
    math_pages = sum(p.math for p in pages.values())
    langs = "/".join(ev.languages)
    lines = [f"{len(pages)} labelled pages: {math_pages} math, "
             f"{sum(p.label == 'non_math' for p in pages.values())} non-math; recall counts distinct math pages "
             f"in {langs} (a page is kept when it or a copy is), a page dropped for a benchmark leak is no loss",
             f"{'table':<16}{'kept':>7}{'math':>7}{'precision':>11}{'distinct recall':>17}{'non-math through':>18}"]
    for table, s in ev.stages:
        lines.append(f"{table:<16}{s.kept:>7}{s.precision.k:>7}{s.precision.value:>11.4f}"
                     f"{s.recall.value:>17.4f}{s.false_positives.k:>18}")
    s = ev.selection(pages)
    fpr = s.false_positives
    lo, hi = fpr.interval
    implied = (f"; at a {ev.base_rate:.0%} math base rate that is a precision of "
               f"{evaluation.implied_precision(s.recall.value, fpr.value, ev.base_rate):.3f} (upper bound of the "
               f"rate: {evaluation.implied_precision(s.recall.value, hi, ev.base_rate):.3f})") if s.recall.n else ""
    lines += ["", f"{ev.final}: precision {_share(s.precision).strip()}, distinct recall "
                  f"{_share(s.recall).strip()} ({s.recall.k} of {s.recall.n})",
              f"non-math pages through: {fpr.k} of {fpr.n} = {fpr.value:.4f} [{lo:.4f}, {hi:.4f}]{implied}", ""]
    lines += _breakdown(ev, "genre", evaluation.by(pages, lambda p: p.genre)) + [""]
    lines += _breakdown(ev, "markup", evaluation.by(pages, evaluation.markup_kinds)) + [""]
    lines += _breakdown(ev, "language", evaluation.by(pages, lambda p: p.lang or "unknown")) + [""]
    lines.append(f"where the {len(ev.losses)} lost math pages were lost:")
    for stage, reason, n in evaluation.stage_counts([(x.stage, x.reason, x.value) for x in ev.losses]):
        lines.append(f"  {stage:<16}{reason:<28}{n:>5}")
    for x in ev.losses[:listed]:
        lines.append(f"  - {x.stage}/{x.reason} ({x.value}) [{x.genre}] {x.url}")
    through = sorted((p.genre, p.url or r) for r, p in pages.items() if p.label == "non_math" and r in ev.kept)
    lines.append(f"non-math pages in {ev.final}: {len(through)}")
    lines += [f"  - [{genre}] {url}" for genre, url in through[:listed]]
    lines.append("")
    f = ev.formulas.get("all")
    if f is None:
        lines.append("formula fidelity: no page carries TeX in machine-readable form")
    else:
        lines.append(f"formula fidelity: {f.found} of {f.tex} TeX strings of {f.pages} pages are in the text "
                     f"= {f.share:.4f}")
        for genre, g in ev.formulas.items():
            if genre != "all":
                lines.append(f"  {genre:<18}{g.pages:>5} pages {g.found:>6} / {g.tex:<6} = {g.share:.4f}")
        worst = sorted((found / tex, r) for r, (tex, found) in ev.formula_pages.items() if found < tex)
        for share, record in worst[:min(listed, 10)]:
            lines.append(f"  lowest: {share:.3f} {pages[record].url}")
    return "\n".join(lines)
