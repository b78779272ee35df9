"""`webmath train-classifier`: a fastText math classifier from labelled text, with a held-out evaluation.

    webmath train-classifier --name math_recall                       # the seed text in data/seed/
    webmath train-classifier --name math_precision --labelled labels.jsonl   # {"text": ..., "label": "math"|...}

A document whose source starts with one of `classifier.exclude_sources` is left out: for a seed file, the
`source` column of the `<name>.sources.tsv` beside it; for a labelled JSONL file, its `source` field.

Writes MODEL_DIR/<name>.bin and MODEL_DIR/<name>.eval.json (precision, recall and F1 at the configured
threshold, the PR curve, ROC AUC, the model version) and prints the evaluation. Runs on the driver; no Spark.
"""
from __future__ import annotations

import gzip
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from jobs.config import ConfigError, section_options
from udfs import mathclass


def _excluded(source: str | None, exclude: tuple[str, ...]) -> bool:
    return bool(source) and source.startswith(exclude)


def _seed_sources(path: Path) -> list[str | None]:
    """The source of each line of a seed file, from the `<name>.sources.tsv` beside it (columns line, source,
    origin); None for every line when there is no such file."""
    table = path.with_suffix(".sources.tsv")
    if not table.is_file():
        return []
    sources = {}
    with open(table, encoding="utf-8") as fh:
        next(fh)                                   # the header
        for row in fh:
            line, source = row.split("\t")[:2]
            sources[int(line)] = source
    return [sources.get(n) for n in range(1, max(sources, default=0) + 1)]


def _seed_pairs(positive: Path, negative: Path, exclude: tuple[str, ...] = ()) -> tuple[list[tuple[str, bool]], int]:
    """(text, is_math) of the seed files' lines, and how many lines were left out for their source."""
    pairs, left_out = [], 0
    for path, is_math in ((positive, True), (negative, False)):
        if not path.is_file():
            raise ConfigError(f"seed file not found: {path}")
        sources = _seed_sources(path)
        for n, line in enumerate(open(path, encoding="utf-8")):
            if not line.strip():
                continue
            if _excluded(sources[n] if n < len(sources) else None, exclude):
                left_out += 1
            else:
                pairs.append((line.rstrip("\n"), is_math))
    return pairs, left_out


def _labelled_pairs(path: Path, exclude: tuple[str, ...] = ()) -> tuple[list[tuple[str, bool]], int]:
    """(text, is_math) of a labelled JSONL(.gz) file, and how many documents were left out for their `source`."""
    if not path.is_file():
        raise ConfigError(f"labelled file not found: {path}")
    pairs, left_out = [], 0
    opener = gzip.open if path.suffix == ".gz" else open
    for n, line in enumerate(opener(path, "rt", encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, label = row["text"], row["label"]
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}:{n}: each line needs JSON with 'text' and 'label' ({exc})") from None
        if _excluded(row.get("source"), exclude):
            left_out += 1
        else:
            pairs.append((text, label in (True, 1, "math", "1", "yes")))
    return pairs, left_out


def options(cfg: dict) -> mathclass.TrainOptions:
    """fastText's settings; the section's other keys (files, holdout, threshold, exclude_sources) are read by `run`."""
    return section_options(cfg, "classifier", mathclass.TrainOptions)


def run(cfg: dict, name: str, labelled: str | None = None) -> dict:
    c = cfg["classifier"]
    exclude = tuple(c["exclude_sources"])
    if labelled:
        (pairs, left_out), source = _labelled_pairs(Path(labelled), exclude), labelled
    else:
        pairs, left_out = _seed_pairs(Path(c["positive"]), Path(c["negative"]), exclude)
        section = cfg.get(name)   # a classifier stage's section names the labelled files its model learns from
        extra = section.get("labelled", []) if isinstance(section, dict) else []
        for path in extra:
            more, dropped = _labelled_pairs(Path(path), exclude)
            pairs += more
            left_out += dropped
        source = " + ".join([c["positive"], c["negative"], *extra])
    random.Random(c["seed"]).shuffle(pairs)
    n_test = max(1, int(len(pairs) * c["holdout"]))
    test, train = pairs[:n_test], pairs[n_test:]
    opts = options(cfg)
    out_dir = Path(c["model_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        written = mathclass.write_training_file(train, train_file, opts.max_chars)
        model = mathclass.train(train_file, opts)
    model_path = out_dir / f"{name}.bin"
    model.save_model(str(model_path))
    scores = mathclass.math_probability(model, [t for t, _ in test], opts.max_chars)
    report = mathclass.evaluate(scores, np.array([m for _, m in test]), c["threshold"])
    report.update(model=str(model_path), version=mathclass.model_version(model_path), trained_on=written,
                  held_out=len(test), source=source, left_out=left_out,
                  options=opts.__dict__)
    (out_dir / f"{name}.eval.json").write_text(json.dumps(report, indent=2))
    return report


def format_report(report: dict) -> str:
    lines = [f"model {report['model']} (version {report['version']}): trained on {report['trained_on']:,} "
             f"documents, evaluated on {report['held_out']:,} held out; {report['left_out']:,} documents of "
             f"excluded sources left out",
             f"at threshold {report['threshold']}: precision {report['precision']:.4f}  recall {report['recall']:.4f}"
             f"  F1 {report['f1']:.4f}  AUC {report['auc']:.4f}",
             "PR curve: " + "  ".join(f"{p['threshold']:.2f}:{p['precision']:.3f}/{p['recall']:.3f}"
                                      for p in report["pr_curve"][::2])]
    return "\n".join(lines)
