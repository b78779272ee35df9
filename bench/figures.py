"""Figures of `webmath bench compare`: per-stage lines parsed, rates per core, ratios, growth with input size,
and fixed-width tables. Plain Python, no Spark and no datatrove.
"""
from __future__ import annotations

import re

# A stage's line as `webmath run` prints it (jobs.cli.run_pipeline), and as the datatrove and floor runs of the
# comparison print theirs: "[dedup] 48.1s: input 115, kept 102, rejected 13".
STAGE_LINE = re.compile(r"^\[(?P<stage>[a-z_]+)\] (?P<seconds>\d+(?:\.\d+)?)s: (?P<counts>.*)$")
COUNT = re.compile(r"^(?P<name>[a-z_.]+) (?P<value>\d[\d,]*)$")


def parse_stage_line(line: str) -> tuple[str, float, dict[str, int]] | None:
    """(stage, seconds, counters) of a stage line; None for any other line (a counter that is not `name N` is
    left out)."""
    match = STAGE_LINE.match(line.strip())
    if match is None:
        return None
    counts = {}
    for part in match["counts"].split(", "):
        count = COUNT.match(part.strip())
        if count:
            counts[count["name"]] = int(count["value"].replace(",", ""))
    return match["stage"], float(match["seconds"]), counts


def stage_docs(stage: str, counts: dict[str, int]) -> tuple[int, int, int]:
    """(documents in, documents kept, documents the rate is counted on) of a stage. Extraction reads responses
    and makes documents: its `in` is `input` or else kept + skipped, and its rate counts the documents it made;
    every other stage's rate counts the documents it read."""
    kept = counts.get("kept", 0)
    if stage == "extract":
        return counts.get("input", kept + counts.get("skipped", 0)), kept, kept
    return counts.get("input", 0), kept, counts.get("input", 0)


def per_core(docs: int, seconds: float, cores: int) -> float | None:
    """Documents per second per core; None without time."""
    return docs / seconds / cores if seconds > 0 and cores > 0 else None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; None when either is missing or b is 0."""
    return a / b if a is not None and b else None


def metrics(stage: str, seconds: float, cpu_seconds: float, peak_largest: int, peak_total: int,
            counts: dict[str, int], cores: int) -> dict:
    """One stage's figures: documents in, kept and counted, wall and CPU seconds, docs/s per core (wall, over
    the cores the run used), docs per CPU second (of its whole process tree) and peak memory (bytes)."""
    docs_in, kept, docs = stage_docs(stage, counts)
    return {"docs_in": docs_in, "kept": kept, "docs": docs, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "cores": cores, "docs_per_s_per_core": per_core(docs, seconds, cores),
            "docs_per_cpu_s": ratio(docs, cpu_seconds), "peak_largest": peak_largest, "peak_total": peak_total}


def combined(parts: list[dict], docs: int, cores: int) -> dict:
    """Stages run one after the other as one: seconds and CPU seconds add up, peaks are the largest; the rate
    is counted on `docs` (the documents the first of them made)."""
    seconds = sum(p["seconds"] for p in parts)
    cpu = sum(p["cpu_seconds"] for p in parts)
    return {"docs": docs, "seconds": seconds, "cpu_seconds": cpu, "cores": cores,
            "docs_per_s_per_core": per_core(docs, seconds, cores), "docs_per_cpu_s": ratio(docs, cpu),
            "peak_largest": max((p["peak_largest"] for p in parts), default=0),
            "peak_total": max((p["peak_total"] for p in parts), default=0)}


def growth(small: dict, large: dict) -> dict:
    """How a run grows from a smaller input to a larger one: the ratios of documents, wall seconds, CPU seconds
    and peak memory (largest process, sum of processes), large / small."""
    return {key: ratio(large[key], small[key])
            for key in ("docs", "seconds", "cpu_seconds", "peak_largest", "peak_total")}


def scale_files(paths: list[str], scales: list[int]) -> dict[int, list[str]]:
    """The WARC files of each scale: the largest scale reads them all, scale k the first k / largest of them."""
    top = max(scales)
    if len(paths) < top:
        raise ValueError(f"{len(paths)} WARC files cannot make {top} scales: pass at least {top}")
    return {k: paths[:len(paths) * k // top] for k in sorted(scales)}


def fmt_count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def fmt_mib(largest: int | None, total: int | None) -> str:
    """Peak memory as 'largest/sum' MiB."""
    if largest is None or total is None:
        return "-"
    return f"{largest / 2**20:,.0f}/{total / 2**20:,.0f}"


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns as wide as their widest cell; the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
