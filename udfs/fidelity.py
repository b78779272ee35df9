r"""Formula fidelity: how much of the TeX a page's raw HTML carries in machine-readable form reaches the
extracted text (pure Python, no Spark).

The TeX of a page, read from its raw HTML independently of the extractor:

* MathJax v2 scripts (`<script type="math/tex">`, `math/tex; mode=display`);
* TeX annotations of MathML (`<annotation encoding="application/x-tex">`, as KaTeX and MathJax write them);
* MathML `alttext` (as Wikipedia writes it);
* the alt text of TeX images (latex.php, codecogs, mimetex, wp.com/latex, QuickLaTeX, Wikipedia's and
  Sphinx's math images);
* `\(..\)`, `\[..\]` and `$$..$$` in the page text (scripts, styles, code and comments left out).

A TeX string is present when its normal form (no whitespace, no braces, no `\displaystyle`, no outer
delimiters) is a substring of the text's normal form.
"""
from __future__ import annotations

import re

from resiliparse.parse.html import HTMLTree

_SPACE_BRACES = re.compile(r"[\s{}]+")
_STYLE = re.compile(r"\\(?:displaystyle|textstyle)(?![a-zA-Z])")
_CDATA = re.compile(r"^\s*%?\s*<!\[CDATA\[|%?\s*\]\]>\s*$")
_DELIMITED = re.compile(r"\\\((.{1,3000}?)\\\)|\\\[(.{1,5000}?)\\\]|\$\$(.{1,5000}?)\$\$", re.S)
_TEX_IMAGE_SRC = re.compile(r"latex\.php|codecogs|mimetex|mathtex|wp\.com/latex|quicklatex|/media/math/render/"
                            r"|/_images/math/|cht=tx|\.latex\?", re.I)
_TEX_IMAGE_CLASS = re.compile(r"(?:^|[\s_-])(?:math|latex|tex|mwe-math-fallback-image-(?:inline|display))"
                              r"(?:$|[\s_-])", re.I)
_NOT_TEXT = "script, style, pre, code, textarea, template, noscript"


def _flat(text: str) -> str:
    return _SPACE_BRACES.sub("", _STYLE.sub("", text))


def normal(tex: str) -> str:
    """The form TeX is compared in: no whitespace, braces, `\\displaystyle`/`\\textstyle` or outer `$`."""
    tex = _flat(tex)
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if len(tex) > len(left) + len(right) and tex.startswith(left) and tex.endswith(right):
            return tex[len(left):-len(right)]
    return tex


def tex_strings(html: str) -> list[str]:
    """The distinct TeX strings (in normal form, non-empty) the raw HTML carries in machine-readable form."""
    if not html:
        return []
    low = html.lower()
    tree = HTMLTree.parse(html)
    doc = tree.document
    if doc is None:
        return []
    found: list[str] = []
    if "math/tex" in low:
        for script in doc.query_selector_all('script[type^="math/tex"]'):
            found.append(_CDATA.sub("", script.text or ""))
    if "<annotation" in low:
        for ann in doc.query_selector_all("annotation"):
            if (ann.getattr("encoding") or "").strip().lower() in ("application/x-tex", "text/x-tex", "tex",
                                                                   "latex", "application/x-latex"):
                found.append(ann.text or "")
    if "alttext" in low:
        for element in doc.query_selector_all("math[alttext]"):
            found.append(element.getattr("alttext") or "")
    if "<img" in low:
        for img in doc.query_selector_all("img[alt]"):
            src = img.getattr("src") or ""
            if _TEX_IMAGE_SRC.search(src) or _TEX_IMAGE_CLASS.search(img.getattr("class") or ""):
                found.append(img.getattr("alt") or "")
    if "\\(" in html or "\\[" in html or "$$" in html:
        for element in doc.query_selector_all(_NOT_TEXT):
            element.remove()
        body = tree.body if tree.body is not None else doc
        for match in _DELIMITED.finditer(body.text or ""):
            found.append(next(g for g in match.groups() if g is not None))
    out, seen = [], set()
    for tex in found:
        key = normal(tex)
        if key and key not in seen:
            seen.add(key)
            out.append(key)
    return out


def fidelity(html: str, text: str | None) -> tuple[int, int]:
    """(TeX strings in the raw HTML, how many of them the extracted `text` holds)."""
    strings = tex_strings(html)
    if not strings:
        return 0, 0
    haystack = _flat(text or "")
    return len(strings), sum(1 for tex in strings if tex in haystack)
