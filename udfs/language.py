"""Language identification of the prose of extracted text, judged only on enough evidence.

The model is py3langid's (142 labels, Chinese included), which ships inside the package: nothing is downloaded
at run time. It is loaded once per Python worker, on first use. py3langid walks its byte automaton in a Python
loop; here the walk is compiled (`udfs.kernels.automaton_counts`) and the rest of py3langid's scoring is its
own, so its languages and scores are py3langid's, bit for bit (a test compares them).

What is judged is the prose: the math is masked (`udfs.mathtext.mask_math`), then code-like lines and
identifier tokens (snake_case, camelCase, dotted.names, tokens with digits or code punctuation) are left out.
The prose evidence is what remains of natural language: the letters of its words of two letters or more, each
CJK character (Han, kana, hangul) counting as `cjk_weight` letters. Then:

- with less evidence than `min_prose_chars` the language is undetermined: lang "und", no score, and the page
  is kept (too little prose is no evidence of another language; the math classifiers judge the page later);
- model labels named in `fold` count as the language they fold into (written Wu and Cantonese are Chinese:
  their probabilities are added to zh's), as py3langid itself folds a language's script variants;
- a kept language with probability >= `min_score` keeps the page;
- below `confident_prose_chars` of evidence a low top score (< `min_score`) does not reject when a kept
  language is close: its probability at least `close_ratio` times the top one's. The row then carries that
  kept language and its own probability, so such pages are counted as kept rows with lang_score < min_score;
- anything else is rejected: `language_not_kept` (the top language, with its probability >= `min_score` or
  no kept language close to it) or `language_score_low` (a kept top language below `min_score` on long prose).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from udfs.mathtext import mask_math

UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageOptions:
    """The `[language]` keys of the same names (jobs.config.section_options)."""
    keep: tuple[str, ...]
    min_score: float
    max_chars: int
    min_prose_chars: float                 # prose evidence needed to judge the language at all
    confident_prose_chars: float           # below this much evidence a close kept language is not rejected
    cjk_weight: float                      # letters of evidence one CJK character counts as
    close_ratio: float
    fold: tuple[tuple[str, str], ...]      # (model label, language it counts as), sorted


# --- the prose and its evidence ---------------------------------------------------------------------------

_CJK_RANGES = "\u1100-\u11ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_RANGES}]")
# A token: a run of characters between white space, CJK characters and CJK (full-width) punctuation. CJK text
# has no spaces: its characters are never part of a token, so "2019年" loses its number, not its 年.
# Split with the tokens kept: [between, token, between, ..., between].
_TOKEN_SPLIT = re.compile(f"([^\\s{_CJK_RANGES}\u3000-\u303f\uff00-\uffef]+)")
_EDGE = "\"'“”‘’«»()[]{}<>,.;:!?…*"          # stripped from both ends of a token before it is judged
# identifier or code: a digit or underscore, camelCase, a dotted.name, code punctuation inside the token
_IDENTIFIER = re.compile(r"[\d_]|[a-z][A-Z]|\w\.\w|[()\[\]{}<>=;:/\\@#$%^&*+|~`]")
_CODE_SIGN = re.compile(r"[()\[\]{}<>=;]")


def _judge(token: str) -> tuple[bool, int]:
    """(whether the token is left out as an identifier or code, the letters of evidence it brings: 0 when it is
    not a word of two letters or more)."""
    core = token.strip(_EDGE)
    if core.isalpha() and (core.islower() or core.isupper() or core[1:].islower()):   # a plain word
        return False, len(core) if len(core) > 1 else 0
    if not core or _IDENTIFIER.search(core):
        return True, 0
    alpha = sum(unicodedata.category(ch)[0] in "LM" for ch in core)   # the vowel signs of Hindi count
    return False, alpha if alpha > 1 else 0


# each distinct token judged once per Python worker (a page repeats its words; so do the pages of a batch)
_JUDGED: dict[str, tuple[bool, int]] = {}
_JUDGED_MAX = 500_000


def _judged(token: str) -> tuple[bool, int]:
    found = _JUDGED.get(token)
    if found is None:
        if len(_JUDGED) >= _JUDGED_MAX:
            _JUDGED.clear()
        found = _JUDGED[token] = _judge(token)
    return found


def prose(text: str, cjk_weight: float) -> tuple[str, float]:
    """(`text` without its code-like lines and identifier tokens, its prose evidence). A line is code-like
    when it has no CJK character and at least as many of ( ) [ ] { } < > = ; as words."""
    lines, letters, cjk = [], 0, 0
    for line in text.split("\n"):
        parts = _TOKEN_SPLIT.split(line)
        words = line_letters = 0
        dropped = False
        for i in range(1, len(parts), 2):
            left_out, evidence = _JUDGED.get(parts[i]) or _judged(parts[i])
            if left_out:
                parts[i] = " "
                dropped = True
            elif evidence:
                words += 1
                line_letters += evidence
        line_cjk = 0 if line.isascii() else len(_CJK.findall(line))
        if not line_cjk and len(_CODE_SIGN.findall(line)) >= max(words, 1):
            continue
        lines.append("".join(parts) if dropped else line)
        letters += line_letters
        cjk += line_cjk
    return "\n".join(lines), letters + cjk_weight * cjk


# --- the model ---------------------------------------------------------------------------------------------

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


class Identification(NamedTuple):
    lang: str | None                      # the most probable language (labels folded), "und", None: no text
    score: float | None                   # its probability; None for "und" and for no text
    evidence: float                       # the prose evidence judged on
    probs: dict[str, float] | None = None  # every language's probability (labels folded), when judged


def identify(text: str | None, opts: LanguageOptions) -> Identification:
    """The language of the prose of `text` (its head of `max_chars`), or "und" on too little evidence."""
    if not isinstance(text, str) or not text.strip():   # null arrives as None or NaN
        return Identification(None, None, 0.0)
    judged, evidence = prose(mask_math(text[:opts.max_chars]), opts.cjk_weight)
    if evidence < opts.min_prose_chars:
        return Identification(UNDETERMINED, None, evidence)
    fold = dict(opts.fold)
    probs: dict[str, float] = {}
    for lang, p in _identifier().rank(judged):
        lang = fold.get(lang, lang)
        probs[lang] = probs.get(lang, 0.0) + p
    lang = max(probs, key=probs.__getitem__)
    return Identification(lang, min(probs[lang], 1.0), evidence, probs)


def decide(found: Identification, opts: LanguageOptions) -> tuple[str | None, float | None, bool, str | None,
                                                                 str | None]:
    """(lang, lang_score, keep, reason, failing value) of an identification."""
    lang, score = found.lang, found.score
    if lang is None:
        return None, None, False, "no_text", None
    if lang == UNDETERMINED:
        return lang, None, True, None, None
    if score >= opts.min_score:
        if lang in opts.keep:
            return lang, score, True, None, None
        return lang, score, False, "language_not_kept", lang
    if found.evidence < opts.confident_prose_chars and found.probs:
        kept = max(opts.keep, key=lambda k: found.probs.get(k, 0.0))
        kept_score = min(found.probs.get(kept, 0.0), 1.0)
        if kept_score >= opts.close_ratio * score:
            return kept, kept_score, True, None, None
    if lang in opts.keep:
        return lang, score, False, "language_score_low", f"{score:.4f}"
    return lang, score, False, "language_not_kept", lang


def score_frame(texts: pd.Series, opts: LanguageOptions) -> pd.DataFrame:
    """Signals and decision for a batch of texts: columns lang, lang_score, keep, reason, value."""
    rows = [decide(identify(text, opts), opts) for text in texts]
    return pd.DataFrame(rows, columns=["lang", "lang_score", "keep", "reason", "value"])
