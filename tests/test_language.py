"""Language identification on real pages: the prose is judged (math masked, code and identifiers left out), and
only on enough evidence."""
from __future__ import annotations

import pytest

from udfs import language
from jobs import extract
from udfs.extract import extract_file
from udfs.mathtext import mask_math
from jobs import language as language_stage
from tests import realweb
from tests.conftest import REAL, SAMPLE, make_config

OPTS = language_stage.options(make_config())   # the shipped configuration
MAXWELL = "https://docs.scipy.org/doc/scipy/tutorial/stats/continuous_maxwell.html"
Identification = language.Identification


def judged(text: str) -> tuple:
    """(lang, keep, reason) of the stage for `text`."""
    lang, _, keep, reason, _ = language.decide(language.identify(text, OPTS), OPTS)
    return lang, keep, reason


def before(text: str) -> tuple:
    """(lang, score) as the stage judged before it judged on evidence: math masked, and with fewer than 50
    characters left, the whole text."""
    masked = mask_math(text[:OPTS.max_chars])
    return language._identifier().classify(masked if len(masked.strip()) >= 50 else text[:OPTS.max_chars])


def test_math_heavy_page_needs_the_mask(sample_docs):
    """SciPy's Maxwell distribution page is mostly formulas: judged raw it falls under 0.65; masked it is
    clearly English."""
    text = sample_docs[MAXWELL]["text"]
    assert "\\begin{eqnarray*}" in text
    raw_lang, raw_score = language._identifier().classify(text)
    assert raw_lang == "en" and raw_score < OPTS.min_score
    found = language.identify(text, OPTS)
    assert found.lang == "en" and found.score > 0.95
    assert language.decide(found, OPTS) == ("en", found.score, True, None, None)
    assert "\\frac" not in mask_math(text)


def test_math_pages_of_the_sample_are_english(sample_docs):
    # every math page of the shipped sample crawl that CLD2 reads as English (SciPy, SymPy, SageMath, GAP and
    # mpmath documentation, formula-heavy API references among them) is kept as English; one, a page of
    # little more than a formula, is "und" and kept too
    import json
    from collections import Counter

    truth = [json.loads(line) for line in open(SAMPLE / "truth.jsonl")]
    english = [r["url"] for r in truth if r["label"] == "math" and r.get("lang_cld2") == "en"]
    assert len(english) == 195 and all(url in sample_docs for url in english)
    decided = {url: language.decide(language.identify(sample_docs[url]["text"], OPTS), OPTS) for url in english}
    assert Counter((lang, keep) for lang, _, keep, _, _ in decided.values()) == {("en", True): 194, ("und", True): 1}
    # two below 0.65 (the anglit distribution page and its mirror: a few words around formulas), kept by the
    # short-prose rule
    low = {url: round(score, 4) for url, (lang, score, _, _, _) in decided.items() if lang == "en" and score < 0.65}
    assert low == {"https://docs.scipy.org/doc/scipy/tutorial/stats/continuous_anglit.html": 0.4113,
                   "http://www.docs-mirror5.example/docs.scipy.org/doc/scipy/tutorial/stats/continuous_anglit.html":
                   0.4113}


def test_prose_leaves_out_code_and_identifiers():
    text = ("Returns np.zeros(n) when x_train is None; see getValue and the 2nd example.\n"
            "for i in range(self.n):\n"
            "    l += log(sigmoid(y[i]))\n"
            "2019年的概率论笔记")
    prose, evidence = language.prose(text, OPTS.cjk_weight)
    assert prose.split("\n") == ["Returns   when   is None; see   and the   example.", " 年的概率论笔记"]
    # letters of the words of two letters or more, and each CJK character as cjk_weight letters
    assert evidence == len("ReturnswhenisNoneseeandtheexample") + 7 * OPTS.cjk_weight


# English pages whose text is mostly a table, code or a few navigation words (guide split of the crawls)
ENGLISH = [
    # a table of names and numbers under a few headings: 0.587 before, the numbers outweighing the words
    ("http://www.pokemonpets.com/Pokedex", "dev", "en", True),
    # "Coupons MENU": was Czech (0.02), now too little to judge
    ("https://www.bluecollarelectricians.com/coupons/", "general", "und", True),
    # "Sitemap": was Shona (0.03)
    ("https://netflixtechblog.com/", "general", "und", True),
    # one line, "Max Jacob Newport. Born 11/6/12. Future Study Hacker...": was English at 0.07
    ("http://calnewport.com/blog/2012/11/07/my-new-project/", "general", "und", True),
]
# Chinese math notes: a heading or a few lines of Chinese around the formulas (dev crawl, guide split)
CHINESE = [
    # a heading and formulas: the whole text was judged, 0.07
    ("https://gongbaodd.github.io/book/2021/08/31/basic-formula-for-probability-theory/", "zh", True),
    ("https://gongbaodd.github.io/book/2021/05/07/commonly-used-equivalently-infinitely-small/", "zh", True),
    # Chinese prose and a Python listing with English comments and line numbers: 0.46
    ("https://sunyancn.github.io/post/60504.html", "zh", True),
    # headings and a few lines of Chinese between the formulas: Wu Chinese (0.56), folded into zh
    ("https://gongbaodd.github.io/book/2021/07/06/infinite-series/", "zh", True),
    ("https://gongbaodd.github.io/book/2021/08/19/triple-points/", "zh", True),
    # 泰勒公式 and formulas only: four characters are too little to judge
    ("https://gongbaodd.github.io/book/2021/05/08/taylor-formula/", "und", True),
]


@pytest.mark.parametrize("url, crawl, lang, keep", ENGLISH)
def test_english_pages_with_little_prose_are_kept(url, crawl, lang, keep):
    text = realweb.text(url, crawl)
    was_lang, was_score = before(text)
    assert was_lang != "en" or was_score < OPTS.min_score   # the stage rejected it
    assert judged(text) == (lang, keep, None)


@pytest.mark.parametrize("url, lang, keep", CHINESE)
def test_chinese_math_notes_are_kept(url, lang, keep):
    text = realweb.text(url)
    was_lang, was_score = before(text)
    assert was_lang != "zh" or was_score < OPTS.min_score
    assert judged(text) == (lang, keep, None)
    found = language.identify(text, OPTS)
    assert found.score is None if lang == "und" else found.score >= 0.95


def test_undetermined_rows():
    """Too little prose: lang "und", no score, kept; a null text is still no_text."""
    found = language.identify("Impressum · Kontakt · Datenschutz", OPTS)
    assert found.lang == "und" and found.evidence < OPTS.min_prose_chars
    assert language.decide(found, OPTS) == ("und", None, True, None, None)
    assert language.identify("   ", OPTS) == (None, None, 0.0, None)
    assert language.decide(language.identify(None, OPTS), OPTS) == (None, None, False, "no_text", None)


def test_other_languages_are_still_rejected(sample_docs):
    """Pages in other languages with plenty of prose are rejected, math pages too; one German or French
    sentence is enough."""
    for url, lang in (("http://www.rc-race-shop.de/product-featured.php?xploidid=4ra492h82a63dg4t0an2jupeb6", "de"),
                      ("http://www.noobmeter.com/player/ru/BeceJIoE_DNO/25506082/", "ru")):
        assert judged(realweb.text(url)) == (lang, False, "language_not_kept")
    for url, lang in (("https://doc.sagemath.org/html/fr/tutorial/tour_linalg.html", "fr"),
                      ("https://doc.sagemath.org/html/de/tutorial/tour_algebra.html", "de"),
                      ("https://doc.sagemath.org/html/ja/tutorial/tour_linalg.html", "ja")):
        assert judged(sample_docs[url]["text"]) == (lang, False, "language_not_kept"), url
    assert judged("Die Ableitung einer Funktion beschreibt ihre Änderungsrate.") == ("de", False,
                                                                                 "language_not_kept")
    assert judged("La dérivée d'une fonction décrit son taux de variation.") == ("fr", False, "language_not_kept")


def test_short_prose_with_a_kept_language_close(sample_docs):
    """On short prose a low top score does not reject when a kept language is close; on long prose it does."""
    # SciPy's anglit distribution: 43 letters of prose among the formulas, English at 0.41
    anglit = language.identify(sample_docs["https://docs.scipy.org/doc/scipy/tutorial/stats/continuous_anglit.html"]
                               ["text"], OPTS)
    assert anglit.lang == "en" and anglit.score < OPTS.min_score
    assert OPTS.min_prose_chars <= anglit.evidence < OPTS.confident_prose_chars
    assert language.decide(anglit, OPTS) == ("en", anglit.score, True, None, None)
    short = Identification("la", 0.4, 60.0, {"la": 0.4, "en": 0.3, "zh": 0.01})
    assert language.decide(short, OPTS) == ("en", 0.3, True, None, None)
    long = short._replace(evidence=OPTS.confident_prose_chars)
    assert language.decide(long, OPTS) == ("la", 0.4, False, "language_not_kept", "la")
    far = short._replace(probs={"la": 0.4, "en": 0.1})
    assert language.decide(far, OPTS) == ("la", 0.4, False, "language_not_kept", "la")
    # a confident other language is rejected however short the prose
    assert language.decide(Identification("de", 0.9, 45.0, {"de": 0.9, "en": 0.1}), OPTS)[2:] == (
        False, "language_not_kept", "de")
    # a kept language below min_score on long prose
    assert language.decide(Identification("en", 0.5, 500.0, {"en": 0.5}), OPTS) == (
        "en", 0.5, False, "language_score_low", "0.5000")


def test_chinese_is_recognised_on_real_common_crawl_pages():
    docs = [r for r in extract_file(str(REAL / "resiliparse_warcfile.warc.gz"), extract.options(make_config(), "t"))
            if r["kind"] == "document"]
    found = {d["url"]: language.identify(d["text"], OPTS) for d in docs}
    chinese = sorted(url for url, f in found.items() if f.lang == "zh")
    # 10 before, and a shop page of product names taken for Wu Chinese (0.56) that is Chinese
    assert len(chinese) == 11
    assert all(language.decide(found[url], OPTS)[2] for url in chinese)
    # a Guangdong government news page, judged on its prose
    assert language.decide(found["http://003338.cn/l41/481397.html"], OPTS)[2:] == (True, None, None)
    # a list of page numbers under a two-word heading: the numbers pulled it to 0.62 before; without them the
    # heading is plainly Chinese. Whether a list page is worth keeping is for the quality stage, not this one.
    assert language.decide(found["http://0755krk.com/76104/list_4_1.html"], OPTS)[:3] == (
        "zh", pytest.approx(0.9974, abs=1e-4), True)


def test_reasons(sample_docs):
    german = [d for d in sample_docs.values() if "/browse/de-DE/" in d["url"]][0]
    found = language.identify(german["text"], OPTS)
    assert language.decide(found, OPTS)[2:] == (False, "language_not_kept", "de")
    assert language.decide(Identification("en", 0.5, 1000.0, {"en": 0.5}), OPTS)[2:] == (
        False, "language_score_low", "0.5000")
    assert language.decide(Identification("zh", 0.9, 1000.0, {"zh": 0.9}), OPTS)[2:] == (True, None, None)
    custom = language_stage.options(make_config('language.keep=["de"]'))
    assert language.decide(found, custom)[2:] == (True, None, None)


def test_score_frame_columns(sample_docs):
    import pandas as pd
    frame = language.score_frame(pd.Series([sample_docs[MAXWELL]["text"], None, "Sitemap"]), OPTS)
    assert list(frame.columns) == ["lang", "lang_score", "keep", "reason", "value"]
    assert frame["keep"].tolist() == [True, False, True]
    assert frame["reason"].fillna("-").tolist() == ["-", "no_text", "-"]
    assert frame["lang"].fillna("-").tolist() == ["en", "-", "und"]
    assert frame["lang_score"].isna().tolist() == [False, True, True]


def test_compiled_walk_scores_as_py3langid(sample_docs):
    """The compiled automaton walk gives py3langid's own languages and probabilities, bit for bit, on every
    page of the sample crawl (masked as the stage masks it, and the prose the stage judges) and on texts at
    the edges of the walk."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    compiled = language._identifier()
    assert type(compiled) is not LanguageIdentifier
    texts = [mask_math(d["text"][:OPTS.max_chars]) for d in sample_docs.values() if d["text"]]
    texts += [language.prose(t, OPTS.cjk_weight)[0] for t in texts]
    texts += ["", "   ", "ABC DEF", "ΣΑΣ", "数学是研究数量、结构以及空间等概念的一门学科", b"\xff\xfe broken utf-8",
              "x" * 60000, "\0"]
    assert len(texts) > 800
    assert [compiled.classify(t) for t in texts] == [stock.classify(t) for t in texts]
    assert [compiled.rank(t) for t in texts[:50]] == [stock.rank(t) for t in texts[:50]]
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
