"""The report's pure parts (udfs.report): binning, charts and the HTML page from plain data, no Spark."""
from __future__ import annotations

import math
from collections import Counter

from udfs import report as page

PNG = b"\x89PNG\r\n\x1a\n"
FUNNEL = [("extract", "input", 465), ("extract", "kept", 458), ("extract", "files", 3),
          ("extract", "rejected.not_html", 7),
          ("language", "input", 458), ("language", "kept", 389), ("language", "rejected.language_not_kept", 62),
          ("language", "rejected.language_score_low", 7)]


def recall_scores(kept: list[int], rejected: list[int]) -> page.Scores:
    return page.Scores("math_recall", "math_recall", "math_score_recall",
                       {"with math markup": 0.15, "without math markup": 0.8},
                       {"kept": kept, "rejected: math_score_low": rejected})


def test_histogram_bins_exact_counts():
    # Spark counts per floor(score * bins); a bin's left edge belongs to it, 1.0 to the last bin
    scores = [0.0, 0.049, 0.05, 0.15, 0.1499, 0.8, 0.95, 0.999, 1.0]
    assert page.histogram(Counter(math.floor(s * 20) for s in scores), 20) == \
        [2, 1, 1, 1] + [0] * 12 + [1, 0, 0, 3]
    assert page.histogram({0: 5, 3: 2, 10: 4}, 10) == [5, 0, 0, 2, 0, 0, 0, 0, 0, 4]
    assert page.histogram({-1: 1, 12: 1}, 10) == [1] + [0] * 8 + [1]   # outside [0, 1]: the nearest bin
    assert page.histogram({}, 4) == [0, 0, 0, 0]


def test_funnel_rows_sum_reasons_and_keep_other_counters():
    assert page.funnel_rows(FUNNEL) == [("extract", 465, 458, 7, [("files", 3)]),
                                        ("language", 458, 389, 69, [])]


def test_histogram_marks_every_threshold():
    fig = page.histogram_figure(recall_scores([0] * 3 + [40] * 17, [90] * 3 + [60] * 13 + [0] * 4))
    ax = fig.axes[0]
    lines = {(tuple(line.get_xdata()), line.get_label()) for line in ax.get_lines()}
    assert lines == {((0.15, 0.15), "threshold with math markup: 0.15"),
                     ((0.8, 0.8), "threshold without math markup: 0.8")}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["threshold with math markup: 0.15", "threshold without math markup: 0.8",
                      "kept (680)", "rejected: math_score_low (1,050)"]
    assert ax.get_xlim() == (0, 1) and ax.get_yscale() == "linear"   # 40 to 130 per bin
    html = page.render(page.Report("r1", "wh", FUNNEL, scores=[recall_scores([1], [2])]),
                       {"funnel": "funnel.png", "scores_math_recall": "s.png"})
    assert "with math markup &ge; 0.15, without math markup &ge; 0.8" in html
    assert '<img src="s.png" alt="histogram of math_score_recall">' in html


def test_log_scale_when_counts_vary_widely():
    assert page.log_scale([1, 0, 30]) and not page.log_scale([1, 29]) and not page.log_scale([0, 0])
    ax = page.histogram_figure(recall_scores([300, 1] + [0] * 18, [0] * 20)).axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] == 0.7   # a bin of 1 document stays visible
    ax = page.bars_figure("reasons", ["a", "b"], {"rejected": [2, 200]}).axes[0]
    assert ax.get_xscale() == "log"


def test_page_escapes_document_text_and_links_only_web_urls():
    samples = [page.Sample("language", True, "d1", 'https://ex.org/?q="><b>x</b>',
                           "<script>alert('x')</script> if a < b & c", truncated=True, value="0.9000"),
               page.Sample("language", False, "d2", "javascript:alert(1)", "</div><img src=x onerror=alert(1)>",
                           reason="language_not_kept", value="<de>"),
               page.Sample("extract", False, "d3", "https://ex.org/a.pdf", None, reason="not_html",
                           value="application/pdf")]
    html = page.render(page.Report("r<1>", "wh", FUNNEL, samples=samples,
                                   sample_tables={"extract": "documents", "language": "language"}),
                       {"funnel": "funnel.png"})
    assert "<script>" not in html and "<b>x" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; if a &lt; b &amp; c…</div>" in html
    assert "&lt;/div&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://ex.org/?q=&quot;&gt;&lt;b&gt;x&lt;/b&gt;">' in html
    assert 'href="javascript' not in html and "<td>javascript:alert(1)<br>" in html
    assert "<td><code>language_not_kept</code></td><td>&lt;de&gt;</td>" in html
    assert '<span class="missing">no text</span>' in html                   # extract's rejection has no text
    assert "<title>webmath report: r&lt;1&gt;</title>" in html


def test_write_with_missing_tables_and_reproducible_pngs(tmp_path):
    report = page.Report("r1", "wh", FUNNEL, missing={"language", "math_recall", "math_precision", "rejected"},
                         scores=[recall_scores([], [])], sample_tables={"extract": "documents", "language": "language"},
                         samples=[page.Sample("extract", True, "d1", "https://ex.org/", "text")])
    index, charts = page.write(report, tmp_path / "a")
    assert index == tmp_path / "a" / "index.html" and charts == [tmp_path / "a" / "funnel.png"]
    html = index.read_text()
    for table in ("math_recall", "rejected", "language"):
        assert f"table <code>{table}</code> is missing from the warehouse" in html
    assert "<tr><td>language</td>" in html and "language.png" not in html
    png = charts[0].read_bytes()
    assert png.startswith(PNG) and len(png) > 5000
    page.write(report, tmp_path / "b")
    for name in ("index.html", "funnel.png"):   # the same data draws the same bytes
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
