"""The extract stage's work on one WARC file: records in, document rows, rejections and one log row out.

`extract_file` is plain Python (no Spark): it streams the file's records, turns each HTML response into a
document row and every other outcome into a rejection with a reason, and ends with the file's `ingest_log`
row. `partition_fn` wraps it for `DataFrame.mapInArrow`, one WARC file per Spark task.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from udfs import html as html_mod
from udfs import warc

EXTRACTOR_VERSION = "webmath-extract/1"

_CRAWL_IN_PATH = re.compile(r"(CC-MAIN-\d{4}-\d{2})")
_IS_PART_OF = re.compile(rb"^isPartOf:[ \t]*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class ExtractOptions:
    """The `[extract]` keys of the same names (jobs.config.section_options), the run id and `input.crawl`."""
    run_id: str
    crawl: str                    # "" = from the WARC path or its warcinfo record
    max_html_bytes: int
    max_record_bytes: int
    verify_digests: bool
    main_content: bool
    main_content_math_share: float
    html_types: tuple[str, ...]
    keep_status: tuple[int, ...]
    min_text_chars: int


def doc_id(record_id: str | None, warc_path: str, offset: int) -> str:
    """Deterministic id: from the WARC-Record-ID, or for a record too damaged to have one, from its place."""
    key = record_id if record_id else f"{warc_path}@{offset}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:32]


def crawl_from_path(path: str) -> str | None:
    match = _CRAWL_IN_PATH.search(path)
    return match.group(1) if match else None


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):   # not ISO 8601, or out of range once moved to UTC
        return None


def url_host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def mime_type(content_type: str | None) -> str:
    return content_type.split(";", 1)[0].strip().lower() if content_type else ""


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml"))


class _File:
    """The state of one file's pass: its provenance fields, counters and crawl name."""

    def __init__(self, warc_path: str, opts: ExtractOptions):
        self.path = warc_path
        self.opts = opts
        self.crawl = opts.crawl or crawl_from_path(warc_path) or None
        self.records_read = self.responses = self.kept = self.skipped = self.damaged = 0

    def provenance(self, record: warc.WarcRecord) -> dict:
        url = record.target_uri or None
        digest = record.headers.get("warc-payload-digest")
        return {
            "doc_id": doc_id(record.record_id, self.path, record.offset),
            "url": url,
            "url_host": url_host(url),
            "crawl": self.crawl or "unknown",
            "fetch_time": parse_warc_date(record.date),
            "warc_path": self.path,
            "warc_record_offset": record.offset,
            "warc_record_length": record.length,
            "warc_record_id": record.record_id,
            "payload_digest": digest.strip() if digest else None,
        }

    def reject(self, record: warc.WarcRecord, reason: str, value) -> dict:
        self.skipped += 1
        row = self.provenance(record)
        row.update(kind="rejected", stage="extract", reason=reason,
                   value=None if value is None else str(value)[:1000], run_id=self.opts.run_id)
        return row

    def document(self, record: warc.WarcRecord) -> dict:
        """A response record → a document row, or a rejection naming what stopped it."""
        opts = self.opts
        try:
            http = warc.parse_http_response(record.block)
        except warc.HttpParseError as exc:
            return self.reject(record, "http_parse_error", exc)
        if http.status not in opts.keep_status:
            return self.reject(record, "http_status_not_ok", http.status)
        content_type = http.headers.get("content-type")
        mime = mime_type(content_type)
        if mime not in opts.html_types and not (mime == "" and _looks_like_html(http.body)):
            return self.reject(record, "not_html", content_type or "")
        body = http.body
        truncated = []
        if record.headers.get("warc-truncated"):
            truncated.append("warc_" + record.headers["warc-truncated"].strip().lower())
        if len(body) > opts.max_html_bytes:
            body = body[:opts.max_html_bytes]
            truncated.append("html_capped")
        try:
            text, charset = html_mod.decode_html(body, content_type)
        except html_mod.UndecodableError as exc:
            return self.reject(record, "undecodable_charset", exc)
        try:
            page = html_mod.extract(text, record.target_uri or "", main_content=opts.main_content,
                                    main_content_math_share=opts.main_content_math_share)
        except Exception as exc:  # a page the parser cannot take is one rejected page, not a failed task
            return self.reject(record, "html_parse_error", f"{type(exc).__name__}: {exc}")
        if len(page.text.strip()) < opts.min_text_chars:
            return self.reject(record, "no_text", len(page.text.strip()))
        self.kept += 1
        row = self.provenance(record)
        row.update(
            kind="document", http_status=http.status, content_type=content_type, charset=charset,
            title=page.title, text=page.text,
            images=[{"url": im.url, "alt": im.alt, "position": im.position} for im in page.images],
            math_markup=page.math_markup, html_bytes=len(http.body),
            truncated=",".join(truncated) or None, extractor_version=EXTRACTOR_VERSION, run_id=opts.run_id)
        return row

    def log_row(self, status: str, error: str | None, started: datetime, bytes_read: int | None) -> dict:
        return {
            "kind": "file", "warc_path": self.path, "crawl": self.crawl or "unknown", "status": status,
            "records_read": self.records_read, "responses": self.responses, "records_kept": self.kept,
            "records_skipped": self.skipped, "records_damaged": self.damaged, "bytes_read": bytes_read,
            "error": error, "run_id": self.opts.run_id, "started_at": started,
            "finished_at": datetime.now(timezone.utc),
        }


def extract_file(warc_path: str, opts: ExtractOptions) -> Iterator[dict]:
    """Yield the rows for one WARC file: documents, rejections, then exactly one `kind="file"` log row.

    Nothing escapes as an exception: a file that cannot be opened or read ends as a `failed` log row, and
    a damaged record as a rejection with the reader's reason code.
    """
    state = _File(warc_path, opts)
    started = datetime.now(timezone.utc)
    errors: list[str] = []
    bytes_read = None
    try:
        with warc.open_stream(warc_path) as stream:
            for record in warc.iter_records(stream, verify_digests=opts.verify_digests,
                                            max_record_bytes=opts.max_record_bytes):
                state.records_read += 1
                if record.error:
                    state.damaged += 1
                    errors.append(record.error)
                    yield state.reject(record, record.error, record.error_detail)
                    continue
                kind = record.warc_type
                if kind == "warcinfo" and state.crawl is None:
                    match = _IS_PART_OF.search(record.block)
                    if match:
                        state.crawl = match.group(1).decode("ascii", "replace")
                elif kind == "response":
                    state.responses += 1
                    try:
                        row = state.document(record)
                    except Exception as exc:  # one odd record is one rejection, never the rest of the file
                        row = state.reject(record, "extract_error", f"{type(exc).__name__}: {exc}")
                    yield row
            bytes_read = stream.tell() if hasattr(stream, "tell") else None
    except Exception as exc:  # cannot open, or an I/O error mid-file: the file fails, the job goes on
        yield state.log_row("failed", f"{type(exc).__name__}: {exc}"[:1000], started, bytes_read)
        return
    if errors:
        summary = ", ".join(f"{reason} x{errors.count(reason)}" for reason in sorted(set(errors)))
        status = "partial" if state.records_read > state.damaged else "failed"
        yield state.log_row(status, summary, started, bytes_read)
    elif state.records_read == 0:
        yield state.log_row("empty", "no WARC records in the file", started, bytes_read)
    else:
        yield state.log_row("ok", None, started, bytes_read)


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def partition_fn(opts: ExtractOptions, arrow_schema, batch_rows: int, files=None, pages=None):
    """Factory for `mapInArrow`: each input batch holds WARC paths (column `warc_path`); every path is
    streamed through `extract_file` and its rows leave as Arrow batches of `arrow_schema`. `files` and `pages`
    (Spark accumulators, optional) count each file read and its HTTP responses, for a progress line."""

    def counted(rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            if row["kind"] == "file":
                files.add(1)
                pages.add(row["responses"] or 0)
            yield row

    def run(batches):
        import pyarrow as pa

        for batch in batches:
            for path in batch.column("warc_path").to_pylist():
                rows = extract_file(path, opts)
                for chunk in _batches(counted(rows) if files is not None else rows, batch_rows):
                    yield pa.RecordBatch.from_pylist(chunk, schema=arrow_schema)

    return run


def record_html(warc_path: str, offset: int, length: int, record_id: str, max_html_bytes: int = 1 << 20
                ) -> str | None:
    """The decoded HTML of one document's response record, read back from its WARC file by its provenance
    (the record's gzip member at `offset`, `length` bytes); None when the record is not there any more or
    does not decode."""
    import io

    try:
        with warc.open_stream(warc_path) as stream:
            stream.seek(offset)
            member = stream.read(length)
        for record in warc.iter_records(io.BytesIO(member), verify_digests=False):
            if record.error is None and record.record_id == record_id:
                http = warc.parse_http_response(record.block)
                return html_mod.decode_html(http.body[:max_html_bytes], http.headers.get("content-type"))[0]
    except (OSError, ValueError):
        return None
    return None
