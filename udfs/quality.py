"""Rule-based quality signals and the decision on them, aware of mathematics.

Signals are computed on the prose: math spans are masked first (udfs.mathtext), so LaTeX never counts as
symbols, special characters or short words, and a formula's words count towards the page's length. The input
lines of interactive sessions in examples (`>>>`, `sage:`, `gap>`, `In [1]:`) are code, not prose: they are
left out of the prose measures, and as they repeat their set-up by design, their repeats are not duplicate
lines. C4's "no `{`" rule is deliberately
absent. Every signal is stored
on the row; the decision names the first rule that failed.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from udfs.mathtext import mask_and_measure

_WORD = re.compile(r"\w+", re.UNICODE)
_MATH_TOKEN = " mathspan "
_PUNCT = re.compile(r"[.,;:!?。，；：！？]")
_SPECIAL = re.compile(r"[^\w\s.,;:!?'\"()\[\]\-–—/%&+=<>*#@$€£¥。，；：！？、（）「」『』《》·•…]", re.UNICODE)
_BULLET = re.compile(r"^\s*(?:[•●◦▪‣∙·*\-–]|\d{1,3}[.)])\s")
_SESSION_INPUT = re.compile(r"^[ \t]*(?:>>>|\.\.\.[ \t]|sage:|gap>|In \[\d+\]:)", re.MULTILINE)
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]|â€[\u0080-\u00bf™œ“”˜]")


@dataclass(frozen=True)
class QualityOptions:
    min_words: int = 50
    max_words: int = 100_000
    min_mean_word_length: float = 3.0
    max_mean_word_length: float = 10.0
    max_symbol_ratio: float = 0.1
    max_special_char_ratio: float = 0.25
    min_punctuation_ratio: float = 0.01
    max_char_repetition_ratio: float = 0.35
    max_word_repetition_ratio: float = 0.5
    max_dup_line_fraction: float = 0.35
    max_dup_paragraph_fraction: float = 0.3
    max_ellipsis_line_fraction: float = 0.3
    max_bullet_line_fraction: float = 0.9
    max_nsfw_words: int = 3
    max_unicode_errors: int = 20
    max_chars: int = 100_000
    nsfw_words: frozenset = field(default_factory=frozenset)
    blocklist: frozenset = field(default_factory=frozenset)


SIGNALS = ["word_count", "mean_word_length", "symbol_ratio", "special_char_ratio", "punctuation_ratio",
           "char_repetition_ratio", "word_repetition_ratio", "dup_line_fraction", "dup_paragraph_fraction",
           "ellipsis_line_fraction", "bullet_line_fraction", "nsfw_word_count", "unicode_error_count",
           "math_char_fraction", "blocklisted"]


def load_word_list(path: str | Path) -> frozenset:
    """One entry per line, `#` comments; lower-cased."""
    entries = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            entries.add(line)
    return frozenset(entries)


def is_blocklisted(host: str | None, blocklist: frozenset) -> bool:
    """True if `host` or any parent domain of it is on the list."""
    if not host or not blocklist:
        return False
    parts = host.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts)))


def char_repetition_ratio(text: str, n: int = 10) -> float:
    """Share of character n-grams taken by the sqrt(#distinct) most frequent ones (BigScience ROOTS)."""
    grams = Counter(text[i:i + n] for i in range(len(text) - n + 1))
    if not grams:
        return 0.0
    top = int(len(grams) ** 0.5)
    counts = sorted(grams.values(), reverse=True)
    return sum(counts[:top]) / sum(counts)


def word_repetition_ratio(words: list[str], n: int = 5) -> float:
    """Share of word n-grams that repeat an earlier one (each repeated n-gram's first occurrence is not
    counted), after BigScience ROOTS."""
    grams = Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    if not total:
        return 0.0
    return sum(c - 1 for c in grams.values()) / total


def _repeated_share(counts: Counter, exempt=lambda item: False) -> float:
    """Share of the characters taken by repeats of a line or paragraph (its first occurrence not counted),
    after Gopher's duplicate-line and duplicate-paragraph character fractions. `exempt` items count in the
    total but never as repeats."""
    total = sum(len(item) * c for item, c in counts.items())
    if not total:
        return 0.0
    return sum(len(item) * (c - 1) for item, c in counts.items() if not exempt(item)) / total


def signals(text: str | None, host: str | None, opts: QualityOptions) -> dict:
    text = (text or "")[:opts.max_chars]
    prose, math_chars, math_words = mask_and_measure(
        "\n".join(line for line in text.split("\n") if not _SESSION_INPUT.match(line)), _MATH_TOKEN)
    words = _WORD.findall(prose)
    tokens = [w for w in words if w != "mathspan"]
    prose_words = [w for w in tokens if not w.isdigit()]   # numbers are not words of the language
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    line_counts = Counter(lines)
    para_counts = Counter(paragraphs)
    non_space = sum(1 for ch in prose if not ch.isspace()) or 1
    lower_words = [w.lower() for w in prose_words]
    return {
        "word_count": len(tokens) + math_words,
        "mean_word_length": (sum(map(len, prose_words)) / len(prose_words)) if prose_words else 0.0,
        "symbol_ratio": (prose.count("#") + prose.count("...") + prose.count("…")) / max(len(words), 1),
        "special_char_ratio": len(_SPECIAL.findall(prose)) / non_space,
        "punctuation_ratio": len(_PUNCT.findall(prose)) / max(len(prose_words), 1),
        "char_repetition_ratio": char_repetition_ratio(prose),
        "word_repetition_ratio": word_repetition_ratio(lower_words),
        "dup_line_fraction": _repeated_share(line_counts, _SESSION_INPUT.match),
        "dup_paragraph_fraction": _repeated_share(para_counts),
        "ellipsis_line_fraction": (sum(1 for l in lines if l.endswith(("...", "…"))) / len(lines)) if lines else 0.0,
        "bullet_line_fraction": (sum(1 for l in lines if _BULLET.match(l)) / len(lines)) if lines else 0.0,
        "nsfw_word_count": sum(1 for w in lower_words if w in opts.nsfw_words),
        "unicode_error_count": len(_MOJIBAKE.findall(text)),
        "math_char_fraction": math_chars / len(text) if text else 0.0,
        "blocklisted": is_blocklisted(host, opts.blocklist),
    }


def decide(sig: dict, opts: QualityOptions) -> tuple[bool, str | None, str | None]:
    """(keep, reason, failing value): the first rule that fails, in a fixed order."""
    rules = [
        (sig["blocklisted"], "blocklisted_domain", None),
        (sig["word_count"] < opts.min_words, "too_few_words", sig["word_count"]),
        (sig["word_count"] > opts.max_words, "too_many_words", sig["word_count"]),
        (sig["mean_word_length"] < opts.min_mean_word_length, "mean_word_length_low", sig["mean_word_length"]),
        (sig["mean_word_length"] > opts.max_mean_word_length, "mean_word_length_high", sig["mean_word_length"]),
        (sig["symbol_ratio"] > opts.max_symbol_ratio, "symbol_ratio_high", sig["symbol_ratio"]),
        (sig["special_char_ratio"] > opts.max_special_char_ratio, "special_char_ratio_high", sig["special_char_ratio"]),
        (sig["punctuation_ratio"] < opts.min_punctuation_ratio, "punctuation_ratio_low", sig["punctuation_ratio"]),
        (sig["dup_line_fraction"] > opts.max_dup_line_fraction, "duplicate_lines_high", sig["dup_line_fraction"]),
        (sig["dup_paragraph_fraction"] > opts.max_dup_paragraph_fraction, "duplicate_paragraphs_high",
         sig["dup_paragraph_fraction"]),
        (sig["char_repetition_ratio"] > opts.max_char_repetition_ratio, "char_repetition_high",
         sig["char_repetition_ratio"]),
        (sig["word_repetition_ratio"] > opts.max_word_repetition_ratio, "word_repetition_high",
         sig["word_repetition_ratio"]),
        (sig["ellipsis_line_fraction"] > opts.max_ellipsis_line_fraction, "ellipsis_lines_high",
         sig["ellipsis_line_fraction"]),
        (sig["bullet_line_fraction"] > opts.max_bullet_line_fraction, "bullet_lines_high", sig["bullet_line_fraction"]),
        (sig["nsfw_word_count"] > opts.max_nsfw_words, "nsfw_words", sig["nsfw_word_count"]),
        (sig["unicode_error_count"] > opts.max_unicode_errors, "unicode_errors", sig["unicode_error_count"]),
    ]
    for failed, reason, value in rules:
        if failed:
            return False, reason, None if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
    return True, None, None


def score_frame(frame: pd.DataFrame, opts: QualityOptions) -> pd.DataFrame:
    """Signals and decision for a batch (columns text, url_host): SIGNALS + keep, reason, value."""
    rows = []
    for text, host in zip(frame["text"], frame["url_host"]):
        sig = signals(text, host, opts)
        keep, reason, value = decide(sig, opts)
        rows.append({**sig, "keep": keep, "reason": reason, "value": value})
    return pd.DataFrame(rows, columns=SIGNALS + ["keep", "reason", "value"])
