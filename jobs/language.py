"""`webmath language`: documents -> `language` (lang, lang_score), en and zh kept by default; a page with too
little prose to judge gets lang "und" and is kept."""
from __future__ import annotations


from jobs.filtering import FilterStage
from udfs import language


def options(cfg: dict) -> language.LanguageOptions:
    c = cfg["language"]
    return language.LanguageOptions(keep=tuple(c["keep"]), min_score=c["min_score"], max_chars=c["max_chars"],
                                    min_prose_chars=c["min_prose_chars"],
                                    confident_prose_chars=c["confident_prose_chars"], cjk_weight=c["cjk_weight"],
                                    close_ratio=c["close_ratio"], fold=tuple(sorted(c["fold"].items())))


def _scorer(spark, cfg: dict):
    opts = options(cfg)
    return lambda frame: language.score_frame(frame["text"], opts)


STAGE = FilterStage(name="language", inputs=("text",), scorer=_scorer)
