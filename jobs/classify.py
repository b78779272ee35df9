"""The classifier stages: `math_recall` (high recall, early) and `math_precision` (stricter, late).

Both score with a fastText model of `webmath train-classifier` and keep a page when P(math) reaches the
stage's threshold, one for pages with math markup and one for pages without (OpenWebMath's rule). The model
file reaches the executors as a Spark file (added on the driver), is loaded once per Python worker, and its
version (content hash) is recorded on every scored row.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from jobs.config import ConfigError
from jobs.filtering import FilterStage
from udfs import mathclass

# The pieces of math markup counted for the low bar (TeX in the text, MathJax scripts and renderings, KaTeX,
# MathML, TeX images); a loaded MathJax alone is none.
MARKUP_KINDS = ("tex_delimiters", "mathjax_script", "mathjax_rendered", "katex", "mathml", "tex_images")


def markup_pieces(math_markup: pd.Series) -> np.ndarray:
    """How many pieces of math markup each page carries (its `math_markup` struct as dicts; null = none)."""
    return np.array([sum((m.get(k) or 0) for k in MARKUP_KINDS) if isinstance(m, dict) else 0
                     for m in math_markup], dtype=int)


def model_path(cfg: dict, name: str) -> Path:
    path = Path(cfg["classifier"]["model_dir"]) / f"{name}.bin"
    if not path.is_file():
        raise ConfigError(f"model not found: {path} (make it with: webmath train-classifier --name {name})")
    return path.resolve()


def decide(scores: np.ndarray, markup: np.ndarray, with_markup: float, without_markup: float,
           min_markup: int = 1) -> pd.DataFrame:
    """keep, reason, value for each page under the markup-dependent threshold: `with_markup` for a page with at
    least `min_markup` pieces of math markup, `without_markup` for the others."""
    keep = np.where(markup >= min_markup, scores >= with_markup, scores >= without_markup)
    return pd.DataFrame({"keep": keep, "reason": np.where(keep, None, "math_score_low"),
                         "value": [None if k else f"{s:.4f}" for k, s in zip(keep, scores)]})


def make_stage(name: str) -> FilterStage:
    """The stage `name` (math_recall or math_precision): config section, model and columns all named by it."""
    kind = name.split("_", 1)[1]

    def scorer(spark, cfg: dict):
        c = cfg[name]
        path = model_path(cfg, c["model"])
        version = mathclass.model_version(path)
        spark.sparkContext.addFile(str(path))
        file_name, max_chars = path.name, cfg["classifier"]["max_chars"]
        with_markup, without_markup = c["threshold_with_markup"], c["threshold_without_markup"]
        min_markup = c["min_markup"]

        def score(frame: pd.DataFrame) -> pd.DataFrame:
            from pyspark import SparkFiles

            model = mathclass.load(SparkFiles.get(file_name))
            scores = mathclass.math_probability(model, list(frame["text"]), max_chars)
            out = decide(scores, markup_pieces(frame["math_markup"]), with_markup, without_markup, min_markup)
            out.insert(0, f"math_model_{kind}", version)
            out.insert(0, f"math_score_{kind}", scores)
            return out

        return score

    return FilterStage(name=name, inputs=("text", "math_markup"), scorer=scorer)
