"""`webmath quality`: the rule-based, math-aware quality filters -> `quality`."""
from __future__ import annotations

from jobs.config import CONF_DIR
from jobs.filtering import FilterStage
from udfs import quality


def options(cfg: dict) -> quality.QualityOptions:
    c = dict(cfg["quality"])
    nsfw = quality.load_word_list(CONF_DIR / c.pop("nsfw_words_file"))
    blocklist = quality.load_word_list(CONF_DIR / c.pop("blocklist_file"))
    return quality.QualityOptions(**c, nsfw_words=nsfw, blocklist=blocklist)


def _scorer(spark, cfg: dict):
    opts = options(cfg)
    return lambda frame: quality.score_frame(frame, opts)


STAGE = FilterStage(name="quality", inputs=("text", "url_host"), scorer=_scorer)
