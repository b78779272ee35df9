"""The run report's pure parts: histogram binning, the charts (PNG, drawn on matplotlib's Agg canvas) and the
HTML page, all from plain Python data. `jobs.report` collects that data (aggregates and a few sampled rows)
from the tables; `write` turns it into `index.html` and its charts.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# A chart's count axis is logarithmic when its largest nonzero count is this many times its smallest.
LOG_RATIO = 30
KEPT, REJECTED = "#4c72b0", "#dd8452"
THRESHOLD_STYLES = [("#c44e52", "-"), ("#2ca02c", "--"), ("#8172b3", ":")]


@dataclass(frozen=True)
class Scores:
    """A score's histogram: documents per bin of [0, 1] for each series (kept, rejected for a low score)."""
    stage: str
    table: str
    column: str
    thresholds: dict[str, float]
    series: dict[str, list[int]]


@dataclass(frozen=True)
class Sample:
    """A sampled document: kept by `stage` (with its score, if the stage has one) or rejected by it."""
    stage: str
    kept: bool
    doc_id: str
    url: str | None
    excerpt: str | None          # the head of the text; None when the stage had no text (extract's rejections)
    truncated: bool = False      # the text goes on after the excerpt
    reason: str | None = None    # rejected: the reason code
    value: str | None = None     # rejected: the failing value; kept: the stage's score


@dataclass
class Report:
    run_id: str
    warehouse: str
    funnel: list[tuple[str, str, int]]            # (stage, counter, value) from stage_stats (jobs.stats.funnel)
    missing: set[str] = field(default_factory=set)    # tables absent from the warehouse
    scores: list[Scores] = field(default_factory=list)
    rejections: list[tuple[str, str, int]] = field(default_factory=list)   # (stage, reason, documents)
    languages: dict[str, dict[str, int]] = field(default_factory=dict)     # "kept" / "rejected" -> lang -> n
    samples: list[Sample] = field(default_factory=list)
    sample_tables: dict[str, str] = field(default_factory=dict)            # stage -> the table it writes


def histogram(bin_counts: dict[int, int], bins: int) -> list[int]:
    """Documents per bin of [0, 1] split into `bins` equal widths, from counts keyed by floor(score * bins):
    a score of 1.0 (key `bins`) belongs to the last bin, and keys outside the range to the nearest bin."""
    out = [0] * bins
    for key, n in bin_counts.items():
        out[min(max(int(key), 0), bins - 1)] += n
    return out


def log_scale(counts) -> bool:
    """Whether counts vary so widely that a linear axis would hide the small ones."""
    nonzero = [c for c in counts if c > 0]
    return bool(nonzero) and max(nonzero) >= LOG_RATIO * min(nonzero)


def funnel_rows(funnel: list[tuple[str, str, int]]) -> list[tuple[str, int, int, int, list[tuple[str, int]]]]:
    """Per stage, in the funnel's order: (stage, input, kept, rejected, the other counters)."""
    stages: dict[str, dict] = {}
    for stage, counter, value in funnel:
        s = stages.setdefault(stage, {"input": 0, "kept": 0, "rejected": 0, "other": []})
        if counter in ("input", "kept"):
            s[counter] += value
        elif counter.startswith("rejected."):
            s["rejected"] += value
        else:
            s["other"].append((counter, value))
    return [(stage, s["input"], s["kept"], s["rejected"], s["other"]) for stage, s in stages.items()]


# -- charts ---------------------------------------------------------------------------------------------------

def _figure(width: float, height: float):
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_png(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png", metadata={"Software": None})


def funnel_figure(funnel: list[tuple[str, str, int]]) -> Figure:
    """Documents into and kept by every stage, top to bottom in pipeline order."""
    rows = funnel_rows(funnel)
    fig, ax = _figure(8, 0.5 * len(rows) + 1.5)
    y = list(range(len(rows)))
    ax.barh([i - 0.2 for i in y], [r[1] for r in rows], height=0.4, color="#c7d3e8", label="input")
    ax.barh([i + 0.2 for i in y], [r[2] for r in rows], height=0.4, color=KEPT, label="kept")
    for i, (_, inp, kept, _, _) in enumerate(rows):
        ax.annotate(f"{kept:,}" + (f" ({kept / inp:.0%})" if inp else ""), (kept, i + 0.2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.set_xmargin(0.15)
    ax.set_title("documents into and kept by each stage")
    ax.legend(loc="lower right")
    return fig


def histogram_figure(scores: Scores) -> Figure:
    """Stacked histogram of the score's series with a vertical line at each threshold, the legend beside it."""
    fig, ax = _figure(10, 3.8)
    bins = len(next(iter(scores.series.values()), []))
    left = [i / bins for i in range(bins)]
    bottom = [0] * bins
    for (label, counts), color in zip(scores.series.items(), (KEPT, REJECTED)):
        ax.bar(left, counts, width=1 / bins, bottom=bottom, align="edge", color=color, edgecolor="white",
               linewidth=0.5, label=f"{label} ({sum(counts):,})")
        bottom = [b + c for b, c in zip(bottom, counts)]
    for (label, value), (color, style) in zip(scores.thresholds.items(), THRESHOLD_STYLES):
        ax.axvline(value, color=color, linestyle=style, linewidth=1.8, zorder=3, label=f"threshold {label}: {value:g}")
    if log_scale(bottom):
        ax.set_yscale("log")
        ax.set_ylim(0.7, max(bottom) * 1.6)
        ax.set_ylabel("documents (log scale)")
    else:
        ax.set_ylim(0, max(max(bottom, default=0), 1) * 1.08)
        ax.set_ylabel("documents")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"{scores.column} ({scores.table}, {bins} bins)")
    ax.set_title(f"{scores.stage}: {scores.column}" + (" (stacked)" if len(scores.series) > 1 else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return fig


def bars_figure(title: str, labels: list[str], series: dict[str, list[int]]) -> Figure:
    """Horizontal bars, one row per label, the series stacked; counts written at the bars' ends."""
    fig, ax = _figure(8, 0.28 * len(labels) + 1.4)
    y = list(range(len(labels)))
    left = [0] * len(labels)
    for (name, counts), color in zip(series.items(), (KEPT, REJECTED)):
        ax.barh(y, counts, left=left, height=0.7, color=color, label=name)
        left = [a + b for a, b in zip(left, counts)]
    for i, total in enumerate(left):
        ax.annotate(f"{total:,}", (total, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    if log_scale(left):
        ax.set_xscale("log")
        ax.set_xlim(left=0.7)
        ax.set_xlabel("documents (log scale)")
    else:
        ax.set_xlabel("documents")
    ax.set_xmargin(0.1)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(loc="lower right")
    return fig


# -- the page -------------------------------------------------------------------------------------------------

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; padding: 0 1em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #a33; font-style: italic; }
.excerpt { white-space: pre-wrap; font: 12px/1.35 ui-monospace, monospace; max-height: 12em; overflow: auto;
           max-width: 50em; }
.kept { color: #2a6a2a; } .rejected { color: #a33; }
img { max-width: 100%; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _code(value: str | None) -> str:
    return f"<code>{_e(value)}</code>" if value else ""


def _n(value: int) -> str:
    return f'<td class="n">{value:,}</td>'


def _table(header: list[str], rows: list[str]) -> str:
    return ("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>\n"
            + "\n".join(rows) + "</table>")


def _missing(table: str) -> str:
    return f'<p class="missing">table <code>{_e(table)}</code> is missing from the warehouse</p>'


def _img(name: str | None, alt: str) -> str:
    return f'<p><img src="{_e(name)}" alt="{_e(alt)}"></p>' if name else ""


def _link(url: str | None) -> str:
    """The URL as a link when it is http(s); any other scheme (javascript:, data:) as text only."""
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}">{_e(url)}</a>'
    return _e(url)


def _funnel(report: Report, charts: dict) -> str:
    rows = [f"<tr><td>{_e(stage)}</td>{_n(inp)}{_n(kept)}{_n(rejected)}"
            f'<td class="n">{(f"{kept / inp:.1%}" if inp else "")}</td>'
            f"<td>{_e(', '.join(f'{c} {v:,}' for c, v in other))}</td></tr>"
            for stage, inp, kept, rejected, other in funnel_rows(report.funnel)]
    return ("<h2>Funnel</h2>\n<p>From <code>stage_stats</code> (summed over crawls).</p>\n"
            + _img(charts.get("funnel"), "documents into and kept by each stage")
            + _table(["stage", "input", "kept", "rejected", "kept share", "other counters"], rows))


def _scores(report: Report, charts: dict) -> str:
    out = ["<h2>Scores</h2>"]
    for s in report.scores:
        out.append(f"<h3>{_e(s.stage)}: <code>{_e(s.column)}</code></h3>")
        if s.table in report.missing:
            out.append(_missing(s.table))
            continue
        marks = ", ".join(f"{_e(label)} &ge; {value:g}" for label, value in s.thresholds.items())
        counted = "; ".join(f"{_e(label)}: {sum(c):,}" for label, c in s.series.items())
        out.append(_img(charts.get(f"scores_{s.stage}"), f"histogram of {s.column}")
                   + f"<p>Thresholds ({_e(s.stage)} in the configuration): {marks}. Documents: {counted}.</p>")
    return "\n".join(out)


def _rejections(report: Report, charts: dict) -> str:
    out = ["<h2>Rejections</h2>"]
    if "rejected" in report.missing:
        return "\n".join(out + [_missing("rejected")])
    if not report.rejections:
        return "\n".join(out + ["<p>No document was rejected.</p>"])
    rows = [f"<tr><td>{_e(stage)}</td><td>{_code(reason)}</td>{_n(n)}</tr>"
            for stage, reason, n in report.rejections]
    return "\n".join(out + [_img(charts.get("rejections"), "rejected documents by stage and reason"),
                            _table(["stage", "reason", "documents"], rows)])


def _languages(report: Report, charts: dict) -> str:
    out = ["<h2>Languages</h2>"]
    if "language" in report.missing:
        return "\n".join(out + [_missing("language")])
    kept, rejected = report.languages.get("kept", {}), report.languages.get("rejected", {})
    rows = [f"<tr><td>{_code(lang)}</td>{_n(kept.get(lang, 0))}{_n(rejected.get(lang, 0))}</tr>"
            for lang in language_order(report.languages)]
    note = ("<p>Rejected: <code>language_not_kept</code>, by the language found; pages rejected for a low "
            "score are in the <code>lang_score</code> histogram.</p>")
    if "rejected" in report.missing:
        note = _missing("rejected")
    return "\n".join(out + [_img(charts.get("languages"), "documents per language"), note,
                            _table(["language", "kept", "rejected"], rows)])


def _samples(report: Report) -> str:
    out = ["<h2>Sampled documents</h2>",
           "<p>Per stage, the kept and the rejected documents with the smallest hash of their doc_id (rejected "
           "ones spread over the reasons): the same tables give the same sample.</p>"]
    for stage, table in report.sample_tables.items():
        out.append(f"<h3>{_e(stage)}</h3>")
        if table in report.missing:
            out.append(_missing(table))
        picked = [s for s in report.samples if s.stage == stage]
        if not picked:
            out.append("<p>No document sampled.</p>")
            continue
        rows = []
        for s in picked:
            excerpt = ('<span class="missing">no text</span>' if s.excerpt is None
                       else f'<div class="excerpt">{_e(s.excerpt)}{"…" if s.truncated else ""}</div>')
            kind = '<span class="kept">kept</span>' if s.kept else '<span class="rejected">rejected</span>'
            rows.append(f"<tr><td>{kind}</td><td>{_link(s.url)}<br><code>{_e(s.doc_id)}</code></td>"
                        f"<td>{_code(s.reason)}</td><td>{_e(s.value)}</td><td>{excerpt}</td></tr>")
        out.append(_table(["", "url, doc_id", "reason", "value / score", "text"], rows))
    return "\n".join(out)


def language_order(languages: dict[str, dict[str, int]]) -> list[str]:
    """Languages by documents (kept and rejected), most first, then by code."""
    totals: dict[str, int] = {}
    for counts in languages.values():
        for lang, n in counts.items():
            totals[lang] = totals.get(lang, 0) + n
    return sorted(totals, key=lambda lang: (-totals[lang], lang))


def render(report: Report, charts: dict[str, str]) -> str:
    """The page: `charts` maps each chart's key (funnel, scores_<stage>, rejections, languages) to its file."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>webmath report: {_e(report.run_id)}</title><style>{STYLE}</style></head><body>",
        f"<h1>webmath report: run <code>{_e(report.run_id)}</code></h1>",
        f"<p>Warehouse <code>{_e(report.warehouse)}</code>. The funnel is the run's <code>stage_stats</code>; "
        f"every other section counts the rows this run wrote.</p>",
        _funnel(report, charts), _scores(report, charts), _rejections(report, charts), _languages(report, charts),
        _samples(report), "</body></html>", ""])


def write(report: Report, out: Path) -> tuple[Path, list[Path]]:
    """Draw the charts of every section that has data and write `index.html` beside them, in `out`.
    Returns (the page, the charts)."""
    out.mkdir(parents=True, exist_ok=True)
    figures = {"funnel": funnel_figure(report.funnel)}
    for s in report.scores:
        if s.table not in report.missing:
            figures[f"scores_{s.stage}"] = histogram_figure(s)
    if report.rejections:
        figures["rejections"] = bars_figure("rejected documents by stage and reason",
                                            [f"{stage}: {reason}" for stage, reason, _ in report.rejections],
                                            {"rejected": [n for _, _, n in report.rejections]})
    if "language" not in report.missing:
        langs = language_order(report.languages)
        figures["languages"] = bars_figure(
            "documents per language", langs,
            {name: [report.languages.get(key, {}).get(lang, 0) for lang in langs]
             for key, name in (("kept", "kept"), ("rejected", "rejected: language not kept"))})
    charts = {}
    for key, fig in figures.items():
        charts[key] = f"{key}.png"
        save_png(fig, out / charts[key])
    page = out / "index.html"
    page.write_text(render(report, charts), encoding="utf-8")
    return page, [out / name for name in charts.values()]
