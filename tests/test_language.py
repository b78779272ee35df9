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


def test_compiled_walk_scores_as_py3langid(sample_docs):
    """The compiled automaton walk gives py3langid's own languages and probabilities, bit for bit, on every
    page of the sample crawl (masked as the stage masks it) and on texts at the edges of the walk."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    compiled = language._identifier()
    assert type(compiled) is not LanguageIdentifier
    texts = [mask_math(d["text"][:OPTS.max_chars]) for d in sample_docs.values() if d["text"]]
    texts += ["", "   ", "ABC DEF", "ΣΑΣ", "数学是研究数量、结构以及空间等概念的一门学科", b"\xff\xfe broken utf-8",
              "x" * 60000, "\0"]
    assert len(texts) > 400
    assert [compiled.classify(t) for t in texts] == [stock.classify(t) for t in texts]
    # the walk's counts are zeroed after each text: the same text scores the same the second time
    assert compiled.classify(texts[0]) == stock.classify(texts[0])
    assert compiled.rank(texts[1])[:5] == stock.rank(texts[1])[:5]
    compiled.set_languages(["de", "en", "zh"])
    stock.set_languages(["de", "en", "zh"])
    try:
        assert [compiled.classify(t) for t in texts] == [stock.classify(t) for t in texts]
        assert {compiled.classify(t)[0] for t in texts} == {"de", "en", "zh"}
    finally:
        compiled.set_languages(None)
