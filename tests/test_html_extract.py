"""Tests for udfs/html.py (decoding, math-preserving extraction) and udfs/mathml.py.

The real pages are fixtures cut from WARC files by tests/fixtures/cut_pages.py
(raw payload bytes + a JSON sidecar with URL and HTTP charset); the tests do
not need ../shared.  Pages from the sample crawl are not rendered by
JavaScript, so MathJax v2/v3 output, KaTeX and bare MathML are covered by
small hand-written snippets shaped like what those libraries emit.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from udfs.html import (  # noqa: E402
    IMAGE_PLACEHOLDER,
    Extracted,
    Image,
    UndecodableError,
    decode_html,
    extract,
    has_math,
)
from udfs.mathml import mathml_to_latex  # noqa: E402

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
KEYS = {"tex_delimiters", "mathjax_script", "mathjax_rendered", "katex", "mathml",
        "tex_images", "mathjax_loaded"}


def markup(**nonzero: int) -> dict[str, int]:
    out = dict.fromkeys(KEYS, 0)
    out.update(nonzero)
    return out


@lru_cache(maxsize=None)
def raw(name: str) -> tuple[bytes, dict]:
    meta = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    plain = PAGES / f"{name}.html"
    body = plain.read_bytes() if plain.exists() else gzip.decompress(
        (PAGES / f"{name}.html.gz").read_bytes())
    return body, meta


@lru_cache(maxsize=None)
def page(name: str, main_content: bool = True, **options) -> tuple[Extracted, str]:
    body, meta = raw(name)
    text, charset = decode_html(body, meta["header_charset"])
    return extract(text, meta["url"], main_content=main_content, **options), charset


def assert_placeholders(ex: Extracted) -> None:
    """Every listed image points at a placeholder, and every placeholder is listed."""
    n = len(IMAGE_PLACEHOLDER)
    for img in ex.images:
        assert ex.text[img.position:img.position + n] == IMAGE_PLACEHOLDER
        # its own token: whitespace or text boundary on both sides
        before = ex.text[img.position - 1] if img.position else " "
        after = ex.text[img.position + n] if img.position + n < len(ex.text) else " "
        assert before.isspace() and after.isspace()
    assert ex.text.count(IMAGE_PLACEHOLDER) == len(ex.images)
    assert [i.position for i in ex.images] == sorted(i.position for i in ex.images)


def test_fixtures_small_and_complete():
    names = {p.name.split(".")[0] for p in PAGES.iterdir() if p.suffix != ".json"}
    assert names == {p.stem for p in PAGES.glob("*.json")}
    total = sum(p.stat().st_size for p in PAGES.iterdir())
    assert total < 1_500_000
    for p in PAGES.glob("*.html"):
        assert p.stat().st_size <= 50_000, p.name


# --------------------------------------------------------------------------
# Math documentation pages from the sample crawl
# --------------------------------------------------------------------------


def test_scipy_reference_page_keeps_tex_and_plot_image():
    ex, charset = page("scipy_ncx2")
    assert charset == "utf-8"
    assert ex.title == "scipy.stats.ncx2 — SciPy v1.10.1 Manual"
    assert (r"\[f(x, k, \lambda) = \frac{1}{2} \exp(-(\lambda+x)/2) (x/\lambda)^{(k-2)/4} "
            r"I_{(k-2)/2}(\sqrt{\lambda x})\]") in ex.text
    assert r"for \(x >= 0\), \(k > 0\) and \(\lambda \ge 0\)." in ex.text
    assert ex.math_markup == markup(tex_delimiters=8, mathjax_loaded=1)
    assert has_math(ex.math_markup)
    # the matplotlib figure sits in a <figure>; the logo is dropped by main_content
    assert ex.images == [Image(
        url="https://docs.scipy.org/doc/scipy/_images/scipy-stats-ncx2-1.png",
        alt="../../_images/scipy-stats-ncx2-1.png", position=ex.images[0].position)]
    assert ex.text[ex.images[0].position - 15:ex.images[0].position] == ">>> plt.show()\n"
    assert_placeholders(ex)
    full, _ = page("scipy_ncx2", main_content=False)
    assert [i.url for i in full.images] == [
        "https://docs.scipy.org/doc/scipy/_static/logo.svg",
        "https://docs.scipy.org/doc/scipy/_images/scipy-stats-ncx2-1.png"]
    assert full.images[0].alt == "logo"
    assert_placeholders(full)


def test_scipy_tutorial_display_math():
    ex, _ = page("scipy_norm")
    assert (r"\begin{eqnarray*} f\left(x\right) & = & \frac{e^{-x^{2}/2}}{\sqrt{2\pi}}\\ "
            r"F\left(x\right) & = & \Phi\left(x\right)=\frac{1}{2}+\frac{1}{2}\mathrm{erf}"
            r"\left(\frac{x}{\sqrt{2}}\right)") in ex.text
    assert ex.math_markup == markup(tex_delimiters=3, mathjax_loaded=1)


def test_sagemath_page():
    ex, _ = page("sagemath_bch")
    assert ex.title == "The Baker-Campbell-Hausdorff formula — Sage 9.5 Reference Manual: Algebras"
    assert r"The BCH formula \(\log(\exp(X)\exp(Y)) = \sum_k Z_k\) is computed starting " \
           r"from \(Z_1 = X + Y\), by the recursion" in ex.text
    assert "sage: from sage.algebras.lie_algebras.bch import bch_iterator" in ex.text
    assert ex.math_markup == markup(tex_delimiters=8, mathjax_loaded=1)


def test_main_content_that_drops_the_math_of_link_lists_gives_way_to_the_whole_text():
    """Sphinx toctree pages: the only math is in link captions, which the main-content heuristics remove;
    the page then keeps its whole text, formulas and navigation. math_markup describes the whole page."""
    ex, _ = page("sagemath_finite_rings_index")
    full, _ = page("sagemath_finite_rings_index", main_content=False)
    heuristics, _ = page("sagemath_finite_rings_index", main_content_math_share=0.0)
    # 5 in the text; the copies in <link title="..."> / <a title="..."> are not counted
    assert ex.math_markup == full.math_markup == markup(tex_delimiters=5)
    assert "\\(" not in heuristics.text
    assert heuristics.text.startswith("Finite Rings\n\nFinite Rings\n\nFinite Fields")
    assert ex.text == full.text
    assert "Ring \\(\\ZZ/n\\ZZ\\) of integers modulo \\(n\\)" in ex.text


def test_gap_mathjax_source_page():
    ex, _ = page("gap_tut_chap4_mj")
    assert ex.title == "GAP (tut) - Chapter 4: Functions"
    assert (r"Fibonacci numbers are defined recursively by \(f(1) = f(2) = 1\) and "
            r"\(f(n) = f(n-1) + f(n-2)\) for \(n \geq 3\).") in ex.text
    assert ex.math_markup == markup(tex_delimiters=18, mathjax_loaded=1)


def test_mpmath_page():
    ex, _ = page("mpmath_polynomials")
    assert r"\[P(x) = c_n x^n + \ldots + c_2 x^2 + c_1 x + c_0.\]" in ex.text
    assert r"Given coefficients \([c_n, \ldots, c_2, c_1, c_0]\) and a number \(x\)" in ex.text
    assert ex.math_markup == markup(tex_delimiters=9, mathjax_loaded=1)


def test_sympy_tex_in_image_alt():
    ex, _ = page("sympy_calculus")
    assert ex.math_markup == markup(tex_images=21)
    # display math (img inside div.math) and inline math (img.math)
    assert "\n$$\\int_0^\\infty e^{-x}\\,dx,$$\n" in ex.text
    assert ("$$\\int_{-\\infty}^{\\infty}\\int_{-\\infty}^{\\infty} e^{- x^{2} - y^{2}}"
            "\\, dx\\, dy,$$") in ex.text
    assert "$$\\lim_{x\\to 0^+}\\frac{1}{x},$$" in ex.text
    assert "For example, both of the following find the third derivative of $x^4$." in ex.text
    assert "Even though SymPy has objects to represent $\\infty$, using them" in ex.text
    # TeX images are text now, not images
    assert ex.images == []
    full, _ = page("sympy_calculus", main_content=False)
    assert [i.url for i in full.images] == ["https://docs.sympy.org/1.11/_static/sympylogo.png"]
    assert not any("_images/math/" in i.url for i in full.images)


def test_wikipedia_mathml_alttext_and_no_duplicate_fallback_images():
    ex, charset = page("wikipedia_tsne")
    assert charset == "utf-8"
    assert ex.math_markup == markup(mathml=34)
    assert "Given a set of $N$ high-dimensional objects " \
           "$\\mathbf {x} _{1},\\dots ,\\mathbf {x} _{N}$, t-SNE first computes " \
           "probabilities $p_{ij}$" in ex.text
    # a formula alone in a <dd> is display math; {\displaystyle ...} is unwrapped
    assert "\n$$p_{ij}={\\frac {p_{j\\mid i}+p_{i\\mid j}}{2N}}$$\n" in ex.text
    assert "$$KL(P||Q)=\\sum _{i\\neq j}p_{ij}\\log {\\frac {p_{ij}}{q_{ij}}}$$" in ex.text
    assert "displaystyle" not in ex.text
    # the rendered fallback <img> of each formula is not listed and not repeated
    full, _ = page("wikipedia_tsne", main_content=False)
    assert not any("/media/math/render/" in i.url for i in full.images)
    assert full.text.count("$p_{ij}$") == ex.text.count("$p_{ij}$") == 3
    assert ex.images[0] == Image(
        url="https://upload.wikimedia.org/wikipedia/commons/thumb/f/fe/Kernel_Machine.svg/"
            "220px-Kernel_Machine.svg.png",
        alt="Kernel Machine.svg", position=ex.images[0].position)
    assert_placeholders(ex)
    assert_placeholders(full)


# --------------------------------------------------------------------------
# Real web pages with images
# --------------------------------------------------------------------------


def test_images_wordpress_page():
    ex, _ = page("cc_mission")
    assert ex.title == "Who We Are - Creative Commons"
    assert [(i.url, i.alt) for i in ex.images] == [
        ("https://creativecommons.org/wp-content/uploads/2020/06/cc.xlarge-300x300.png",
         "Creative Commons icon/logo: A black circle around the letters CC."),
        ("https://creativecommons.org/wp-content/uploads/2023/09/"
         "wispies_by_fictargraphics_d92tl3a-fullview-300x219.jpg",
         "An abstract illustration of many radiating lines in different colors growing up "
         "from the bottom."),
        ("https://creativecommons.org/wp-content/uploads/2023/09/CCValues2021-2025-300x297.png",
         "A donut chart with three equal sections, separated by white gaps.. Top: Agile "
         "Leadership (orange). Right: Global Inclusivity (burnt orange). Left: Informed "
         "Intention (borwn)."),
    ]
    assert ex.images[0].position == 12
    assert ex.text[:ex.images[0].position] == "Who We Are\n\n"
    assert ex.text[ex.images[2].position - 12:ex.images[2].position] == "Our values\n\n"
    assert ex.math_markup == markup()
    assert not has_math(ex.math_markup)
    assert_placeholders(ex)


def test_images_encoded_urls_and_main_content_filtering():
    ex, _ = page("cc_newsletter")
    full, _ = page("cc_newsletter", main_content=False)
    assert len(ex.images) == 6 and len(full.images) == 11
    first = ex.images[0]
    assert first.url == ("https://assets-global.website-files.com/647b1c7a9990bad2048d3711/"
                         "64e1481c88168f56d3a58898_648de3e6dfa993c0af776fcf_"
                         "Common_Crawl_Rev3_LPX_Color%20Icon.svg")
    assert first.alt == "Common Crawl Foundation"
    assert ex.images[-1].url.endswith("/65550ad52e2cbe00ff53493a_greg.webp")
    assert ex.images[-1].alt == "Greg is the Chief Technology Officer at the Common Crawl Foundation."
    assert ex.text[ex.images[-1].position:].startswith("<|image|>\nGreg Lindahl")
    # the images kept under main_content are a subset, in the same order
    urls = [i.url for i in full.images]
    assert [urls.index(i.url) for i in ex.images] == sorted(urls.index(i.url) for i in ex.images)
    assert_placeholders(ex)
    assert_placeholders(full)


def test_images_protocol_relative_urls():
    ex, charset = page("wiki_escopete")
    assert charset == "utf-8"
    assert ex.title == "Escopete - Biquipedia, a enciclopedia libre"
    assert (ex.images[1].url, ex.images[1].alt) == (
        "https://upload.wikimedia.org/wikipedia/commons/thumb/0/0a/"
        "Escudo_de_Escopete_%28Guadalajara%29.svg/70px-Escudo_de_Escopete_%28Guadalajara%29.svg.png",
        "Escudo d'armas")
    assert ex.text[ex.images[1].position:].startswith("<|image|>\nEntidat")
    assert all(i.url.startswith("https://upload.wikimedia.org/") for i in ex.images)
    assert_placeholders(ex)


# --------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name, header, charset, words", [
    # header and <meta> both say ISO-8859-1 -> WHATWG windows-1252
    ("charset_latin1", "ISO-8859-1", "cp1252", ["erklärt", "Abmahnanwälte", "“Vreni-Frost-Urteil”"]),
    ("charset_latin1_header_only", "iso-8859-1", "cp1252", ["Frühburgunder"]),
    ("charset_native_iso88591", "ISO-8859-1", "cp1252", ["ermöglicht", "Außendarstellung"]),
    # says UTF-8, is windows-1252: must not become mojibake
    ("charset_mismatch", "UTF-8", "cp1252", ["Prüfkandidaten", "Reifenfüllstation", "über"]),
    # no header charset, <meta charset="utf-8">
    ("charset_no_header", None, "utf-8", ["Forms — Django 3.2.25 documentation"]),
    # nothing declared at all: sniffed
    ("charset_none_ja", None, "utf-8", ["カーネルが担当している一部の操作"]),
    ("ru_windows1251", "windows-1251", "cp1251", ["О компании", "пожарной безопасности"]),
    ("ja_eucjp_clueweb", None, "euc_jp", ["ヘッドポーター", "人気のシリーズ"]),
])
def test_charset_decisions(name, header, charset, words):
    body, meta = raw(name)
    assert meta["header_charset"] == header
    text, used = decode_html(body, meta["header_charset"])
    assert used == charset
    assert "\ufffd" not in text
    ex, _ = page(name, main_content=False)
    assert "Ã" not in ex.text  # no UTF-8-read-as-cp1252 mojibake in the text
    for w in words:
        assert w in ex.text or w == ex.title or any(w in i.alt for i in ex.images), w


def test_charset_mismatch_would_be_mojibake_as_declared():
    body, _ = raw("charset_mismatch")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Prüfkandidaten".encode("cp1252") in body


def test_decode_order_bom_header_meta_detection():
    latin = "<p>Grüße aus Köln</p>".encode("cp1252")
    cyr = '<meta charset="windows-1251"><p>Привет, мир</p>'.encode("cp1251")
    # BOM beats a (wrong) header
    assert decode_html(b"\xef\xbb\xbf<p>\xc3\xa4</p>", "iso-8859-1") == ("<p>ä</p>", "utf-8")
    assert decode_html(b"\xff\xfe<\x00p\x00>\x00", "utf-8") == ("<p>", "utf-16-le")
    # header, given as a label or as the whole Content-Type value
    assert decode_html(latin, "latin1") == ("<p>Grüße aus Köln</p>", "cp1252")
    assert decode_html(latin, "text/html; charset=ISO-8859-1")[1] == "cp1252"
    assert decode_html("<p>ü</p>".encode(), "text/html")[1] == "utf-8"
    # meta when there is no header, and when the header does not decode
    assert decode_html(cyr, None)[1] == "cp1251"
    assert decode_html(cyr, "utf-8") == ('<meta charset="windows-1251"><p>Привет, мир</p>', "cp1251")
    assert decode_html(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
                       + "<p>Привет</p>".encode("koi8-r"), None)[1] == "koi8-r"
    # unknown labels are ignored, not fatal
    assert decode_html(b"<p>plain</p>", "x-no-such-charset") == ("<p>plain</p>", "utf-8")
    # valid UTF-8 beats detection, which calls this short input ISO-8859-7
    assert decode_html("<p>ü</p>".encode(), None) == ("<p>ü</p>", "utf-8")
    # detection for a legacy page without any declaration
    assert decode_html(("<p>" + "Die Straße ist für Fußgänger gesperrt. " * 20 + "</p>")
                       .encode("cp1252"), None)[1] == "cp1252"
    # an ASCII body labelled utf-16 is not decoded as UTF-16
    assert decode_html(b"<p>plain ascii</p>", "utf-16")[0] == "<p>plain ascii</p>"
    assert decode_html(b"", None) == ("", "utf-8")


def test_decode_truncated_and_damaged_utf8():
    text = "<p>" + "Größe " * 200 + "</p>"
    # cut in the middle of a multi-byte character, as CC's 1 MiB truncation does
    cut = text.encode()[:-8] + "ö".encode()[:1]
    assert decode_html(cut, "utf-8") == (cut[:-1].decode(), "utf-8")
    # a stray byte in a long UTF-8 page: kept as UTF-8 with one replacement
    damaged = ("<p>" + "Größe " * 100).encode() + b"\xff" + ("Größe " * 100 + "</p>").encode()
    decoded, used = decode_html(damaged, "utf-8")
    assert used == "utf-8" and decoded.count("\ufffd") == 1 and decoded.count("Größe") == 200


def test_undecodable_binary():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    with pytest.raises(UndecodableError):
        decode_html(png, None)
    with pytest.raises(UndecodableError):
        decode_html(png, "utf-8")
    assert issubclass(UndecodableError, ValueError)


# --------------------------------------------------------------------------
# Hand-written snippets in the shape MathJax / KaTeX / MathML emit
# --------------------------------------------------------------------------

MATHJAX2 = """<html><head>
<script type="text/x-mathjax-config">MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$']]}});</script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js?config=TeX-AMS_HTML"></script>
</head><body><article><h1>Energy</h1>
<p>The famous relation <span class="MathJax_Preview" style="color: inherit; display: none;"></span><span class="MathJax" id="MathJax-Element-1-Frame" tabindex="0" role="presentation"><nobr aria-hidden="true"><span class="math" id="MathJax-Span-1"><span class="mrow"><span class="mi">E</span><span class="mo">=</span><span class="mi">m</span><span class="msubsup"><span class="mi">c</span><span class="mn">2</span></span></span></span></nobr><span class="MJX_Assistive_MathML" role="presentation"><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></math></span></span><script type="math/tex" id="MathJax-Element-1">E=mc^2</script> holds for a body at rest, and in general</p>
<div class="MathJax_Display" style="text-align: center;"><span class="MathJax" id="MathJax-Element-2-Frame"><nobr><span class="math">E2=(pc)2+(mc2)2</span></nobr></span></div><script type="math/tex; mode=display" id="MathJax-Element-2">E^2 = (pc)^2 + (mc^2)^2</script>
<p>which reduces to the first relation when the momentum vanishes.</p>
</article></body></html>"""

MATHJAX3 = """<html><body><p>The area of a disk is <mjx-container class="MathJax CtxtMenu_Attached_0" jax="CHTML" tabindex="0" ctxtmenu_counter="0" style="font-size: 119.5%; position: relative;"><mjx-math class="MJX-TEX" aria-hidden="true"><mjx-mi class="mjx-i"><mjx-c class="mjx-c1D70B TEX-I"></mjx-c></mjx-mi><mjx-msup><mjx-mi class="mjx-i"><mjx-c class="mjx-c1D45F TEX-I"></mjx-c></mjx-mi><mjx-script style="vertical-align: 0.363em;"><mjx-mn class="mjx-n" size="s"><mjx-c class="mjx-c32"></mjx-c></mjx-mn></mjx-script></mjx-msup></mjx-math><mjx-assistive-mml unselectable="on" display="inline"><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>&#x3C0;</mi><msup><mi>r</mi><mn>2</mn></msup></math></mjx-assistive-mml></mjx-container> and half of it is</p>
<mjx-container class="MathJax CtxtMenu_Attached_0" jax="CHTML" display="true" tabindex="0"><mjx-math display="true" class="MJX-TEX" aria-hidden="true"><mjx-mfrac><mjx-frac type="d"><mjx-num><mjx-nstrut type="d"></mjx-nstrut><mjx-mn class="mjx-n"><mjx-c class="mjx-c31"></mjx-c></mjx-mn></mjx-num></mjx-frac></mjx-mfrac></mjx-math><mjx-assistive-mml unselectable="on" display="block"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mfrac><mrow><mi>&#x3C0;</mi><msup><mi>r</mi><mn>2</mn></msup></mrow><mn>2</mn></mfrac></math></mjx-assistive-mml></mjx-container>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js" id="MathJax-script" async></script>
</body></html>"""

KATEX = """<p>Let <span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mrow><msqrt><mi>x</mi></msqrt></mrow><annotation encoding="application/x-tex">\\sqrt{x}</annotation></semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base"><span class="strut" style="height:1.04em;"></span><span class="mord sqrt"><span class="vlist-t">x</span></span></span></span></span> be given. Then</p>
<p><span class="katex-display"><span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><semantics><mrow><msubsup><mo>&#x222B;</mo><mn>0</mn><mn>1</mn></msubsup></mrow><annotation encoding="application/x-tex">\\int_0^1 f(x)\\,dx</annotation></semantics></math></span><span class="katex-html" aria-hidden="true"><span class="mop op-symbol large-op">&#x222B;</span><span class="mord">01</span><span class="mord mathnormal">f(x)dx</span></span></span></span></p>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css">"""


def test_mathjax_v2_scripts_replace_rendered_output():
    ex = extract(MATHJAX2, "https://example.org/physics/", main_content=False)
    assert ex.text == ("Energy\n\nThe famous relation $E=mc^2$ holds for a body at rest, and in "
                       "general\n\n$$E^2 = (pc)^2 + (mc^2)^2$$\n\nwhich reduces to the first "
                       "relation when the momentum vanishes.")
    assert ex.title is None
    assert ex.math_markup == markup(mathjax_script=2, mathjax_rendered=2, mathjax_loaded=1)


def test_mathjax_v3_assistive_mathml():
    ex = extract(MATHJAX3, "https://example.org/", main_content=False)
    assert ex.text == ("The area of a disk is $\\pi r^{2}$ and half of it is\n\n"
                       "$$\\frac{\\pi r^{2}}{2}$$")
    assert ex.math_markup == markup(mathjax_rendered=2, mathjax_loaded=1)


def test_katex_annotation():
    ex = extract(KATEX, "https://example.org/", main_content=False)
    assert ex.text == "Let $\\sqrt{x}$ be given. Then\n\n$$\\int_0^1 f(x)\\,dx$$"
    assert ex.math_markup == markup(katex=2, mathjax_loaded=1)


def test_mathml_without_alttext_is_converted():
    html = ("<p>Half is <math><mfrac><mi>a</mi><mi>b</mi></mfrac></math>, and</p>"
            "<math display=\"block\"><munderover><mo>&sum;</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn>"
            "</mrow><mi>n</mi></munderover><mi>i</mi><mo>=</mo><mfrac><mrow><mi>n</mi><mo>(</mo>"
            "<mi>n</mi><mo>+</mo><mn>1</mn><mo>)</mo></mrow><mn>2</mn></mfrac></math>"
            "<p>with <math alttext=\"x \\in \\mathbb{R}\"><mi>x</mi><mo>&isin;</mo>"
            "<mi>&Ropf;</mi></math> and <math><semantics><mi>y</mi>"
            "<annotation encoding=\"TeX\">y_0</annotation></semantics></math>.</p>")
    ex = extract(html, "https://example.org/", main_content=False)
    assert ex.text == ("Half is $\\frac{a}{b}$, and\n\n$$\\sum_{i=1}^{n}i=\\frac{n(n+1)}{2}$$\n\n"
                       "with $x \\in \\mathbb{R}$ and $y_0$.")
    assert ex.math_markup == markup(mathml=4)


def test_tex_delimiters_in_text_are_kept_and_counted():
    html = ("<p>Inline \\(a^2+b^2=c^2\\) and display \\[\\int_0^1 x\\,dx\\]</p>"
            "<p>Dollars $$e^{i\\pi}+1=0$$ and $x_1$ and $y$, but a price of $5 and $10 is not.</p>"
            "<script>$(function(){ $('#x').hide(); var a=$b$c; })</script>"
            "<pre>echo $HOME/$USER</pre>")
    ex = extract(html, "https://example.org/", main_content=False)
    assert "Inline \\(a^2+b^2=c^2\\) and display \\[\\int_0^1 x\\,dx\\]" in ex.text
    assert "Dollars $$e^{i\\pi}+1=0$$ and $x_1$ and $y$" in ex.text
    assert ex.math_markup == markup(tex_delimiters=5)


def test_tex_images_by_class_and_renderer_url():
    html = ("<p>Sphinx <img class=\"math\" src=\"_images/math/abc.png\" alt=\"\\int_0^1 x\\,dx\"/> "
            "and WordPress <img src=\"https://s0.wp.com/latex.php?latex=a%5E2%2Bb%5E2&bg=ffffff\" "
            "alt=\"a^2+b^2\" class=\"latex\"/> and CodeCogs "
            "<img src=\"https://latex.codecogs.com/gif.latex?\\frac{1}{2}\"/> and delimited "
            "<img class=\"tex\" src=\"/f.png\" alt=\"$$E=mc^2$$\"/> and a photo "
            "<img src=\"/math/team.jpg\" alt=\"Our math department team photo at the lake\"/></p>")
    ex = extract(html, "https://example.org/doc/page.html", main_content=False)
    assert ex.text == ("Sphinx $\\int_0^1 x\\,dx$ and WordPress $a^2+b^2$ and CodeCogs "
                       "$\\frac{1}{2}$ and delimited $$E=mc^2$$ and a photo <|image|>")
    assert ex.images == [Image(url="https://example.org/math/team.jpg",
                               alt="Our math department team photo at the lake",
                               position=ex.text.index(IMAGE_PLACEHOLDER))]
    assert ex.math_markup == markup(tex_images=4)


def test_images_base_href_figures_and_skips():
    html = ("<html><head><base href=\"https://cdn.example.net/assets/\"></head><body>"
            "<p>Intro text.</p><figure><img src=\"plot.png\" alt=\"A plot\">"
            "<figcaption>Figure 1: the plot</figcaption></figure>"
            "<p>Inline<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"inline data\">"
            "<img src=\"https://t.example/pixel.gif\" width=\"1\" height=\"1\">"
            "<img data-src=\"/lazy.jpg\" src=\"data:image/gif;base64,R0lGOD\" alt=\" lazy \n one \">"
            "<img alt=\"no source\">end.</p></body></html>")
    ex = extract(html, "https://example.org/a/b.html", main_content=False)
    assert ex.text == ("Intro text.\n\n<|image|>\nFigure 1: the plot\n\nInline <|image|> end.")
    assert ex.images == [
        Image(url="https://cdn.example.net/assets/plot.png", alt="A plot", position=13),
        Image(url="https://cdn.example.net/lazy.jpg", alt="lazy one", position=ex.text.rindex("<|"))]
    assert_placeholders(ex)


def test_literal_placeholder_in_page_text_is_defused():
    ex = extract("<p>The token &lt;|image|&gt; is reserved.</p><p><img src=\"/a.png\"></p>",
                 "https://example.org/", main_content=False)
    assert ex.text == "The token <|image |> is reserved.\n\n<|image|>"
    assert [i.position for i in ex.images] == [ex.text.index(IMAGE_PLACEHOLDER)]


def test_has_math():
    assert not has_math(markup())
    assert not has_math(markup(mathjax_loaded=1))
    for key in KEYS - {"mathjax_loaded"}:
        assert has_math(markup(**{key: 1}))


def test_interface_shapes():
    ex = extract("<title> A  title </title><p>x</p>", "https://example.org/")
    assert ex.title == "A title"
    assert set(ex.math_markup) == KEYS
    for cls in (Image, Extracted):
        assert dataclasses.is_dataclass(cls) and hasattr(cls, "__slots__")
    assert IMAGE_PLACEHOLDER == "<|image|>"
    with pytest.raises(TypeError):
        extract(b"<p>bytes</p>", "https://example.org/")  # type: ignore[arg-type]


@pytest.mark.parametrize("html", [
    "", "<", "\x00\x00<p>a\x00b</p>", "<p>lone \ud800 surrogate</p><img src=a.png>",
    "<div>" * 3000 + "deep",  # resiliparse's main_content is quadratic in depth
    "<math>" + "<mrow>" * 3000 + "<mi>x</mi>",
    "<base href=\"http://[::1\"><img src=\"http://[bad\"><img src=\"x.png\"><p>t</p>",
    "<span class=\"katex\"></span><mjx-container></mjx-container><script type=\"math/tex\"></script>"
    "<div class=\"mwe-math-element\"></div><math></math>",
    "".join(chr(i) for i in range(1, 2000)),
])
def test_odd_html_never_raises(html):
    for main_content in (True, False):
        ex = extract(html, "<https://example.org/x/>", main_content=main_content)
        assert isinstance(ex.text, str)
        assert_placeholders(ex)


# --------------------------------------------------------------------------
# MathML -> LaTeX
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mathml, latex", [
    ("<math><mfrac><mi>a</mi><mi>b</mi></mfrac></math>", r"\frac{a}{b}"),
    ("<math><msqrt><mi>x</mi><mo>+</mo><mn>1</mn></msqrt></math>", r"\sqrt{x+1}"),
    ("<math><mroot><mi>x</mi><mn>3</mn></mroot></math>", r"\sqrt[3]{x}"),
    ("<math><msubsup><mo>&int;</mo><mn>0</mn><mi>&infin;</mi></msubsup><msup><mi>e</mi><mrow>"
     "<mo>-</mo><msup><mi>x</mi><mn>2</mn></msup></mrow></msup><mi>d</mi><mi>x</mi></math>",
     r"\int_{0}^{\infty}e^{-x^{2}}dx"),
    ("<math><munder><mo>lim</mo><mrow><mi>n</mi><mo>&rarr;</mo><mi>&infin;</mi></mrow></munder>"
     "<msub><mi>a</mi><mi>n</mi></msub></math>", r"\lim_{n\to\infty}a_{n}"),
    ("<math><mi>&alpha;</mi><mo>&le;</mo><mi>&beta;</mi><mo>&ne;</mo><mi>&Gamma;</mi><mo>&times;</mo>"
     "<mi>y</mi><mo>&sdot;</mo><mi>z</mi><mo>&plusmn;</mo><mn>1</mn><mo>&ge;</mo><mn>0</mn></math>",
     r"\alpha\le\beta\neq\Gamma\times y\cdot z\pm1\ge0"),
    ("<math><mi>sin</mi><mo>&#x2061;</mo><mi>&theta;</mi></math>", r"\sin\theta"),
    ("<math><mi>sin</mi><mi>x</mi></math>", r"\sin x"),
    ("<math><mover><mi>x</mi><mo>&#x2192;</mo></mover><mo>+</mo><mover><mi>y</mi><mo>^</mo>"
     "</mover><mo>+</mo><mover><mrow><mi>a</mi><mi>b</mi></mrow><mo>&#xAF;</mo></mover></math>",
     r"\vec{x}+\hat{y}+\overline{ab}"),
    ("<math><munderover><mo>&prod;</mo><mrow><mi>k</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi>"
     "</munderover><mi>k</mi></math>", r"\prod_{k=1}^{n}k"),
    ("<math><munder><mi>x</mi><mo>&#x23DF;</mo></munder><mover><mi>A</mi><mi>def</mi></mover></math>",
     r"\underbrace{x}\overset{\mathrm{def}}{A}"),
    ("<math><mfenced><mi>a</mi><mi>b</mi></mfenced><mfenced open=\"[\" close=\")\" separators=\";\">"
     "<mn>0</mn><mn>1</mn></mfenced></math>", r"\left(a,b\right)\left[0;1\right)"),
    ("<math><mfenced open=\"[\" close=\"]\"><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>0</mn></mtd>"
     "</mtr><mtr><mtd><mn>0</mn></mtd><mtd><mn>1</mn></mtd></mtr></mtable></mfenced></math>",
     r"\begin{bmatrix}1 & 0 \\ 0 & 1\end{bmatrix}"),
    ("<math><mrow><mo>(</mo><mtable><mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd></mtr></mtable>"
     "<mo>)</mo></mrow></math>", r"\begin{pmatrix}a & b\end{pmatrix}"),
    ("<math><mtable><mtr><mtd><mi>x</mi></mtd></mtr><mtr><mtd><mi>y</mi></mtd></mtr></mtable></math>",
     r"\begin{matrix}x \\ y\end{matrix}"),
    ("<math><mi>x</mi><mspace width=\"1em\"/><mtext>for all</mtext><mspace width=\"0.2em\"/>"
     "<mi>x</mi><mo>&gt;</mo><mn>0</mn></math>", r"x\quad\text{for all}\,x>0"),
    ("<math><mstyle displaystyle=\"true\"><mi mathvariant=\"double-struck\">R</mi><mo>&sub;</mo>"
     "<mi>&#x2102;</mi><mo>,</mo><mi mathvariant=\"bold\">v</mi><mo>&isin;</mo><msup>"
     "<mi mathvariant=\"script\">L</mi><mn>2</mn></msup></mstyle></math>",
     r"\mathbb{R}\subset\mathbb{C},\mathbf{v}\in\mathcal{L}^{2}"),
    ("<math><menclose notation=\"box\"><mi>z</mi></menclose><menclose notation=\"updiagonalstrike\">"
     "<mn>0</mn></menclose></math>", r"\boxed{z}\cancel{0}"),
    ("<math><semantics><mrow><mi>q</mi></mrow><annotation-xml encoding=\"MathML-Content\"><ci>q</ci>"
     "</annotation-xml></semantics></math>", "q"),
    ("<math><msup><mrow><mo>(</mo><mi>a</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow><mn>2</mn></msup>"
     "<mo>&minus;</mo><msub><mi>x</mi><mrow><mi>i</mi><mi>j</mi></mrow></msub></math>",
     r"{(a+b)}^{2}-x_{ij}"),
    ("<math><mn>3.14</mn><mo>&hellip;</mo><mo>{</mo><mi>&#x3B5;</mi><mo>}</mo><mi>&phi;</mi></math>",
     r"3.14\ldots\{\varepsilon\}\varphi"),
    ("<math><mmultiscripts><mi>F</mi><mi>i</mi><none/><mprescripts/><mn>1</mn><none/>"
     "</mmultiscripts></math>", r"{}_{1}F_{i}"),
    ("<math></math>", ""),
])
def test_mathml_to_latex(mathml, latex):
    assert mathml_to_latex(mathml) == latex


def test_mathml_too_deep_gives_empty_string():
    deep = "<math>" + "<mrow>" * 500 + "<mi>x</mi>" + "</mrow>" * 500 + "</math>"
    assert mathml_to_latex(deep) == ""
    assert mathml_to_latex("<math>" + "<mrow>" * 20 + "<mi>x</mi></math>") == "x"


def test_the_raw_source_check_agrees_with_the_count():
    """`_has_tex` stops at the first match where the count goes on: on each edge of the rule (only `$$..$$`,
    only `$x$`, `$x$` that the `$$..$$` removal would not touch, a price, jQuery) and on the raw source of
    every page of the sample crawl, it says a source has TeX exactly when the count is above 0."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from tests.conftest import SAMPLE
    from udfs import html as html_mod

    cases = [b"", b"a price of $5 and $10", b"$(function(){ $('#x').hide(); })", b"$$e=mc^2$$", b"$x$",
             b"<img alt=\"$x$\">", b"$$a$$ and $b$", b"\\(a\\)", b"\\[a\\]", b"\\begin{align}x\\end{align}",
             b"$ x$ and $x $", b"\\$x\\$"]
    counts = [html_mod._count_tex(c) for c in cases]
    assert counts == [0, 0, 0, 1, 1, 0, 2, 1, 1, 1, 0, 0]
    assert [html_mod._has_tex(c) for c in cases] == [n > 0 for n in counts]
    sources = []
    for path in sorted(SAMPLE.glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
                sources.append(record.reader.read().lower())
    assert len(sources) > 400 and sum(html_mod._count_tex(s) > 0 for s in sources) > 50
    assert [html_mod._has_tex(s) for s in sources] == [html_mod._count_tex(s) > 0 for s in sources]


def test_katex_rendered_as_html_only_keeps_its_glyphs_as_formulas():
    # a real page whose KaTeX was rendered at build time with HTML output only: no TeX annotation, no MathML;
    # without the glyphs its text read "prove that ." and the classifiers saw no mathematics at all
    from tests import realweb
    url = "https://chaoxu.prof/posts/2012-03-06-lcm-of-more-than-two-numbers-as-a-formula-of-gcds.html"
    page = extract(realweb.raw(url), url)
    assert page.math_markup["katex"] == 24
    assert "It is a common elementary number theory exercise to prove that $lcm(a,b)=gcd(a,b)ab$." in page.text
    assert "$$max(a,b,c)=a+b+c+min(a,b,c)−(min(a,b)+min(b,c)+min(a,c))$$" in page.text
    assert "\u200b" not in page.text


def test_main_content_that_lost_the_mathematics_gives_way_to_the_whole_text():
    # real pages whose main-content heuristics kept the bibliography (a Jupyter Book chapter) or dropped the
    # lists that hold the definitions (a KaTeX note): the whole text keeps their formulas
    from tests import realweb
    from udfs import fidelity
    book = "https://champsproject.github.io/lagrangian_descriptors/content/chapter2_2.html"
    html = realweb.raw(book)
    assert extract(html, book, main_content_math_share=0.0).text.startswith("References\n\nArnold13")
    page = extract(html, book)
    assert "a scalar function \\(H(\\mathbf{q},\\mathbf{p})\\) known as the Hamiltonian" in page.text
    assert fidelity.fidelity(html, page.text) == (60, 60)
    note = "https://gongbaodd.github.io/book/2021/02/10/matrix/"
    html = realweb.raw(note)
    assert fidelity.fidelity(html, extract(html, note, main_content_math_share=0.0).text) == (57, 23)
    page = extract(html, note)
    assert "$A = [a_{ij}]{m \\times n}, B=[b_{ij}]_{s \\times t}$其中 $m=s, n=t$，A 与 B 是同型矩阵" in page.text
    assert fidelity.fidelity(html, page.text) == (57, 57)


def test_asciimath_is_math_evidence():
    # a tutorial written in AsciiMath (MathJax's AM_HTMLorMML input) has no TeX: its backtick formulas and its
    # math/asciimath scripts are its math markup; backticks in code, or on a page without AsciiMath, are not
    page = """<html><head><script src="https://cdn.example/MathJax.js?config=AM_HTMLorMML"></script></head><body>
<article><h1>Solving quadratics</h1><p>The roots of `ax^2+bx+c=0` are `x=(-b+-sqrt(b^2-4ac))/(2a)`, so for
`x^2-5x+6=0` they are 2 and 3. Use the discriminant `Delta=b^2-4ac` to tell how many there are.</p>
<pre>`not this`</pre><script type="math/asciimath">sum_(i=1)^n i = (n(n+1))/2</script></article></body></html>"""
    ex = extract(page, "https://example.org/q")
    assert ex.math_markup == markup(tex_delimiters=4, mathjax_script=1, mathjax_loaded=1)
    assert "The roots of `ax^2+bx+c=0` are `x=(-b+-sqrt(b^2-4ac))/(2a)`" in ex.text
    assert "$sum_(i=1)^n i = (n(n+1))/2$" in ex.text
    plain = page.replace("?config=AM_HTMLorMML", "").replace('<script type="math/asciimath">', "<script>")
    assert extract(plain, "https://example.org/q").math_markup == markup(mathjax_loaded=1)


def test_line_number_gutters_of_code_listings_are_dropped():
    # a Hexo blog's code listing is a table: a gutter cell of line numbers beside the code cell. The numbers are
    # no text of the page (a column "1 2 3 ... 67" per listing, which a math classifier reads as a list of
    # numbers); a cell of that class holding anything besides numbers stays
    from tests import realweb
    url = "https://sunyancn.github.io/post/55046.html"
    text = extract(realweb.raw(url), url).text
    assert "很容易可以写出代码：\n\ndef fun(n):\n    if n==2:" in text
    assert not re.search(r"(?m)^1\n2\n3\n", text)
    page = """<html><body><article><p>Code with numbered lines, and a sidebar whose class says gutter.</p>
<table><tr><td class="gutter"><pre><span class="line">1</span><br><span class="line">2</span></pre></td>
<td class="code"><pre>x = 1
y = 2</pre></td></tr></table><pre><span class="linenos">10</span>print(x)</pre>
<table><tr><td class="gutter">Notes beside the table</td><td>body text</td></tr></table></article></body></html>"""
    out = extract(page, "https://example.org/g", main_content=False).text
    assert "x = 1\ny = 2" in out and "print(x)" in out and "Notes beside the table" in out
    assert not re.search(r"\b(1\n2|10)\b", out)
