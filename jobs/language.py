"""`webmath language`: documents -> `language` (lang, lang_score), en and zh kept by default."""
from __future__ import annotations


from jobs.filtering import FilterStage
from udfs import language


def options(cfg: dict) -> language.LanguageOptions:
    c = cfg["language"]
    return language.LanguageOptions(keep=tuple(c["keep"]), min_score=c["min_score"], max_chars=c["max_chars"],
                                    min_prose_chars=c["min_prose_chars"])


def _scorer(spark, cfg: dict):
    opts = options(cfg)
    return lambda frame: language.score_frame(frame["text"], opts)


STAGE = FilterStage(name="language", inputs=("text",), scorer=_scorer)
