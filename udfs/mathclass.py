"""The fastText math classifier: one text normalisation for training and scoring, training, evaluation, and a
model loaded once per Python worker.

`normalize` is the only way text reaches the model, in `train` and in `score` alike, so what was learned is
what is scored.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

LABEL_MATH = "__label__math"
LABEL_OTHER = "__label__other"

_IMAGE = re.compile(re.escape("<|image|>"))
# TeX and punctuation become tokens of their own: "\frac{a}{b}" -> "\frac { a } { b }"
_SPLIT = re.compile(r"(\\[a-zA-Z]+|[{}$^_=+\-*/<>()\[\],.;:!?|&%#~])")
_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def normalize(text: str | None, max_chars: int = 10000) -> str:
    """Lower case, TeX commands and symbols split off as tokens, every digit as 0, one line."""
    if not isinstance(text, str):
        return ""
    text = _IMAGE.sub(" ", text[:max_chars]).lower()
    # a space on both sides of every split-off piece: the pieces of re.split with a capturing group joined by
    # spaces (the same string as `_SPLIT.sub(r" \1 ", text)`, without a template expanded per match)
    text = " ".join(_SPLIT.split(text))
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class TrainOptions:
    """The `[classifier]` keys of the same names (jobs.config.section_options)."""
    dim: int
    lr: float
    word_ngrams: int
    min_count: int
    epoch: int
    bucket: int
    seed: int
    max_chars: int


def write_training_file(pairs, path: str | Path, max_chars: int) -> int:
    """(text, is_math) pairs -> fastText's `__label__x text` lines; returns how many were written."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for text, is_math in pairs:
            norm = normalize(text, max_chars)
            if norm:
                fh.write(f"{LABEL_MATH if is_math else LABEL_OTHER} {norm}\n")
                n += 1
    return n


def train(train_file: str | Path, opts: TrainOptions):
    import fasttext

    # one thread: fastText is deterministic for a given seed only when single-threaded
    return fasttext.train_supervised(input=str(train_file), dim=opts.dim, lr=opts.lr, wordNgrams=opts.word_ngrams,
                                     minCount=opts.min_count, epoch=opts.epoch, bucket=opts.bucket, seed=opts.seed,
                                     thread=1,
                                     verbose=0)


def model_version(path: str | Path) -> str:
    """Content hash of the model file: the version recorded on every scored row."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return Path(path).stem + "-" + digest.hexdigest()[:12]


def math_probability(model, texts: list[str], max_chars: int) -> np.ndarray:
    """P(math) for each text (0.0 for empty text)."""
    norms = [normalize(t, max_chars) for t in texts]
    out = np.zeros(len(norms))
    idx = [i for i, n in enumerate(norms) if n]
    if idx:
        labels, probs = model.predict([norms[i] for i in idx], k=2)
        for i, labs, ps in zip(idx, labels, probs):
            out[i] = dict(zip(labs, ps)).get(LABEL_MATH, 0.0)
    return np.clip(out, 0.0, 1.0)


def evaluate(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """Precision, recall and F1 at `threshold`, the PR curve and ROC AUC."""
    labels = labels.astype(bool)
    pred = scores >= threshold
    tp = int(np.sum(pred & labels))
    fp = int(np.sum(pred & ~labels))
    fn = int(np.sum(~pred & labels))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    curve = []
    for t in np.round(np.arange(0.05, 1.0, 0.05), 2):
        p = scores >= t
        tp_t, fp_t = int(np.sum(p & labels)), int(np.sum(p & ~labels))
        curve.append({"threshold": float(t), "precision": tp_t / (tp_t + fp_t) if tp_t + fp_t else 1.0,
                      "recall": tp_t / max(int(labels.sum()), 1)})
    # ROC AUC as the probability that a random positive outscores a random negative (ties count half)
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    auc = ((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)) if n_pos and n_neg else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1, "auc": float(auc),
            "tp": tp, "fp": fp, "fn": fn, "n": int(len(labels)), "pr_curve": curve}


@lru_cache(maxsize=4)
def load(path: str):
    """The model at `path`, loaded once per Python worker."""
    import fasttext

    return fasttext.load_model(path)
