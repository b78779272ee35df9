r"""HTML decoding and math-preserving text extraction (pure Python, no Spark).

``decode_html(body, header_charset) -> (text, charset_used)``
    WHATWG order of evidence (BOM, HTTP header, ``<meta>`` prescan, then
    sniffing), but a declared charset only wins if the bytes decode strictly
    with it.  ``charset_used`` is the Python codec name (``cp1252`` for a page
    labelled ISO-8859-1, ``gb18030`` for GB2312 ...).

``extract(html, url, main_content=True) -> Extracted``
    Parses with Resiliparse, rewrites the DOM so that mathematics survives as
    LaTeX (MathJax v2 scripts, MathJax v3 containers, KaTeX, Wikipedia and
    plain MathML, TeX images), replaces every other image by
    ``IMAGE_PLACEHOLDER`` and runs ``extract_plain_text``.  Returns the text,
    the title, the images (absolute URL, alt, offset of their placeholder in
    the text) and counts of the math markup found in the page.

Choices beyond the bare spec, each deliberate:

* ``<figure>``/``<figcaption>`` are turned into ``<div>`` first: with
  ``alt_texts=False`` Resiliparse drops those elements whole (and so every
  image and caption inside them).
* Images: ``src``, else ``data-src``/``data-lazy-src``/``data-original``, else
  the first ``srcset`` entry; ``data:``/``javascript:`` sources and 0/1-pixel
  trackers are skipped; spaces in URLs become ``%20``.
* Page text that literally contains ``<|image|>`` gets it defused to
  ``<|image |>`` so that every placeholder in the output is one of ours.
* ``tex_delimiters`` counts only page text: scripts, styles, ``pre``/``code``,
  comments and attribute values (``title="\(x\)"``) are left out.
* ``url`` may come wrapped in ``<...>`` as WARC/1.0 writers store it.
* The line-number gutters of code listings (Hexo's ``td.gutter``, Pygments'
  ``linenos``, Rouge's ``rouge-gutter``, highlight.js and Prism line numbers,
  GitHub's ``blob-num``) are removed when all they hold is numbers: a column
  of 1, 2, 3 ... is not text, and beside a code block it reads as a list of
  numbers to a math classifier.

Exceptions: ``extract`` raises ``TypeError`` when ``html`` is not a ``str``
and lets ``resiliparse.parse.html.HTMLParserException`` through when lexbor
cannot build a tree at all (in practice only on allocation failure); every
other odd input (broken markup, deep nesting, lone surrogates, NUL bytes,
bogus URLs, MathML nested too deep to convert) is handled.
``decode_html`` raises ``UndecodableError`` (a ``ValueError``) for binary or
hopelessly mixed bytes and ``TypeError`` for non-bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5
from resiliparse.parse.html import DOMException, HTMLTree

from udfs.mathml import mathml_to_latex
from udfs.mathtext import mask_and_measure

__all__ = [
    "IMAGE_PLACEHOLDER",
    "MATH_MARKUP_KEYS",
    "Extracted",
    "Image",
    "UndecodableError",
    "decode_html",
    "extract",
    "has_math",
]

IMAGE_PLACEHOLDER = "<|image|>"

MATH_MARKUP_KEYS = ("tex_delimiters", "mathjax_script", "mathjax_rendered", "katex",
                    "mathml", "tex_images", "mathjax_loaded")


# ==========================================================================
# Decoding
# ==========================================================================


class UndecodableError(ValueError):
    """No candidate charset decodes the body with few enough replacements."""


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

# WHATWG decoders are supersets of the narrow Python codecs of the same label.
_SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "shift_jis": "cp932",
             "euc_kr": "cp949", "big5": "big5hkscs"}

_META_CHARSET = re.compile(
    rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:\-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([^\s;\"']+)", re.I)
# C0 controls other than TAB LF FF CR: a decoded text full of them is binary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _canonical(label: str | None) -> str | None:
    """WHATWG-map a charset label to a Python codec name (None if unknown)."""
    if not label:
        return None
    label = label.strip().strip("\"'").strip()
    if not label:
        return None
    enc = map_encoding_to_html5(label, fallback_utf8=False)
    if enc is None:
        return None
    return _SUPERSET.get(enc, enc)


def _tolerance(n_bytes: int) -> int:
    """How many U+FFFD replacements (or stray control chars) are still fine."""
    return 8 + n_bytes // 1000


_BINARY_PROBE = 8192


def _too_binary(text: str, limit: int) -> bool:
    """Binary payloads (PDF, images, misread UTF-16) are full of control characters from their first bytes on,
    so the head and tail of the text are probed rather than all of it."""
    if len(text) > 2 * _BINARY_PROBE:
        text = text[:_BINARY_PROBE] + text[-_BINARY_PROBE:]
    if _CONTROL.search(text) is None:
        return False
    return len(_CONTROL.findall(text)) > limit


def _strict(body: bytes, enc: str, limit: int) -> str | None:
    """Decode without replacements; a multi-byte char cut off by payload
    truncation at the very end is dropped rather than counted as an error."""
    try:
        text = body.decode(enc)
    except UnicodeDecodeError as e:
        if e.end >= len(body) and len(body) - e.start <= 4 and e.start > 0:
            try:
                text = body[: e.start].decode(enc)
            except UnicodeDecodeError:
                return None
        else:
            return None
    except LookupError:
        return None
    if _too_binary(text, limit):
        return None
    return text


def _lenient(body: bytes, enc: str, limit: int) -> str | None:
    try:
        text = body.decode(enc, "replace")
    except LookupError:
        return None
    if text.count("\ufffd") > limit or _too_binary(text, limit):
        return None
    return text


def _meta_charset(body: bytes) -> str | None:
    head = body[:4096]
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    if not m:
        return None
    enc = _canonical(m.group(1).decode("ascii", "ignore"))
    # a <meta> that could be read as ASCII cannot be UTF-16 (WHATWG prescan rule)
    if enc and enc.startswith("utf-16"):
        return "utf-8"
    return enc


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Return ``(text, charset_used)``.

    Order of evidence: BOM, then the HTTP header charset, then ``<meta
    charset>`` / ``<meta http-equiv=content-type>`` (or an XML declaration)
    in the first 4 KiB, then detection: strict UTF-8 first (uchardet misreads
    short UTF-8 input), then ``detect_encoding``.  Labels are
    WHATWG-mapped (``iso-8859-1``/``latin1``/``us-ascii`` -> ``cp1252``,
    ``gb2312`` -> ``gb18030``, ``shift_jis`` -> ``cp932`` ...) and
    ``charset_used`` is the Python codec name that decoded the text.

    A declared charset is used only if the bytes decode *strictly* with it
    (a multi-byte character cut off at the very end by payload truncation is
    dropped, not counted).  If no candidate decodes strictly, the candidates
    (BOM, detected, declared, UTF-8) are tried again with replacement and the
    first one with at most ``8 + len(body) // 1000`` U+FFFD is taken.  A text
    with more C0 control characters than that is taken for binary.  Raises
    :class:`UndecodableError` when nothing qualifies.

    ``header_charset`` may be a bare label (``"utf-8"``) or a whole
    Content-Type value (``"text/html; charset=utf-8"``).
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("body must be bytes")
    body = bytes(body)
    if not body:
        return "", "utf-8"
    limit = _tolerance(len(body))

    # 1. byte order mark: authoritative
    for bom, enc in _BOMS:
        if body.startswith(bom):
            text = _strict(body[len(bom):], enc, limit)
            if text is None:
                text = _lenient(body[len(bom):], enc, limit)
            if text is not None:
                return text, enc
            break

    # 2./3. declared charsets
    declared: list[str] = []
    if header_charset:
        label = header_charset
        m = _HEADER_CHARSET.search(label)
        if m:
            label = m.group(1)
        elif "/" in label:  # a Content-Type without charset
            label = ""
        enc = _canonical(label)
        if enc and enc.startswith("utf-16") and b"\x00" not in body[:64]:
            enc = None  # BOM-less 'utf-16' on a body without NULs: ASCII, mislabelled
        if enc:
            declared.append(enc)
    meta = _meta_charset(body)
    if meta and meta not in declared:
        declared.append(meta)
    for enc in declared:
        text = _strict(body, enc, limit)
        if text is not None:
            return text, enc

    # 4. detection.  Valid UTF-8 first: legacy-encoded text essentially never
    # validates as UTF-8 by accident, while uchardet can misfire on short or
    # mostly-ASCII UTF-8 input (e.g. calls "<p>\xc3\xbc</p>" ISO-8859-7).
    if "utf-8" not in declared:
        text = _strict(body, "utf-8", limit)
        if text is not None:
            return text, "utf-8"
    detected = detect_encoding(body)
    detected = _SUPERSET.get(detected, detected)
    if detected not in declared and detected != "utf-8":
        text = _strict(body, detected, limit)
        if text is not None:
            return text, detected

    # 5. nothing decodes cleanly: allow a few replacements
    tried: list[str] = []
    for enc in (detected, *declared, "utf-8"):
        if enc in tried:
            continue
        tried.append(enc)
        text = _lenient(body, enc, limit)
        if text is not None:
            return text, enc
    raise UndecodableError(
        f"{len(body)} bytes: no charset decodes with <= {limit} errors "
        f"(declared={declared or None}, detected={detected})")


# ==========================================================================
# Extraction
# ==========================================================================


@dataclass(slots=True)
class Image:
    url: str
    alt: str
    position: int


@dataclass(slots=True)
class Extracted:
    text: str
    title: str | None
    images: list[Image] = field(default_factory=list)
    math_markup: dict[str, int] = field(default_factory=dict)


def has_math(markup: dict[str, int]) -> bool:
    """True if any math markup was found; ``mathjax_loaded`` alone is not math."""
    return any(v > 0 for k, v in markup.items() if k != "mathjax_loaded")


def _mentions(low: bytes, words: tuple[bytes, ...]) -> bool:
    """Whether any of `words` occurs in `low`: one memchr-speed `in` scan per word (a regex alternation of
    words without a common first byte steps through the page byte by byte, ten times slower)."""
    return any(word in low for word in words)


def _all(node, selector: str) -> list:
    """query_selector_all as a plain list.  Iterating or indexing Resiliparse's
    ElementNodeList directly is quadratic in its length; ``values()`` is not."""
    return node.query_selector_all(selector).values()


# ---- TeX in plain text ----------------------------------------------------

# blocks whose text is not prose (TeX-like strings there are code, not math)
_SKIP_OPEN = re.compile(rb"<(?:(script|style|pre|code|textarea|template)\b|!--)")
# every pattern ends with (?![^<>]*>): a match followed by ">" before any "<"
# lies inside a tag (an alt or title attribute), not in the text
_IN_TEXT = rb"(?![^<>]*>)"
_TEX_PAREN = re.compile(rb"\\\(.{1,3000}?\\\)" + _IN_TEXT, re.S)
_TEX_BRACKET = re.compile(rb"\\\[.{1,5000}?\\\]" + _IN_TEXT, re.S)
_TEX_DOLLARS = re.compile(rb"\$\$.{1,5000}?\$\$" + _IN_TEXT, re.S)
# $x$: opening $ followed by non-space, closing $ preceded by non-space and
# not followed by a digit (so "$5 and $10" is not math); the lookbehind comes
# after the literal $ so that re can scan for it fast
_TEX_DOLLAR = re.compile(
    rb"\$(?<![\\$]\$)(?=[^\s$])[^$\n]{1,500}?(?<=[^\s\\$])\$(?![\d$])" + _IN_TEXT)
_TEX_ENV = re.compile(
    rb"\\begin\{(?:equation|align|eqnarray|gather|multline|displaymath|math)\*?\}" + _IN_TEXT)


def _prose_source(low: bytes) -> bytes:
    """The (lower-cased) HTML source without scripts, styles, code and comments.
    bytes.find for the closing tags is much faster than one lazy regex."""
    out: list[bytes] = []
    pos = 0
    n = len(low)
    while pos < n:
        m = _SKIP_OPEN.search(low, pos)
        if m is None:
            break
        out.append(low[pos:m.start()])
        if m.group(1) is None:
            end = low.find(b"-->", m.end())
            pos = n if end < 0 else end + 3
        else:
            end = low.find(b"</" + m.group(1), m.end())
            if end < 0:
                pos = n
            else:
                gt = low.find(b">", end)
                pos = n if gt < 0 else gt + 1
        out.append(b" ")
    else:
        return b"".join(out)
    out.append(low[pos:])
    return b"".join(out)


def _count_tex_delimiters(low: bytes) -> int:
    # first whether the raw source has any at all (cheap: the first match ends the search); only then are
    # they counted, on the source without scripts, code and comments
    if not _has_tex(low):
        return 0
    return _count_tex(_prose_source(low))


def _has_tex(text: bytes) -> bool:
    """Whether `_count_tex(text)` is above 0. When no `$$..$$` matches, `_count_tex` counts `$..$` in the text
    as it is, so one search per pattern decides it; `$..$`, the costly one on pages of jQuery, goes last."""
    return any(pattern.search(text) is not None
               for pattern in (_TEX_PAREN, _TEX_BRACKET, _TEX_ENV, _TEX_DOLLARS, _TEX_DOLLAR))


def _count_tex(text: bytes) -> int:
    # no `in` pre-checks: each findall scans for its literal prefix just as fast
    n = len(_TEX_PAREN.findall(text)) + len(_TEX_BRACKET.findall(text)) \
        + len(_TEX_ENV.findall(text))
    found = _TEX_DOLLARS.findall(text)
    if found:
        n += len(found)
        text = _TEX_DOLLARS.sub(b" ", text)
    return n + len(_TEX_DOLLAR.findall(text))


# MathJax's AsciiMath input configured (v2 `AM_*` configurations, `asciimath2jax`, v3 `input/asciimath`, the
# ASCIIMathML script): on such a page `...` in the text is a formula, written in AsciiMath
_ASCIIMATH_INPUT = (b"asciimath2jax", b"am_htmlormml", b"am_chtml", b"am_svg", b"input/asciimath", b"asciimathml.js")
_ASCIIMATH_SPAN = re.compile(rb"`[^`<>\n]{1,500}`" + _IN_TEXT)


# what, right around an occurrence of "mathjax"/"katex", shows the library is
# loaded or configured (a <script src> / <link href> is checked separately)
_LOADER_CONTEXT = re.compile(
    rb"text/x-mathjax-config|mathjax\.hub\.config|window\.mathjax\s*=|\bmathjax\s*=\s*\{"
    rb"|katex\.render|katex\.min\.js|katex\.js|katex(?:\.min)?\.css|mathjax\.js|mathjax@")


def _mathjax_loaded(low: bytes) -> int:
    """1 if a MathJax/KaTeX script, stylesheet or configuration is on the page."""
    if b"rendermathinelement" in low:
        return 1
    for key in (b"mathjax", b"katex"):
        i = low.find(key)
        seen = 0
        while i >= 0 and seen < 200:
            seen += 1
            lt = low.rfind(b"<", max(0, i - 1500), i)
            if lt >= 0 and low.startswith((b"<script", b"<link"), lt) \
                    and low.find(b">", lt, i) < 0:
                return 1  # inside the <script ...> / <link ...> tag itself
            if _LOADER_CONTEXT.search(low, max(0, i - 24), i + 40):
                return 1
            i = low.find(key, i + len(key))
    return 0


# ---- TeX cleaning -----------------------------------------------------------

_DISPLAYSTYLE = re.compile(r"^\{\\displaystyle\s*(.*)\}$", re.S)
_CDATA = re.compile(r"^\s*%?\s*<!\[CDATA\[|%?\s*\]\]>\s*$")


def _clean_tex(tex: str) -> str:
    tex = tex.strip()
    m = _DISPLAYSTYLE.match(tex)
    if m:
        tex = m.group(1).strip()
    return tex


def _strip_delims(tex: str) -> tuple[str, bool | None]:
    """Remove math delimiters around tex; returns (tex, display or None)."""
    t = tex.strip()
    if len(t) > 4 and t.startswith("$$") and t.endswith("$$"):
        return t[2:-2].strip(), True
    if len(t) > 4 and t.startswith("\\[") and t.endswith("\\]"):
        return t[2:-2].strip(), True
    if len(t) > 4 and t.startswith("\\(") and t.endswith("\\)"):
        return t[2:-2].strip(), False
    if len(t) > 2 and t.startswith("$") and t.endswith("$"):
        return t[1:-1].strip(), False
    return t, None


def _wrap(tex: str, display: bool) -> str:
    return ("$$" + tex + "$$") if display else ("$" + tex + "$")


def _math_element_tex(math) -> str:
    """LaTeX for a <math> element: alttext, TeX annotation, or conversion."""
    alt = math.getattr("alttext")
    if alt and alt.strip():
        return _clean_tex(alt)
    for ann in _all(math, "annotation"):
        enc = (ann.getattr("encoding") or "").strip().lower()
        if enc in ("application/x-tex", "tex", "latex", "application/x-latex", "text/x-tex"):
            tex = ann.text
            if tex and tex.strip():
                return _clean_tex(tex)
    return mathml_to_latex(math)


def _is_display_math(math) -> bool:
    return (math.getattr("display") or "").strip().lower() == "block" or \
        (math.getattr("mode") or "").strip().lower() == "display"


# ---- images ---------------------------------------------------------------

_TEX_IMG_CLASS_PARTS = frozenset(("math", "latex", "tex", "equation", "formula", "mathtex"))
_CLASS_SPLIT = re.compile(r"[\s_\-]+")
# renderers whose images are TeX for sure
_TEX_SRC_STRONG = re.compile(
    r"latex\.php|codecogs|mimetex|mathtex|wp\.com/latex|quicklatex|/_images/math/"
    r"|/media/math/render/|cht=tx|/latexrender/|\.latex\?|/tex2img|latex2png|/cgi-bin/.*tex", re.I)
_TEX_SRC_WEAK = re.compile(r"/math/|/tex/|/latex/|/equations?/|/formulas?/", re.I)
_TEXISH = re.compile(r"\\[A-Za-z]+|[\^_{}=<>]|\\[,;!|]|[+\-*/]\s*[A-Za-z0-9(]")
_FILENAME = re.compile(r"^(?:\S+\.(?:png|gif|jpe?g|svg|webp|bmp)|https?://\S+)$", re.I)
_PROSE = re.compile(r"(?:\b[A-Za-z]{3,}\b\W+){4,}")
_BAD_SRC = ("data:", "javascript:", "about:", "blob:", "#")


def _tex_from_src(src: str) -> str | None:
    """The TeX that latex.php / codecogs / mimetex-style renderers take in the URL."""
    try:
        parts = urlsplit(src)
    except ValueError:
        return None
    q = parts.query
    if not q:
        return None
    if "latex=" in q or "chl=" in q:
        qs = parse_qs(q)
        for key in ("latex", "chl"):
            if key in qs and qs[key][0].strip():
                return qs[key][0].strip()
        return None
    low = src.lower()
    if "codecogs" in low or "mimetex" in low or "mathtex" in low or ".latex?" in low:
        tex = unquote(q).strip()
        tex = re.sub(r"^(?:\\(?:dpi|bg|fg)\{[^}]*\}|\\(?:large|small|huge|normalsize|bg_\w+)\s*)+",
                     "", tex).strip()
        return tex or None
    return None


def _img_tex(img, src: str, low_html_has_mathdiv: bool) -> tuple[str, bool] | None:
    """If img is a TeX image return (tex, display), else None."""
    cls = img.getattr("class") or ""
    by_class = bool(cls) and not _TEX_IMG_CLASS_PARTS.isdisjoint(_CLASS_SPLIT.split(cls.lower()))
    strong = by_class or bool(_TEX_SRC_STRONG.search(src))
    weak = not strong and bool(_TEX_SRC_WEAK.search(src))
    in_math_div = False
    if not (strong or weak) and low_html_has_mathdiv:
        in_math_div = img.closest("div.math") is not None
        strong = in_math_div
    if not (strong or weak):
        return None
    alt = (img.getattr("alt") or "").strip()
    tex, display = _strip_delims(_clean_tex(alt)) if alt else ("", None)
    tex = _clean_tex(tex)
    ok = bool(tex) and not _FILENAME.match(tex) and len(tex) <= 5000
    if ok:
        texish = bool(_TEXISH.search(tex))
        if not texish and _PROSE.search(tex):
            ok = False  # an English description, not TeX
        elif weak and not texish and len(tex.replace(" ", "")) > 3:
            ok = False
    if not ok:
        from_src = _tex_from_src(src) if strong else None
        if not from_src:
            return None
        tex, display = _strip_delims(from_src)
    if display is None:
        display = "display" in cls.lower() or in_math_div or (
            low_html_has_mathdiv and img.closest("div.math") is not None)
    return tex, bool(display)


def _usable_src(img) -> str | None:
    """src, else a lazy-loading attribute, else the first srcset candidate."""
    for attr in ("src", "data-src", "data-lazy-src", "data-original", "srcset", "data-srcset"):
        v = img.getattr(attr)
        if v:
            v = v.strip()
            if attr.endswith("srcset"):
                v = v.split(",", 1)[0].strip().split(" ", 1)[0]
            if v and not v[:12].lower().startswith(_BAD_SRC):
                return v
    return None


def _is_pixel(img) -> bool:
    for attr in ("width", "height"):
        v = (img.getattr(attr) or "").strip().lower().removesuffix("px")
        if v in ("0", "1"):
            return True
    return False


def _resolve(base: str, src: str) -> str | None:
    if src.startswith(("https://", "http://")) and "/./" not in src and "/../" not in src:
        url = src  # already absolute: skip the (slow) urljoin
    else:
        try:
            url = urljoin(base, src)
        except ValueError:
            return None
    if not url.lower().startswith(("http://", "https://", "ftp://")):
        return None
    return url.replace(" ", "%20")


# ---- the DOM rewriting ---------------------------------------------------

_MJ2_RENDERED = (".MathJax, .MathJax_Display, .MathJax_Preview, .MathJax_SVG, "
                 ".MathJax_SVG_Display, .MathJax_CHTML, .MathJax_CHTML_Display, "
                 ".MathJax_MathML, .MathJax_PHTML, .MathJax_MathContainer, "
                 ".MJX_Assistive_MathML, #MathJax_Message, #MathJax_Hidden, #MathJax_Font_Test")
_MJ2_FRAMES = ".MathJax, .MathJax_SVG, .MathJax_CHTML, .MathJax_MathML, .MathJax_PHTML"
# every MathJax v2 output (HTML-CSS, SVG, CHTML, NativeMML, PreviewHTML) gives its
# frame an id "MathJax-Element-N-Frame" and a class MathJax*; previews may exist
# before rendering
_MJ2_HINTS = (b"mathjax-element-", b'class="mathjax', b"mathjax_preview")
_MARKER_RE = re.compile("\ue000(\\d+)\ue001")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")


def _replace(tree: HTMLTree, node, text: str) -> None:
    node.replace_with(tree.create_text_node(text))


def _rewrite_mathjax3(tree, doc, counts) -> None:
    for c in _all(doc, "mjx-container"):
        counts["mathjax_rendered"] += 1
        tex = c.getattr("data-latex") or ""
        if not tex.strip():
            math = c.query_selector("mjx-assistive-mml math") or c.query_selector("math")
            tex = _math_element_tex(math) if math is not None else ""
        disp = (c.getattr("display") or "").lower() in ("true", "block")
        if tex.strip():
            _replace(tree, c, _wrap(_clean_tex(tex), disp))
        else:
            c.remove()  # CHTML glyphs live in CSS; nothing readable inside


def _rewrite_mathjax2(tree, doc, counts, low: bytes) -> None:
    scripts = _all(doc, 'script[type^="math/"]') \
        if (b"math/tex" in low or b"math/mml" in low or b"math/asciimath" in low) else ()
    n = 0
    for s in scripts:
        typ = (s.getattr("type") or "").lower()
        body = s.text or ""
        if typ.startswith("math/tex"):
            tex = _CDATA.sub("", body).strip()
        elif typ.startswith("math/mml"):
            tex = mathml_to_latex(body)
        elif typ.startswith("math/asciimath"):
            tex = _CDATA.sub("", body).strip()   # AsciiMath as written: not TeX, but the formula
        else:
            continue
        n += 1
        if tex:
            _replace(tree, s, _wrap(tex, "mode=display" in typ))
    counts["mathjax_script"] += n
    if not any(k in low for k in _MJ2_HINTS):
        return
    frames = _all(doc, _MJ2_FRAMES)
    frames = [f for f in frames if f.tag != "mjx-container"]
    counts["mathjax_rendered"] += len(frames)
    if n:
        # the TeX came from the scripts: the rendering is a duplicate
        for el in _all(doc, _MJ2_RENDERED):
            if el.tag != "mjx-container":
                el.remove()
    else:
        # rendered output without its source: use the assistive MathML if any
        for f in frames:
            math = f.query_selector("math")
            if math is not None:
                tex = _math_element_tex(math)
                if tex:
                    disp = _is_display_math(math) or f.closest(".MathJax_Display") is not None
                    _replace(tree, f, _wrap(tex, disp))
        for el in _all(doc, ".MathJax_Preview, #MathJax_Message"):
            el.remove()


# zero-width and invisible characters KaTeX's HTML output places around its glyphs
_KATEX_GLYPHS = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _rewrite_katex(tree, doc, counts) -> None:
    for k in _all(doc, "span.katex, .katex-error"):
        if k.class_list.contains("katex-error"):
            tex = k.text or ""
        else:
            counts["katex"] += 1
            ann = k.query_selector('annotation[encoding="application/x-tex"]')
            tex = ann.text if ann is not None else ""
            if not (tex or "").strip():
                math = k.query_selector("math")
                tex = _math_element_tex(math) if math is not None else ""
        disp = k.closest(".katex-display") is not None
        if tex and tex.strip():
            _replace(tree, k, _wrap(_clean_tex(tex), disp))
            continue
        for m in _all(k, ".katex-mathml"):
            m.remove()
        # rendered as HTML only (KaTeX's `output: "html"`): no TeX to recover, but the glyphs the reader sees
        # are the formula, and kept as a formula they are the math evidence they are
        shown = _KATEX_GLYPHS.sub("", k.text or "")
        shown = " ".join(shown.split())
        if shown and not k.class_list.contains("katex-error"):
            _replace(tree, k, _wrap(shown, disp))


def _rewrite_wikipedia(tree, doc, counts) -> None:
    for el in _all(doc, ".mwe-math-element"):
        math = el.query_selector("math")
        tex = ""
        disp = el.query_selector(".mwe-math-mathml-display, .mwe-math-fallback-image-display") \
            is not None
        if math is not None:
            counts["mathml"] += 1
            tex = _math_element_tex(math)
            disp = disp or _is_display_math(math)
        if not tex:
            img = el.query_selector("img")
            alt = img.getattr("alt") if img is not None else None
            if alt and alt.strip():
                counts["tex_images"] += 1
                tex, d = _strip_delims(_clean_tex(alt))
                tex = _clean_tex(tex)
                disp = disp or bool(d)
        if tex:
            parent = el.parent
            # Wikipedia sets display formulas as the only thing in a <dd>
            if not disp and parent is not None and parent.tag == "dd" and \
                    parent.child_element_count == 1:
                disp = True
            _replace(tree, el, _wrap(tex, disp))


def _rewrite_mathml(tree, doc, counts) -> None:
    for math in _all(doc, "math"):
        counts["mathml"] += 1
        tex = _math_element_tex(math)
        if tex:
            _replace(tree, math, _wrap(tex, _is_display_math(math)))


def _rewrite_images(tree, doc, counts, url: str, low: bytes) -> list[tuple[str, str]]:
    imgs = _all(doc, "img")
    if not imgs:
        return []
    base = url
    if b"<base" in low:
        b = doc.query_selector("base[href]")
        if b is not None:
            href = (b.getattr("href") or "").strip()
            if href:
                try:
                    base = urljoin(url, href)
                except ValueError:
                    pass
    has_mathdiv = b'class="math' in low
    found: list[tuple[str, str]] = []
    for img in imgs:
        src = _usable_src(img)
        if src is None:
            continue
        tex = _img_tex(img, src, has_mathdiv)
        if tex is not None:
            counts["tex_images"] += 1
            _replace(tree, img, _wrap(*tex))
            continue
        if _is_pixel(img):
            continue
        abs_url = _resolve(base, src)
        if abs_url is None:
            continue
        alt = " ".join((img.getattr("alt") or "").split())
        _replace(tree, img, f" \ue000{len(found)}\ue001 ")
        found.append((abs_url, alt))
    return found


def _unwrap_figures(tree, doc) -> None:
    """Turn <figure>/<figcaption> into <div>: with ``alt_texts=False``
    Resiliparse skips both elements whole, which would drop the images and
    captions inside them."""
    for el in _all(doc, "figure, figcaption"):
        div = tree.create_element("div")
        for attr in ("class", "id"):
            v = el.getattr(attr)
            if v:
                div.setattr(attr, v)
        kids = el.child_nodes.values()
        if kids:
            div.append(*kids)
        el.replace_with(div)


# class names of code listings' line-number columns; removed only when their text is numbers alone
_GUTTER_GATE = (b"gutter", b"lineno", b"line-numbers", b"hljs-ln", b"blob-num")
_GUTTERS = ("td.gutter, td.linenos, span.linenos, span.lineno, td.rouge-gutter, pre.lineno, .hljs-ln-numbers, "
            ".line-numbers-rows, td.blob-num, .code-line-numbers")
_NUMBERS_ONLY = re.compile(r"[\d\s]*")


def _drop_line_numbers(doc) -> None:
    """Remove code listings' line-number gutters whose text is numbers and white space only."""
    for el in _all(doc, _GUTTERS):
        if _NUMBERS_ONLY.fullmatch(el.text or ""):
            el.remove()


def _plain_text(tree: HTMLTree, main_content: bool) -> str:
    return extract_plain_text(tree, main_content=main_content, preserve_formatting=True, alt_texts=False,
                              links=False, list_bullets=True, noscript=False)


def _parse(html: str) -> HTMLTree:
    try:
        return HTMLTree.parse(html)
    except UnicodeEncodeError:  # lone surrogates
        return HTMLTree.parse(html.encode("utf-8", "replace").decode("utf-8"))


def extract(html: str, url: str, *, main_content: bool = True, main_content_math_share: float = 0.9) -> Extracted:
    """Extract text with math kept as LaTeX and images as placeholders.

    See the module docstring for what raises.  ``math_markup`` holds counts
    of the markup found in the whole page (before main-content selection):

    * ``tex_delimiters``: ``\\(..\\)``, ``\\[..\\]``, ``$$..$$``, ``$..$``
      pairs and ``\\begin{equation|align|...}`` in the page text (scripts,
      styles, ``pre``/``code`` and comments excluded), and on a page that
      configures MathJax's AsciiMath input its `` `..` `` formulas;
    * ``mathjax_script``: ``<script type="math/tex...">`` (and ``math/mml``,
      ``math/asciimath``, whose AsciiMath is kept as the formula);
    * ``mathjax_rendered``: MathJax v2 frames (``.MathJax``, ``.MathJax_SVG``,
      ``.MathJax_CHTML`` ...) and v3 ``mjx-container`` elements;
    * ``katex``: ``span.katex`` elements;
    * ``mathml``: ``<math>`` elements outside KaTeX/MathJax output;
    * ``tex_images``: images replaced by their TeX;
    * ``mathjax_loaded``: 1 if a MathJax/KaTeX script or config is present.
    """
    if not isinstance(html, str):
        raise TypeError(f"html must be str, not {type(html).__name__}")
    url = (url or "").strip().strip("<>")  # WARC/1.0 writers put URIs in <>
    counts = dict.fromkeys(MATH_MARKUP_KEYS, 0)
    # bytes.lower() is ASCII-only and ~15x faster than str.lower() on non-ASCII
    # pages; every marker looked for below is ASCII
    low = html.encode("utf-8", "surrogatepass").lower()
    tree = _parse(html)
    doc = tree.document

    title = None
    try:
        t = tree.title
        title = " ".join(t.split()) or None if t else None
    except (DOMException, AttributeError):
        title = None

    # cheap substring gates (each `in` is one memchr-speed scan) so that the
    # DOM is only queried for markup the page can contain
    any_math = b"math" in low  # also part of "mathjax", "<math", "math/tex", "mwe-math"
    mathjax = any_math and b"mathjax" in low
    katex = b"katex" in low
    images: list[tuple[str, str]] = []
    if doc is not None:
        try:
            if any_math:
                if b"<mjx-" in low:
                    _rewrite_mathjax3(tree, doc, counts)
                if mathjax or b"math/tex" in low or b"math/mml" in low:
                    _rewrite_mathjax2(tree, doc, counts, low)
                if b"mwe-math-element" in low:
                    _rewrite_wikipedia(tree, doc, counts)
            if katex:
                _rewrite_katex(tree, doc, counts)
            if any_math and b"<math" in low:  # after KaTeX/MathJax, which contain <math>
                _rewrite_mathml(tree, doc, counts)
            if b"<fig" in low:
                _unwrap_figures(tree, doc)
            if _mentions(low, _GUTTER_GATE):
                _drop_line_numbers(doc)
            if b"<img" in low:
                images = _rewrite_images(tree, doc, counts, url, low)
        except (DOMException, RecursionError):
            pass  # keep whatever was rewritten so far

    counts["tex_delimiters"] = _count_tex_delimiters(low)
    if _mentions(low, _ASCIIMATH_INPUT):
        counts["tex_delimiters"] += len(_ASCIIMATH_SPAN.findall(_prose_source(low)))
    if mathjax or katex:
        counts["mathjax_loaded"] = _mathjax_loaded(low)

    text = _plain_text(tree, main_content)
    if main_content and has_math(counts):
        # the main-content heuristics sometimes take a bibliography for the article, or drop lists that hold
        # the definitions; when what they keep holds less than `main_content_math_share` of the mathematics
        # of the page's whole text, the whole text is kept instead
        whole = _plain_text(tree, False)
        if mask_and_measure(text)[1] < main_content_math_share * mask_and_measure(whole)[1]:
            text = whole
    if IMAGE_PLACEHOLDER in text:  # literal token in the page: defuse it
        text = text.replace(IMAGE_PLACEHOLDER, "<|image |>")
    text = _BLANK_LINES.sub("\n\n", text).strip()

    out_images: list[Image] = []
    if images:
        pieces: list[str] = []
        pos = 0
        length = 0
        used = set()
        for m in _MARKER_RE.finditer(text):
            idx = int(m.group(1))
            chunk = text[pos:m.start()]
            pieces.append(chunk)
            length += len(chunk)
            if idx < len(images) and idx not in used:
                used.add(idx)
                u, a = images[idx]
                out_images.append(Image(url=u, alt=a, position=length))
                pieces.append(IMAGE_PLACEHOLDER)
                length += len(IMAGE_PLACEHOLDER)
            pos = m.end()
        pieces.append(text[pos:])
        text = "".join(pieces)
    return Extracted(text=text, title=title, images=out_images, math_markup=counts)
