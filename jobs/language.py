"""`webmath language`: documents -> `language` (lang, lang_score), en and zh kept by default; a page with too
little prose to judge gets lang "und" and is kept."""
from __future__ import annotations

from jobs.config import section_options
from jobs.filtering import FilterStage
from udfs import language


def options(cfg: dict) -> language.LanguageOptions:
    return section_options(cfg, "language", language.LanguageOptions)


def _scorer(spark, cfg: dict):
    opts = options(cfg)
    return lambda frame: language.score_frame(frame["text"], opts)


STAGE = FilterStage(name="language", inputs=("text",), scorer=_scorer)
