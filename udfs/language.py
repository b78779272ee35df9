"""Language identification of extracted text, with the mathematics masked first.

The model is py3langid's (97 languages, Chinese included), which ships inside the package: nothing is
downloaded at run time. It is loaded once per Python worker, on first use. py3langid walks its byte automaton
in a Python loop; here the walk is compiled (`udfs.kernels.automaton_counts`) and the rest of py3langid's
scoring is its own, so the languages and scores are py3langid's, bit for bit (a test compares them).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
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

    from udfs import kernels

    class CompiledWalk(LanguageIdentifier):
        """py3langid's identifier whose raw scores come from the compiled automaton walk. Its naive Bayes step is
        py3langid's: log(1 + count) of each feature, in the order the walk first met it, times the feature's
        row of the model (float16, widened once to float32 as NumPy widens it for the product)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._moves = np.asarray(self.tk_nextmove)     # an array.array in py3langid 0.4: viewed, not copied
            self._row_base = np.asarray(self._rowbase, dtype=np.int64)
            self._output = np.asarray(self.tk_output, dtype=np.int64)
            self._counts = np.zeros(len(self.nb_ptc), dtype=np.int64)
            self._order = np.zeros(len(self.nb_ptc), dtype=np.int64)
            self._ptc = self.nb_ptc.astype(np.float32)

        def set_languages(self, langs=None):
            super().set_languages(langs)
            self._ptc = self.nb_ptc.astype(np.float32)

        def _raw_score(self, text):
            found = kernels.automaton_counts(self._moves, self._row_base, self._output,
                                             np.frombuffer(text, dtype=np.uint8), self._counts, self._order)
            if not found:
                return super()._raw_score(b"")
            features = self._order[:found].copy()
            counts = self._counts[features].astype(np.float32)
            self._counts[features] = 0
            return np.log1p(counts) @ self._ptc[features] + self.nb_pc

    return CompiledWalk.from_model_file(MODEL_FILE, norm_probs=True)


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
