"""`webmath quality`: the rule-based, math-aware quality filters -> `quality`."""
from __future__ import annotations

from jobs.config import CONF_DIR, section_options
from jobs.filtering import FilterStage
from udfs import quality


def options(cfg: dict) -> quality.QualityOptions:
    """The thresholds by name; the word lists from the files `nsfw_words_file` and `blocklist_file` name."""
    c = cfg["quality"]
    return section_options(cfg, "quality", quality.QualityOptions,
                           nsfw_words=quality.load_word_list(CONF_DIR / c["nsfw_words_file"]),
                           blocklist=quality.load_word_list(CONF_DIR / c["blocklist_file"]))


def _scorer(spark, cfg: dict):
    opts = options(cfg)
    return lambda frame: quality.score_frame(frame, opts)


STAGE = FilterStage(name="quality", inputs=("text", "url_host"), scorer=_scorer)
