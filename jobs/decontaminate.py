"""`webmath decontaminate`: the last stage: documents that contain benchmark test items -> the final `corpus`.

The benchmark registry (`decontaminate.benchmarks`) is read and indexed once on the driver and broadcast to the
executors. With the `drop` policy a document that contains a test item goes to `rejected`
(`benchmark_contamination`, the value naming benchmark, item and matched n-gram); with `cut` the matches are
cut out of `text` (image placeholders moved along) and recorded in the `contamination` column, and the
document is dropped only when it was cut too often or too little is left.
"""
from __future__ import annotations

from pathlib import Path

from jobs.config import ConfigError, section_options
from jobs.filtering import FilterStage
from udfs import decontam


def benchmarks(cfg: dict) -> list[decontam.Benchmark]:
    """The enabled entries of the registry; a missing file is a configuration error."""
    out = []
    for name, entry in cfg["decontaminate"]["benchmarks"].items():
        if not entry["enabled"]:
            continue
        if not Path(entry["file"]).is_file():
            raise ConfigError(f"config key 'decontaminate.benchmarks.{name}.file': benchmark file not found: "
                              f"{entry['file']}")
        out.append(decontam.Benchmark(name=name, file=entry["file"], question=tuple(entry["question"]),
                                      answer=tuple(entry["answer"]), id=entry["id"]))
    return out


def load_texts(cfg: dict) -> list[decontam.Text]:
    texts = []
    for bench in benchmarks(cfg):
        try:
            texts += decontam.load_benchmark(bench)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"benchmark '{bench.name}': {exc}") from None
    return texts


def index_options(cfg: dict) -> decontam.IndexOptions:
    return section_options(cfg, "decontaminate", decontam.IndexOptions)


def options(cfg: dict) -> decontam.DecontamOptions:
    return section_options(cfg, "decontaminate", decontam.DecontamOptions)


_INDEXES: dict[tuple, decontam.Index] = {}


def build_index(cfg: dict) -> decontam.Index:
    """The index of the enabled benchmarks, built once per driver process for the same files and options."""
    key = (tuple((b, Path(b.file).stat().st_mtime_ns, Path(b.file).stat().st_size) for b in benchmarks(cfg)),
           index_options(cfg))
    if key not in _INDEXES:
        if len(_INDEXES) >= 2:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = decontam.build_index(load_texts(cfg), index_options(cfg))
    return _INDEXES[key]


def _scorer(spark, cfg: dict):
    index = spark.sparkContext.broadcast(build_index(cfg))
    opts = options(cfg)
    return lambda frame: decontam.score_frame(frame, index.value, opts)


STAGE = FilterStage(name="decontaminate", inputs=("text", "images"), scorer=_scorer, replaces=("text", "images"),
                    kept_counters=(("cut", "size(contamination) > 0"),))
