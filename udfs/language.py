"""Language identification of extracted text, with the mathematics masked first.

The model is py3langid's (97 languages, Chinese included), which ships inside the package: nothing is
downloaded at run time. It is loaded once per Python worker, on first use.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from udfs.mathtext import mask_math


@dataclass(frozen=True)
class LanguageOptions:
    keep: tuple[str, ...] = ("en", "zh")
    min_score: float = 0.65
    max_chars: int = 20000
    min_prose_chars: int = 50


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str | None, opts: LanguageOptions) -> tuple[str | None, float | None]:
    """(language, probability) of the prose of `text`; the math is masked, and if almost nothing but math
    remains, the whole text is judged instead. (None, None) for empty text."""
    if not isinstance(text, str) or not text.strip():   # null arrives as None or NaN
        return None, None
    sample = text[:opts.max_chars]
    prose = mask_math(sample)
    if len(prose.strip()) < opts.min_prose_chars:
        prose = sample
    lang, score = _identifier().classify(prose)
    return lang, float(score)


def decide(lang: str | None, score: float | None, opts: LanguageOptions) -> tuple[bool, str | None, str | None]:
    """(keep, reason, failing value)."""
    if lang is None:
        return False, "no_text", None
    if lang not in opts.keep:
        return False, "language_not_kept", lang
    if score < opts.min_score:
        return False, "language_score_low", f"{score:.4f}"
    return True, None, None


def score_frame(texts: pd.Series, opts: LanguageOptions) -> pd.DataFrame:
    """Signals and decision for a batch of texts: columns lang, lang_score, keep, reason, value."""
    rows = []
    for text in texts:
        lang, score = identify(text, opts)
        rows.append((lang, score, *decide(lang, score, opts)))
    return pd.DataFrame(rows, columns=["lang", "lang_score", "keep", "reason", "value"])
