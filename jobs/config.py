"""Configuration: `conf/defaults.toml`, then a profile, then `--set key=value` overrides.

Every key a profile or an override names must exist in the defaults, with a value of the same type; the one
exception is the free-form `[spark.conf]` table, passed to Spark as it is. Any problem raises `ConfigError`
with one line naming the key or path, before anything is read or written.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import typing
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:   # Python 3.10 (the Ubuntu 22.04 of the Spark images): the same parser, packaged
    import tomli as tomllib

# The repository's conf/; an installed copy (a container image, the main.py of `make package`) points
# WEBMATH_CONF at its own.
CONF_DIR = Path(os.environ.get("WEBMATH_CONF") or Path(__file__).resolve().parent.parent / "conf")
DEFAULTS = CONF_DIR / "defaults.toml"
# The folder that holds conf/ (the repository, a `make package` folder, /opt/webmath in the image). Relative
# paths in defaults.toml name files shipped there and are taken relative to it; paths a profile or `--set`
# gives stay relative to the working directory.
BASE_DIR = CONF_DIR.parent
SHIPPED_PATHS = ("classifier.model_dir", "classifier.positive", "classifier.negative", "math_recall.labelled",
                 "math_precision.labelled")
FREE_FORM = {("spark", "conf")}
# Tables whose entries a profile or `--set` may add to: a new entry starts from this template and is then
# checked key by key like any other table.
REGISTRIES = {("decontaminate", "benchmarks"): {"file": "", "question": [], "answer": [], "id": "", "enabled": True}}


class ConfigError(ValueError):
    """A configuration problem; its message is one line naming the key or file."""


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


_TYPE_NAMES = {bool: ("a boolean", "booleans"), int: ("an integer", "integers"), float: ("a number", "numbers"),
               str: ("a string", "strings"), list: ("a list", "lists"), dict: ("a table", "tables")}


def _type_name(value: Any, plural: bool = False) -> str:
    names = _TYPE_NAMES.get(type(value), (type(value).__name__, type(value).__name__ + "s"))
    return names[plural]


def _check_value(key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool) or isinstance(value, bool):
        if not (isinstance(default, bool) and isinstance(value, bool)):
            raise ConfigError(f"config key '{key}' must be {_type_name(default)}, got {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if type(value) is not type(default):
        raise ConfigError(f"config key '{key}' must be {_type_name(default)}, got {value!r}")
    if isinstance(default, list) and default:
        item_type = type(default[0])
        for item in value:
            if type(item) is not item_type:
                raise ConfigError(f"config key '{key}' must be a list of {_type_name(default[0], plural=True)}, got {value!r}")
    return value


def _merge(base: dict, override: dict, prefix: tuple[str, ...] = ()) -> None:
    for name, value in override.items():
        path = prefix + (name,)
        key = ".".join(path)
        if prefix in FREE_FORM:
            base[name] = value
            continue
        if name not in base and prefix in REGISTRIES:
            base[name] = copy.deepcopy(REGISTRIES[prefix])
        if name not in base:
            raise ConfigError(f"unknown config key '{key}'")
        if isinstance(base[name], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{key}' is a table, got {value!r}")
            _merge(base[name], value, path)
        else:
            base[name] = _check_value(key, base[name], value)


def parse_override(text: str) -> tuple[list[str], Any]:
    """`section.key=value`: the value is read as TOML (numbers, booleans, lists, quoted strings), else as a string."""
    if "=" not in text:
        raise ConfigError(f"--set needs key=value, got '{text}'")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"--set needs key=value, got '{text}'")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if raw.strip()[:1] in ("'", '"', "["):
            raise ConfigError(f"--set {key}: {raw} is not a valid TOML value") from None
        value = raw
    path = key.split(".")
    # spark.conf keys contain dots themselves: "spark.conf.spark.executor.memory=8g".
    if path[:2] == ["spark", "conf"] and len(path) > 2:
        path = ["spark", "conf", ".".join(path[2:])]
        value = raw if not isinstance(value, str) else value
    return path, value


def _anchor_shipped_paths(cfg: dict) -> None:
    def anchor(path: str) -> str:
        return str(BASE_DIR / path) if path else path

    for key in SHIPPED_PATHS:
        section, name = key.split(".")
        value = cfg[section][name]
        cfg[section][name] = [anchor(p) for p in value] if isinstance(value, list) else anchor(value)
    for entry in cfg["decontaminate"]["benchmarks"].values():
        entry["file"] = anchor(entry["file"])


def load(profile: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    cfg = _load_toml(DEFAULTS)
    _anchor_shipped_paths(cfg)
    if profile:
        _merge(cfg, _load_toml(Path(profile)))
    for text in overrides:
        path, value = parse_override(text)
        nested: dict = {}
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        _merge(cfg, nested)
    _validate(cfg)
    return cfg


def _validate(cfg: dict) -> None:
    """Range checks that a type check cannot make."""
    def fail(key: str, rule: str) -> None:
        raise ConfigError(f"config key '{key}' must be {rule}, got {get(cfg, key)!r}")

    for key in ("extract.max_html_bytes", "extract.max_record_bytes", "extract.batch_rows",
                "spark.shuffle_partitions", "language.max_chars", "quality.max_chars", "classifier.max_chars",
                "classifier.dim", "classifier.epoch", "classifier.bucket", "sample.buckets", "sample.per_domain",
                "sample.max_chars", "expand.max_chars", "report.bins", "report.samples", "report.excerpt_chars",
                "language.cjk_weight", "language.close_ratio", "evaluate.base_rate", "math_recall.min_markup",
                "math_precision.min_markup", "run.lease_seconds"):
        if get(cfg, key) <= 0:
            fail(key, "> 0")
    for key in ("extract.min_text_chars", "language.min_prose_chars", "quality.min_words", "quality.min_words_with_math",
                "evaluate.listed",
                "quality.max_nsfw_words", "quality.max_unicode_errors", "expand.min_pages", "run.progress_seconds",
                "run.lease_wait_seconds"):
        if get(cfg, key) < 0:
            fail(key, ">= 0")
    for key in ("language.min_score", "math_recall.threshold_with_markup", "math_recall.threshold_without_markup",
                "math_precision.threshold_with_markup", "math_precision.threshold_without_markup",
                "classifier.threshold", "expand.min_share", "quality.max_symbol_ratio",
                "quality.max_special_char_ratio", "quality.max_char_repetition_ratio",
                "quality.max_word_repetition_ratio", "quality.max_dup_line_fraction",
                "quality.max_dup_paragraph_fraction", "quality.max_ellipsis_line_fraction",
                "quality.max_bullet_line_fraction", "language.close_ratio", "evaluate.base_rate",
                "extract.main_content_math_share"):
        if not 0.0 <= get(cfg, key) <= 1.0:
            fail(key, "between 0 and 1")
    if not 0.0 < get(cfg, "classifier.holdout") < 1.0:
        fail("classifier.holdout", "between 0 and 1 (exclusive)")
    for low, high in (("quality.min_words", "quality.max_words"), ("quality.min_words_with_math", "quality.min_words"),
                      ("language.min_prose_chars", "language.confident_prose_chars"),
                      ("quality.min_mean_word_length", "quality.max_mean_word_length")):
        if get(cfg, low) > get(cfg, high):
            raise ConfigError(f"config key '{low}' ({get(cfg, low)!r}) must not exceed '{high}' ({get(cfg, high)!r})")
    for label, into in get(cfg, "language.fold").items():
        if not isinstance(into, str) or not into:
            raise ConfigError(f"config key 'language.fold.{label}' must be a language code, got {into!r}")
    for key in ("extract.html_types", "extract.keep_status", "language.keep"):
        if not get(cfg, key):
            fail(key, "a non-empty list")
    if any(t != t.lower() for t in get(cfg, "extract.html_types")):
        fail("extract.html_types", "lower-case MIME types")
    if not get(cfg, "run.warehouse").strip():
        fail("run.warehouse", "a folder or URL")
    for key in ("quality.nsfw_words_file", "quality.blocklist_file"):
        path = CONF_DIR / get(cfg, key)
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config key '{key}': cannot read {path}: {exc}") from None
    if get(cfg, "maintain.vacuum_retention_hours") < 168:
        fail("maintain.vacuum_retention_hours", ">= 168 (Delta's safe retention: 7 days)")
    _validate_s3(cfg, fail)
    _validate_dedup(cfg, fail)
    _validate_decontaminate(cfg, fail)
    _validate_export(cfg, fail)


def _validate_s3(cfg: dict, fail) -> None:
    endpoint = get(cfg, "s3.endpoint")
    if "://" in endpoint or "/" in endpoint or endpoint != endpoint.strip():
        fail("s3.endpoint", "host[:port] without a scheme or path (s3.ssl chooses https or http)")
    if get(cfg, "s3.credentials") not in ("default", "environment", "anonymous"):
        fail("s3.credentials", "'default', 'environment' or 'anonymous'")
    for key in ("s3.connect_timeout", "s3.read_timeout", "s3.max_attempts"):
        if get(cfg, key) <= 0:
            fail(key, "> 0")
    if any(not isinstance(p, str) or p.count(":") != 2 for p in get(cfg, "spark.packages")):
        fail("spark.packages", "a list of Maven coordinates group:artifact:version")


def _validate_dedup(cfg: dict, fail) -> None:
    for key in ("dedup.ngram", "dedup.bands", "dedup.rows", "dedup.max_chars", "dedup.max_iterations"):
        if get(cfg, key) <= 0:
            fail(key, "> 0")
    if get(cfg, "dedup.driver_edges") < 0:
        fail("dedup.driver_edges", ">= 0")
    if not 0 <= get(cfg, "dedup.seed") < 2 ** 63:
        fail("dedup.seed", "between 0 and 2^63 - 1")
    if not 0.0 <= get(cfg, "dedup.exact_margin") <= 1.0:
        fail("dedup.exact_margin", "between 0 and 1")
    for key in ("dedup.threshold", "dedup.min_estimated_jaccard"):
        if not 0.0 < get(cfg, key) <= 1.0:
            fail(key, "above 0 and at most 1")
    if any(not p for p in get(cfg, "dedup.tracking_params")):
        fail("dedup.tracking_params", "a list of query parameter names")


def _validate_decontaminate(cfg: dict, fail) -> None:
    if get(cfg, "decontaminate.policy") not in ("drop", "cut"):
        fail("decontaminate.policy", "'drop' or 'cut'")
    for key in ("decontaminate.ngram", "decontaminate.min_word_chars", "decontaminate.min_matches",
                "decontaminate.max_cuts"):
        if get(cfg, key) <= 0:
            fail(key, "> 0")
    for key in ("decontaminate.min_exact_tokens", "decontaminate.min_word_tokens", "decontaminate.context_chars",
                "decontaminate.min_chars_left"):
        if get(cfg, key) < 0:
            fail(key, ">= 0")
    for key in ("decontaminate.min_exact_tokens", "decontaminate.min_word_tokens"):
        if get(cfg, key) > get(cfg, "decontaminate.ngram"):
            raise ConfigError(f"config key '{key}' ({get(cfg, key)!r}) must not exceed 'decontaminate.ngram' "
                              f"({get(cfg, 'decontaminate.ngram')!r})")
    registry = get(cfg, "decontaminate.benchmarks")
    for name, entry in registry.items():
        prefix = f"decontaminate.benchmarks.{name}"
        if not isinstance(entry, dict):
            raise ConfigError(f"config key '{prefix}' must be a table (file, question, answer, id, enabled)")
        if not entry["enabled"]:
            continue
        for field in ("question", "answer"):
            if any(not isinstance(f, str) or not f for f in entry[field]):
                fail(f"{prefix}.{field}", "a list of field names")
        if not entry["question"]:
            fail(f"{prefix}.question", "a non-empty list of field names")
        if not entry["file"]:
            fail(f"{prefix}.file", "a JSONL file")
    if not any(entry["enabled"] for entry in registry.values()):
        raise ConfigError("config key 'decontaminate.benchmarks' has no enabled benchmark")


def _validate_export(cfg: dict, fail) -> None:
    if get(cfg, "export.shards") <= 0:
        fail("export.shards", "> 0")
    formats = get(cfg, "export.formats")
    if not formats or any(f not in ("parquet", "jsonl") for f in formats):
        fail("export.formats", "a non-empty list of 'parquet' and 'jsonl'")
    if get(cfg, "export.jsonl_compression") not in ("zst", "gz"):
        fail("export.jsonl_compression", "'zst' or 'gz'")
    if any(not isinstance(c, str) or not c for c in get(cfg, "export.columns")):
        fail("export.columns", "a list of column names")
    if get(cfg, "export.chars_per_token") <= 0:
        fail("export.chars_per_token", "> 0")


def get(cfg: dict, key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def section_options(cfg: dict, section: str, cls: type, **extra: Any) -> Any:
    """The options dataclass `cls` of a stage, built from the configuration section `section`: every field takes
    the key of its name, or the value given in `extra` (what is not a key of the section, or what the caller
    makes of one). A list becomes a tuple and a table its sorted (key, value) pairs where the field is a tuple.
    The section's other keys are the caller's to use. A field with neither a key nor a value in `extra` is a
    ConfigError naming the key it needs, unless the class gives it a default (what is not a setting).
    """
    values = get(cfg, section)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(extra) - set(fields))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field '{unknown[0]}'")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        if name in extra:
            kwargs[name] = extra[name]
        elif name in values:
            kwargs[name] = _as_field(values[name], hints[name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config key '{section}.{name}' not found ({cls.__name__}.{name} has no other value)")
    return cls(**kwargs)


def _as_field(value: Any, hint: Any) -> Any:
    """A configuration value in the shape a field of type `hint` holds: lists as tuples, tables as sorted
    (key, value) tuples, where the field is a tuple."""
    if typing.get_origin(hint) is tuple:
        if isinstance(value, list):
            return tuple(value)
        if isinstance(value, dict):
            return tuple(sorted(value.items()))
    return value


def dump(cfg: dict) -> str:
    return json.dumps(cfg, indent=2, sort_keys=True, default=str)
