"""Language identification on real pages, with the math masked first."""
from __future__ import annotations

from udfs import language
from jobs import extract
from udfs.extract import extract_file
from udfs.mathtext import mask_math
from jobs import language as language_stage
from tests.conftest import REAL, make_config

OPTS = language_stage.options(make_config())   # the shipped configuration
MAXWELL = "https://docs.scipy.org/doc/scipy/tutorial/stats/continuous_maxwell.html"


def test_math_heavy_page_needs_the_mask(sample_docs):
    """SciPy's Maxwell distribution page is mostly formulas: judged raw it falls under 0.65; masked it is
    clearly English."""
    text = sample_docs[MAXWELL]["text"]
    assert "\\begin{eqnarray*}" in text
    raw_lang, raw_score = language._identifier().classify(text)
    assert raw_lang == "en" and raw_score < OPTS.min_score
    lang, score = language.identify(text, OPTS)
    assert lang == "en" and score > 0.95
    assert language.decide(lang, score, OPTS) == (True, None, None)
    assert "\\frac" not in mask_math(text)


def test_math_pages_of_the_sample_are_english(sample_docs):
    for url in ("https://docs.sympy.org/1.11/modules/integrals/integrals.html",
                "https://doc.sagemath.org/html/en/reference/calculus/sage/symbolic/integration/integral.html"):
        if url in sample_docs:
            lang, score = language.identify(sample_docs[url]["text"], OPTS)
            assert (lang, score >= 0.65) == ("en", True), url


def test_chinese_is_recognised_on_real_common_crawl_pages():
    docs = [r for r in extract_file(str(REAL / "resiliparse_warcfile.warc.gz"), extract.options(make_config(), "t"))
            if r["kind"] == "document"]
    judged = {d["url"]: language.identify(d["text"], OPTS) for d in docs}
    chinese = sorted(url for url, (lang, score) in judged.items() if lang == "zh")
    assert len(chinese) == 10
    kept = [url for url in chinese if language.decide(*judged[url], OPTS)[0]]
    assert len(kept) == 9
    # a Guangdong government news page, judged on its prose
    assert language.decide(*judged["http://003338.cn/l41/481397.html"], OPTS) == (True, None, None)
    # a list of page numbers with a two-word heading is not prose
    assert language.decide(*judged["http://0755krk.com/76104/list_4_1.html"], OPTS) == (
        False, "language_score_low", "0.6209")


def test_reasons(sample_docs):
    german = [d for d in sample_docs.values() if "/browse/de-DE/" in d["url"]][0]
    lang, score = language.identify(german["text"], OPTS)
    assert language.decide(lang, score, OPTS) == (False, "language_not_kept", "de")
    assert language.decide(None, None, OPTS) == (False, "no_text", None)
    assert language.identify("   ", OPTS) == (None, None)
    assert language.decide("en", 0.5, OPTS) == (False, "language_score_low", "0.5000")
    assert language.decide("zh", 0.9, OPTS) == (True, None, None)
    custom = language.LanguageOptions(keep=("de",))
    assert language.decide(lang, score, custom) == (True, None, None)


def test_score_frame_columns(sample_docs):
    import pandas as pd
    frame = language.score_frame(pd.Series([sample_docs[MAXWELL]["text"], None]), OPTS)
    assert list(frame.columns) == ["lang", "lang_score", "keep", "reason", "value"]
    assert frame["keep"].tolist() == [True, False]
    assert frame["reason"].fillna("-").tolist() == ["-", "no_text"]
    assert frame["lang"].fillna("-").tolist() == ["en", "-"]
    assert frame["lang_score"].isna().tolist() == [False, True]
