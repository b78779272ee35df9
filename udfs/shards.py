"""Training shards: which shard a document goes to, the shard files' names, and writing a stream of Arrow
batches into Parquet and compressed JSONL shards.

The layout is the one Hugging Face `datasets` loads directly: `data/train-00000-of-00004.parquet`, and the
JSONL copies beside it in `jsonl/train-00000-of-00004.jsonl.zst`. A document's shard depends on its doc_id only
(`int(doc_id[:15], 16) % shards`; doc_id is a hex digest), so it is the same from one export to the next.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa

SHARD_COLUMN = "_shard"
FOLDERS = {"parquet": "data", "jsonl": "jsonl"}


def shard_of(doc_id: str, shards: int) -> int:
    return int(doc_id[:15], 16) % shards


def shard_path(fmt: str, shard: int, shards: int, compression: str = "zst") -> str:
    """The shard's path relative to the export folder."""
    suffix = "parquet" if fmt == "parquet" else f"jsonl.{compression}"
    return f"{FOLDERS[fmt]}/train-{shard:05d}-of-{shards:05d}.{suffix}"


@dataclass(frozen=True)
class ShardOptions:
    """The `[export]` keys of the same names (jobs.config.section_options) and the export folder."""
    out: str                      # export folder (local path or fsspec URL)
    shards: int
    formats: tuple[str, ...]
    jsonl_compression: str        # of the JSONL shards: zst or gz
    text_column: str = "text"     # whose characters are counted


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class _JsonlWriter:
    """JSON lines into a compressed stream: gzip with a fixed mtime, or Zstandard, so the same rows give the
    same bytes."""

    def __init__(self, fh, compression: str):
        if compression == "gz":
            self._stream = gzip.GzipFile(fileobj=fh, mode="wb", mtime=0)
        else:
            import zstandard
            self._stream = zstandard.ZstdCompressor(level=3).stream_writer(fh, closefd=False)

    def write(self, batch: pa.RecordBatch) -> None:
        lines = [json.dumps(row, ensure_ascii=False, default=_json_default) for row in batch.to_pylist()]
        if lines:
            self._stream.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        self._stream.close()


class ShardWriter:
    """The files of one shard, written batch by batch."""

    def __init__(self, shard: int, schema: pa.Schema, opts: ShardOptions):
        import fsspec
        import pyarrow.parquet as pq

        self.shard, self.rows, self.chars = shard, 0, 0
        self._opts = opts
        self._files, self._writers = {}, {}
        for fmt in opts.formats:
            path = f"{opts.out.rstrip('/')}/{shard_path(fmt, shard, opts.shards, opts.jsonl_compression)}"
            fh = fsspec.open(path, "wb").open()
            self._files[fmt] = (path, fh)
            self._writers[fmt] = (pq.ParquetWriter(fh, schema, compression="zstd") if fmt == "parquet"
                                  else _JsonlWriter(fh, opts.jsonl_compression))

    def write(self, batch: pa.RecordBatch) -> None:
        import pyarrow.compute as pc

        for fmt, writer in self._writers.items():
            if fmt == "parquet":
                writer.write_batch(batch)
            else:
                writer.write(batch)
        self.rows += batch.num_rows
        if self._opts.text_column in batch.schema.names:
            self.chars += int(pc.sum(pc.utf8_length(batch.column(self._opts.text_column))).as_py() or 0)

    def close(self) -> list[dict]:
        """Closes the files; one stats row per file."""
        import fsspec

        out = []
        for fmt, writer in self._writers.items():
            writer.close()
            path, fh = self._files[fmt]
            fh.close()
            fs, local = fsspec.core.url_to_fs(path)
            out.append({"shard": self.shard, "format": fmt,
                        "path": shard_path(fmt, self.shard, self._opts.shards, self._opts.jsonl_compression),
                        "rows": self.rows, "bytes": int(fs.size(local)), "chars": self.chars})
        return out


STATS = pa.schema([("shard", pa.int32()), ("format", pa.string()), ("path", pa.string()), ("rows", pa.int64()),
                   ("bytes", pa.int64()), ("chars", pa.int64())])


def write_partition(batches: Iterator[pa.RecordBatch], opts: ShardOptions) -> Iterator[pa.RecordBatch]:
    """Rows sorted by shard (and within it by doc_id), each batch carrying SHARD_COLUMN: every shard in them
    written to its files; yields one stats row per file written."""
    writer = None
    for batch in batches:
        if batch.num_rows == 0:
            continue
        shards = batch.column(SHARD_COLUMN).to_numpy(zero_copy_only=False)
        data = batch.drop_columns([SHARD_COLUMN])
        bounds = [0, *(np.flatnonzero(np.diff(shards)) + 1).tolist(), batch.num_rows]
        for start, end in zip(bounds, bounds[1:]):
            shard = int(shards[start])
            if writer is None or writer.shard != shard:
                if writer is not None:
                    yield pa.RecordBatch.from_pylist(writer.close(), schema=STATS)
                writer = ShardWriter(shard, data.schema, opts)
            writer.write(data.slice(start, end - start))
    if writer is not None:
        yield pa.RecordBatch.from_pylist(writer.close(), schema=STATS)


def write_empty(shard: int, schema: pa.Schema, opts: ShardOptions) -> list[dict]:
    """The files of a shard no document fell into (so the set of shards is complete)."""
    return ShardWriter(shard, schema, opts).close()
