"""The counting behind `webmath evaluate` (udfs.evaluation) and formula fidelity (udfs.fidelity)."""
import json

import pytest

from udfs import evaluation, fidelity
from udfs.evaluation import Page


def test_wilson_interval_matches_the_closed_form():
    # 8 of 10: centre (0.8 + 1.9208/10) / 1.38416, half-width 1.96 * sqrt(0.016 + 0.009604) / 1.38416
    lo, hi = evaluation.wilson(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    assert evaluation.wilson(0, 0) == (0.0, 1.0)
    lo, hi = evaluation.wilson(0, 261)
    assert lo == 0.0 and round(hi, 4) == 0.0145
    assert evaluation.wilson(5, 5)[1] == 1.0


def test_implied_precision_at_the_base_rate():
    # recall 0.9 and 0.8% of non-math pages kept, where 1% of pages are math: 0.009 / (0.009 + 0.00792)
    assert round(evaluation.implied_precision(0.9, 0.008, 0.01), 4) == 0.5319
    assert evaluation.implied_precision(0.9, 0.0, 0.01) == 1.0
    assert evaluation.implied_precision(0.0, 0.0, 0.01) == 0.0


def _truth(tmp_path, rows):
    path = tmp_path / "truth.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return evaluation.load_truth(path)


def test_distinct_recall_counts_copies_once_leaves_out_leaks_and_other_languages(tmp_path):
    pages = _truth(tmp_path, [
        {"record_id": "a", "label": "math", "url": "u/a", "genre": "blog", "markup": ["katex"], "lang": "en"},
        {"record_id": "a2", "label": "math", "url": "m/a", "near_dup_of": "u/a", "lang": "en"},
        {"record_id": "a3", "label": "math", "url": "n/a", "dup_of": "m/a", "lang": "en"},
        {"record_id": "b", "label": "math", "url": "u/b", "genre": "qa", "lang": "zh"},
        {"record_id": "c", "label": "math", "url": "u/c", "genre": "qa", "lang_cld2": "de"},
        {"record_id": "d", "label": "math", "url": "u/d", "genre": "qa", "lang": "en"},
        {"record_id": "x", "label": "non_math", "url": "u/x", "genre": "news", "lang": "en"},
        {"record_id": "y", "label": "non_math", "url": "u/y", "genre": "news", "lang": "zh"},
        {"record_id": "z", "label": "non_html", "url": "u/z"},
    ])
    assert pages["a3"].group == "a" and pages["c"].lang == "de" and pages["a"].markup == ("katex",)
    # a's copy a3 is kept (a counts as kept), b is lost, c is German, d was dropped for a leak, x got through
    s = evaluation.select(pages, {"a3", "x"}, {"d"}, ("en", "zh"))
    assert (s.kept, s.precision.k, s.precision.n) == (2, 1, 2)
    assert (s.recall.k, s.recall.n) == (1, 2)
    assert (s.false_positives.k, s.false_positives.n) == (1, 2)
    by_genre = evaluation.by(pages, lambda p: p.genre)
    assert sorted(by_genre) == ["blog", "news", "qa", "unknown"]
    assert evaluation.select(by_genre["qa"], {"a3", "x"}, {"d"}, ("en", "zh")).recall.n == 1
    assert sorted(evaluation.by(pages, evaluation.markup_kinds)) == ["katex", "none"]


def test_a_lost_page_is_lost_where_the_member_that_got_furthest_was_dropped(tmp_path):
    pages = _truth(tmp_path, [
        {"record_id": "a", "label": "math", "url": "u/a", "genre": "blog"},
        {"record_id": "a2", "label": "math", "url": "m/a", "dup_of": "u/a"},
        {"record_id": "b", "label": "math", "url": "u/b", "genre": "qa"},
        {"record_id": "c", "label": "math", "url": "u/c"},
    ])
    furthest = {"a": 2, "a2": 3, "b": 0}
    rejected = {"a": ("dedup", "exact_duplicate", None), "a2": ("quality", "too_few_words", "31"),
                "b": ("language", "language_score_low", "0.41")}
    lost = evaluation.losses(pages, set(), set(), None, furthest, rejected)
    assert [(x.record_id, x.stage, x.reason, x.value) for x in lost] == [
        ("a2", "quality", "too_few_words", "31"), ("b", "language", "language_score_low", "0.41"),
        ("c", "extract", "not_extracted", None)]
    assert evaluation.stage_counts([(x.stage, x.reason, x.value) for x in lost])[0] == ("extract", "not_extracted", 1)


def test_a_truth_file_without_labels_is_refused(tmp_path):
    path = tmp_path / "truth.jsonl"
    path.write_text('{"record_id": "a"}\n')
    with pytest.raises(evaluation.TruthError, match="truth.jsonl:1: needs JSON"):
        evaluation.load_truth(path)
    with pytest.raises(evaluation.TruthError, match="not found"):
        evaluation.load_truth(tmp_path / "missing.jsonl")


def test_tex_strings_of_every_machine_readable_form():
    html = r"""<html><body><p>Let \(x^2 + y\) and $$\frac{a}{b}$$ cost $5 and $6.</p>
    <script type="math/tex; mode=display">\alpha_1</script>
    <math alttext="{\displaystyle E=mc^2}"><mi>E</mi></math>
    <span class="katex"><annotation encoding="application/x-tex">\sum_i i</annotation></span>
    <img src="https://s0.wp.com/latex.php?latex=x%5E3" alt="x^3"><img src="cat.png" alt="a cat">
    <pre>\(not math\)</pre><code>$$nor this$$</code></body></html>"""
    assert fidelity.tex_strings(html) == ["\\alpha_1", "\\sum_ii", "E=mc^2", "x^3", "x^2+y", "\\fracab"]
    text = "Let $x^2+y$ and $$\\frac{a}{b}$$ cost $5 and $6.\n$$\\alpha_1$$ $E = mc^2$ $\\sum_{i} i$"
    assert fidelity.fidelity(html, text) == (6, 5)       # x^3 is missing from the text
    assert fidelity.fidelity("<p>no math here</p>", "no math here") == (0, 0)
    assert fidelity.fidelity("", None) == (0, 0)


def test_formula_fidelity_per_genre():
    pages = {"a": Page("math", "a", genre="blog"), "b": Page("math", "b", genre="qa"),
             "c": Page("non_math", "c", genre="qa")}
    counts = {"a": (10, 9), "b": (4, 4), "c": (0, 0), "elsewhere": (5, 0)}
    result = evaluation.formula_fidelity(pages, counts)
    assert list(result) == ["all", "blog", "qa"]
    assert (result["all"].pages, result["all"].tex, result["all"].found) == (2, 14, 13)
    assert result["blog"].share == 0.9 and result["qa"].share == 1.0
