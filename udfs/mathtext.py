"""Finding the mathematics in extracted text, so later stages can judge the prose around it.

Language identification and the quality rules must not read LaTeX as a foreign language or as "symbols":
`mask_math` replaces every math span (`$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]`, `\\begin{env}..\\end{env}`) and any
stray TeX command by a neutral token.
"""
from __future__ import annotations

import re

# Longest forms first. No span crosses a blank line and each has a length cap, so a stray `\(` or a price
# like "$$" in prose cannot swallow the rest of the page. An inline `$` right after a Latin letter or digit
# ("US$5") opens no formula; after a CJK character it does (Chinese text sets formulas without spaces).
_LINE = r"(?:[^\n]|\n(?!\s*\n))"
_SPAN = re.compile(
    r"\$\$(?:[^$\n]|\$(?!\$)|\n(?!\s*\n)){1,5000}?\$\$"
    r"|\\\[" + _LINE + r"{1,5000}?\\\]"
    r"|\\\(" + _LINE + r"{1,3000}?\\\)"
    r"|\\begin\{([a-zA-Z*]+)\}" + _LINE + r"{1,10000}?\\end\{\1\}"
    r"|(?<![\\$A-Za-z0-9_])\$(?=\S)(?:[^$\n]|\n(?!\s*\n)){1,800}?(?<=\S)\$(?!\d)"
)
_COMMAND = re.compile(r"\\[a-zA-Z]+\*?(?:\{[^{}\n]{0,80}\})*")
# What a formula says, word for word: TeX commands, identifiers and numbers ("\\sin(2x+\\pi)" -> sin, 2x, pi).
_MATH_WORD = re.compile(r"\\[a-zA-Z]+|[^\W_]+")
IMAGE_TOKEN = "<|image|>"


def mask_and_measure(text: str, token: str = " ") -> tuple[str, int, int]:
    """(`text` with each math span and TeX command replaced by `token` and image placeholders removed,
    how many characters of `text` lay inside math spans, how many words they hold), in one pass over the
    spans."""
    math_chars = math_words = 0

    def masked(match: re.Match) -> str:
        nonlocal math_chars, math_words
        math_chars += match.end() - match.start()
        math_words += len(_MATH_WORD.findall(match.group(0)))
        return token

    text = _SPAN.sub(masked, text)
    text = _COMMAND.sub(token, text)
    return text.replace(IMAGE_TOKEN, " "), math_chars, math_words


def mask_math(text: str, token: str = " ") -> str:
    """`text` with each math span and TeX command replaced by `token` and image placeholders removed."""
    return mask_and_measure(text, token)[0]
