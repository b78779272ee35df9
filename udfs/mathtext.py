"""Finding the mathematics in extracted text, so later stages can judge the prose around it.

Language identification and the quality rules must not read LaTeX as a foreign language or as "symbols":
`mask_math` replaces every math span (`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]`, `\\begin{env}..\\end{env}`) and any
stray TeX command by a neutral token.
"""
from __future__ import annotations

import re

# Longest forms first; spans do not cross a blank line (a lone `$` in prose must not swallow a page).
_SPAN = re.compile(
    r"\$\$(?:[^$]|\$(?!\$))+?\$\$"
    r"|\\\[[\s\S]+?\\\]"
    r"|\\\([\s\S]+?\\\)"
    r"|\\begin\{([a-zA-Z*]+)\}[\s\S]+?\\end\{\1\}"
    r"|(?<![\\$\w])\$(?=\S)(?:[^$\n]|\n(?!\s*\n)){1,800}?(?<=\S)\$(?!\d)"
)
_COMMAND = re.compile(r"\\[a-zA-Z]+\*?(?:\{[^{}\n]{0,80}\})*")
IMAGE_TOKEN = "<|image|>"


def math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SPAN.finditer(text)]


def mask_math(text: str, token: str = " ") -> str:
    """`text` with each math span and TeX command replaced by `token` and image placeholders removed."""
    text = _SPAN.sub(token, text)
    text = _COMMAND.sub(token, text)
    return text.replace(IMAGE_TOKEN, " ")


def math_char_fraction(text: str) -> float:
    """Share of the characters of `text` that lie inside math spans."""
    if not text:
        return 0.0
    return sum(end - start for start, end in math_spans(text)) / len(text)
