"""`webmath export --out DIR`: the `corpus` table as training shards, with a manifest.

    DIR/data/train-00000-of-00004.parquet     (Hugging Face `datasets` layout; `load_dataset(DIR)`)
    DIR/jsonl/train-00000-of-00004.jsonl.zst  (the same rows as JSON lines, Zstandard or gzip;
                                               `load_dataset(DIR + "/jsonl")`)
    DIR/manifest.json                         (counts, sizes, token estimate, run ids, model versions)
    DIR/README.md                             (dataset card: tells `load_dataset(DIR)` which files to read)

Each shard is written by the Spark task that holds it: rows go to shard `int(doc_id[:15], 16) % shards`, are
hash-partitioned by shard and sorted by doc_id within it, and stream into the shard's files batch by batch.
Shards no document fell into are written empty, so the set is always complete. Shard files of an earlier
export in DIR are removed first; nothing else in DIR is touched.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema

from jobs import storage, tables
from jobs.config import ConfigError, section_options
from udfs import shards as sh
from udfs import storage as udfs_storage

SOURCE = "corpus"


def options(cfg: dict, out: str) -> sh.ShardOptions:
    """`export.formats` without repeats; `export.columns` and `export.chars_per_token` are read by `run`."""
    return section_options(cfg, "export", sh.ShardOptions, out=out,
                           formats=tuple(dict.fromkeys(cfg["export"]["formats"])))


def _model_columns(columns: list[str]) -> list[str]:
    """The columns that name a model or a code version (math_model_recall, extractor_version, ...)."""
    return [c for c in columns if "_model" in c or c.endswith("_version")]


def _clear(out: str) -> None:
    import fsspec

    fs, root = fsspec.core.url_to_fs(out)
    for folder in sh.FOLDERS.values():
        for old in fs.glob(f"{root.rstrip('/')}/{folder}/train-*-of-*"):
            fs.rm(old)
        fs.makedirs(f"{root.rstrip('/')}/{folder}", exist_ok=True)


def _card(opts: sh.ShardOptions) -> str:
    """The dataset card: its YAML header tells `datasets.load_dataset(DIR)` which files make the dataset (the
    first format; one loader reads one format). A JSONL folder is a dataset of its own: its file names carry
    the split (`load_dataset(DIR + "/jsonl")`)."""
    first = opts.formats[0]
    pattern = f"{sh.FOLDERS[first]}/train-*"
    lines = ["---", "configs:", "- config_name: default", "  data_files:", "  - split: train",
             f"    path: {pattern}", "---", "", "# webmath corpus", "",
             "Mathematical web text exported by `webmath export` from the `corpus` table. `manifest.json` lists the "
             "shards, their sizes and rows, a token estimate, and the runs and model versions that produced them.", ""]
    for fmt in opts.formats:
        lines.append(f"- {fmt}: `{sh.FOLDERS[fmt]}/train-XXXXX-of-{opts.shards:05d}."
                     f"{'parquet' if fmt == 'parquet' else 'jsonl.' + opts.jsonl_compression}`")
    return "\n".join(lines) + "\n"


def run(spark: SparkSession, cfg: dict, out: str) -> dict:
    import fsspec

    warehouse = cfg["run"]["warehouse"]
    if not tables.exists(spark, warehouse, SOURCE):
        raise ConfigError(f"table not found: {tables.path(warehouse, SOURCE)} (run the pipeline first)")
    corpus = tables.read(spark, warehouse, SOURCE)
    columns = cfg["export"]["columns"] or corpus.columns
    unknown = [c for c in columns if c not in corpus.columns]
    if unknown:
        raise ConfigError(f"config key 'export.columns': no column {unknown[0]!r} in {SOURCE}")
    opts = options(cfg, out)
    n = opts.shards
    shard = F.pmod(F.conv(F.substring("doc_id", 1, 15), 16, 10).cast("long"), F.lit(n)).cast("int")
    data = corpus.select(shard.alias(sh.SHARD_COLUMN), *columns, F.col("doc_id").alias("_order"))
    arrow_schema = to_arrow_schema(corpus.select(*columns).schema)
    _clear(out)

    s3 = storage.options(cfg)

    def write(batches):
        udfs_storage.apply(s3)   # the task writes s3:// shards with the run's S3 settings
        return sh.write_partition((b.drop_columns(["_order"]) for b in batches), opts)

    written = (data.repartition(n, sh.SHARD_COLUMN).sortWithinPartitions(sh.SHARD_COLUMN, "_order")
               .mapInArrow(write, "shard int, format string, path string, rows long, bytes long, chars long")
               .collect())
    files = [r.asDict() for r in written]
    for missing in sorted(set(range(n)) - {f["shard"] for f in files}):
        files += sh.write_empty(missing, arrow_schema, opts)
    files.sort(key=lambda f: (f["format"], f["shard"]))

    rows = sum(f["rows"] for f in files if f["format"] == opts.formats[0])
    chars = sum(f["chars"] for f in files if f["format"] == opts.formats[0])
    runs = {r["run_id"]: r["count"] for r in corpus.groupBy("run_id").count().collect()}
    models = {}
    for column in _model_columns(corpus.columns):
        models[column] = {r[column]: r["count"] for r in corpus.groupBy(column).count().collect()
                          if r[column] is not None}
    from delta.tables import DeltaTable
    version = DeltaTable.forPath(spark, tables.path(warehouse, SOURCE)).history(1).collect()[0]["version"]
    manifest = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": {"table": tables.path(warehouse, SOURCE), "delta_version": int(version)},
        "rows": rows, "chars": chars,
        "tokens_estimate": int(round(chars / cfg["export"]["chars_per_token"])),
        "chars_per_token": cfg["export"]["chars_per_token"],
        "shards": n, "formats": list(opts.formats), "jsonl_compression": opts.jsonl_compression,
        "bytes": {fmt: sum(f["bytes"] for f in files if f["format"] == fmt) for fmt in opts.formats},
        "columns": list(columns),
        "run_ids": dict(sorted(runs.items())),
        "models": models,
        "files": [{k: f[k] for k in ("path", "format", "shard", "rows", "bytes", "chars")} for f in files],
    }
    with fsspec.open(f"{out.rstrip('/')}/manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=False, default=str)
        fh.write("\n")
    with fsspec.open(f"{out.rstrip('/')}/README.md", "w", encoding="utf-8") as fh:
        fh.write(_card(opts))
    return manifest


def format_manifest(manifest: dict, out: str) -> str:
    lines = [f"{manifest['rows']:,} documents, {manifest['chars']:,} characters (~{manifest['tokens_estimate']:,} "
             f"tokens) in {manifest['shards']} shards -> {out}"]
    for fmt, size in manifest["bytes"].items():
        lines.append(f"  {fmt:<8}{size:>14,} bytes")
    lines.append(f"  runs: {', '.join(manifest['run_ids'])}")
    for column, versions in manifest["models"].items():
        lines.append(f"  {column}: {', '.join(versions)}")
    return "\n".join(lines)
