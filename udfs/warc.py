"""A streaming, damage-tolerant WARC reader (pure Python: stdlib + fsspec).

`iter_records(stream)` reads a WARC file front to back in `READ_CHUNK`-sized reads and yields one
`WarcRecord` per record.  The format is sniffed from the first bytes, never from the file name:

* gzip (`1f 8b 08`): every gzip member is inflated on its own with `zlib.decompressobj(wbits=31)` while
  the compressed position is tracked exactly, so `offset`/`length` of a record are the byte range of its
  gzip member: `gzip.decompress(file[offset:offset + length])` gives the record back.  Common Crawl writes
  one member per record.  When a writer put several records in one member (or gzipped the whole file as a
  single member), every record of that member gets the member's `offset` and `length`.
* plain (`WARC/1.0`, `WARC/1.1`, `WARC/0.18`): the range of the record itself, its trailing blank
  line included.  Plain records between gzip members ("mixed compression") are read too.

Damaged input never raises out of `iter_records` (only I/O errors of the underlying stream do): the reader
yields a record whose `error` holds one of the reason codes below, with `block == b''`, and carries on.

=========================  =======================================================================
`not_a_warc`               the first bytes are neither gzip nor `WARC/`; one record, then the reader stops
`corrupt_gzip_member`      zlib failed inside a member; the reader resynchronises on the next `1f 8b 08`
                           (or `WARC/` at a line start) after the member's first byte; the error record
                           spans the skipped bytes
`truncated_record`         the file ends inside a gzip member, or inside a plain record
`content_length_mismatch`  the member ended before `Content-Length` bytes of block, or the bytes after the
                           declared end are not the `\\r\\n\\r\\n` trailer (nor the next record)
`block_digest_mismatch`    `WARC-Block-Digest` (sha1 in base32 or hex; also sha256/sha512/md5) does not
                           match the block (only with `verify_digests=True`)
`invalid_warc_header`      a member or plain record that does not start with `WARC/`, whose header never
                           ends, or that has no valid `Content-Length`
`unreadable_bytes`         junk between records; skipped up to the next gzip magic or `WARC/` at a line
                           start; one error record spans the junk
`record_too_large`         a member inflating to more than `max_record_bytes` (or a plain record whose
                           block is larger); skipped, the reader goes on after it
=========================  =======================================================================

Error records carry whatever WARC headers could be parsed (so a caller can still name the URL), and
`error_detail` says what exactly went wrong.

`parse_http_response(block)` turns the block of a `response` record into status, headers and a body with
chunked transfer coding and gzip/deflate content coding removed.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

__all__ = [
    "WarcRecord", "iter_records", "open_stream",
    "HttpParseError", "HttpResponse", "parse_http_response",
    "READ_CHUNK", "REASONS",
]

READ_CHUNK = 1 << 20          # bytes asked from the stream per read() call
_FEED = 64 << 10              # compressed bytes handed to zlib per call (bounds the unused_data copy)
_MAX_HEADER = 1 << 20         # a WARC header longer than this is treated as invalid
_HEAD_KEEP = 64 << 10         # decompressed bytes kept from an oversized member, to report its headers
_MAX_HTTP_DECODED = 512 << 20  # guard against content-coding bombs in parse_http_response

_GZ = b"\x1f\x8b\x08"
_WARC = b"WARC/"
_WHITESPACE = re.compile(rb"[\r\n\t ]*")
_NEWLINES = re.compile(rb"[\r\n]*")

REASONS = (
    "not_a_warc", "corrupt_gzip_member", "truncated_record", "content_length_mismatch",
    "block_digest_mismatch", "invalid_warc_header", "unreadable_bytes", "record_too_large",
)


@dataclass(slots=True)
class WarcRecord:
    """One WARC record, or one damaged stretch of the file (`error` set, `block == b''`).

    `offset`/`length` locate the record's gzip member in the (compressed) file, or the plain record
    including its trailing CRLFCRLF.  Several records inside one gzip member all share that member's
    offset and length.  Header keys are lower-cased.
    """

    offset: int
    length: int
    headers: dict[str, str]
    block: bytes
    error: str | None = None
    error_detail: str | None = None

    @property
    def warc_type(self) -> str:
        """`WARC-Type` lower-cased ('' when missing)."""
        return self.headers.get("warc-type", "").strip().lower()

    @property
    def record_id(self) -> str:
        """`WARC-Record-ID` as written, e.g. '<urn:uuid:...>' ('' when missing)."""
        return self.headers.get("warc-record-id", "").strip()

    @property
    def target_uri(self) -> str:
        """`WARC-Target-URI` with the surrounding '<>' that wget writes removed ('' when missing)."""
        uri = self.headers.get("warc-target-uri", "").strip()
        if uri.startswith("<") and uri.endswith(">"):
            uri = uri[1:-1].strip()
        return uri

    @property
    def date(self) -> str:
        """The raw `WARC-Date` string ('' when missing)."""
        return self.headers.get("warc-date", "").strip()


# --------------------------------------------------------------------------------------------------
# opening files
# --------------------------------------------------------------------------------------------------

def open_stream(path: str) -> BinaryIO:
    """Open `path` for binary streaming reads.

    Local paths use the builtin `open`; URLs (`file://`, `http(s)://`, `s3://`, anything fsspec knows) go
    through fsspec without any transparent decompression.  The result is a file object that works as a
    context manager.  Errors opening the file (missing file, no access, ...) are raised.
    """
    path = os.fspath(path)
    if "://" not in path:
        return open(path, "rb")
    import fsspec  # imported lazily: plain local reads do not need it

    return fsspec.open(path, "rb", compression=None).open()


# --------------------------------------------------------------------------------------------------
# WARC header / digest helpers
# --------------------------------------------------------------------------------------------------

class _BadHeader(Exception):
    def __init__(self, detail: str, headers: dict[str, str] | None = None, incomplete: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.incomplete = incomplete   # True: the header might be fine, the data just ran out


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header_fields(text: str, *, skip_first: bool) -> dict[str, str]:
    """`Name: value` lines → dict with lower-cased keys; repeats joined by ', '; folded lines appended."""
    headers: dict[str, str] = {}
    last = None
    lines = text.split("\n")
    for line in lines[1:] if skip_first else lines:
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t":
            if last is not None:
                headers[last] = (headers[last] + " " + line.strip()).strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        if not key:
            continue
        value = value.strip()
        if key in headers:
            headers[key] = headers[key] + ", " + value
        else:
            headers[key] = value
        last = key
    return headers


def _find_blank_line(data: bytes, start: int, end: int) -> tuple[int, int]:
    """First empty line in data[start:end] → (end of the header text, start of what follows), or (-1, -1).

    Lines may end with CRLF or with LF alone.
    """
    crlf = data.find(b"\n\r\n", start, end)
    lf = data.find(b"\n\n", start, end if crlf < 0 else crlf + 2)
    if lf >= 0:
        return lf + 1, lf + 2
    if crlf >= 0:
        return crlf + 1, crlf + 3
    return -1, -1


def _parse_warc_header(data: bytes, start: int, end: int, final: bool) -> tuple[dict[str, str], int, int]:
    """Parse the WARC header at data[start:end] → (headers, block start, content length).

    `final`: no more data will follow `end` (else an unterminated header is only "incomplete").
    Raises `_BadHeader`.
    """
    if end - start < 5:
        if not final and data.startswith(_WARC[: end - start], start):
            raise _BadHeader("incomplete header", incomplete=True)
        raise _BadHeader("record does not start with 'WARC/'")
    if not data.startswith(_WARC, start):
        raise _BadHeader(f"record does not start with 'WARC/': {bytes(data[start:start + 16])!r}")
    limit = min(end, start + _MAX_HEADER)
    text_end, block_start = _find_blank_line(data, start, limit)
    if text_end < 0:
        if limit == end and (not final or end - start < _MAX_HEADER):
            # not terminated in the data we have
            headers = _header_fields(_decode_header(bytes(data[start:end])), skip_first=True)
            raise _BadHeader("header not terminated before the end of the data", headers, incomplete=True)
        raise _BadHeader(f"no end of header within {_MAX_HEADER} bytes")
    headers = _header_fields(_decode_header(bytes(data[start:text_end])), skip_first=True)
    raw_length = headers.get("content-length", "").strip()
    if not raw_length.isdigit() or not raw_length.isascii():
        raise _BadHeader(f"invalid or missing Content-Length: {raw_length!r}", headers)
    return headers, block_start, int(raw_length)


_DIGEST_ALGOS = {"sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256",
                 "sha512": "sha512", "sha-512": "sha512", "md5": "md5"}


def _digest_mismatch(value: str, block: bytes) -> str | None:
    """None when the digest matches or cannot be checked (unknown algorithm or encoding), else a detail."""
    algo, sep, encoded = value.strip().partition(":")
    name = _DIGEST_ALGOS.get(algo.strip().lower())
    if not sep or name is None:
        return None
    encoded = encoded.strip()
    digest = hashlib.new(name, block).digest()
    size = len(digest)
    expected = None
    if len(encoded) == 2 * size:
        try:
            expected = bytes.fromhex(encoded)
        except ValueError:
            expected = None
    if expected is None:
        try:
            padded = encoded.upper() + "=" * (-len(encoded) % 8)
            expected = base64.b32decode(padded)
        except (binascii.Error, ValueError):
            return None
    if len(expected) != size:
        return None
    if expected == digest:
        return None
    actual = base64.b32encode(digest).decode("ascii")
    return f"WARC-Block-Digest {value.strip()} but the block's {name} is {actual} ({len(block)} bytes)"


def _trailer_end(data: bytes, pos: int, end: int, final: bool) -> int:
    """Position after the record trailer starting at data[pos], or -1 when the bytes there are no trailer.

    The trailer is CRLFCRLF (LFLF tolerated).  Leniently, a shorter run of CR/LF (even none) is accepted
    when the data ends right after it (`final`) or the next record (`WARC/` or gzip magic) follows.
    """
    if data.startswith(b"\r\n\r\n", pos, end):
        return pos + 4
    if data.startswith(b"\n\n", pos, end):
        return pos + 2
    ws = _NEWLINES.match(data, pos, min(end, pos + 4)).end()
    if ws == end and final:
        return end
    if data.startswith(_WARC, ws, end) or data.startswith(_GZ, ws, end):
        return ws
    return -1


# --------------------------------------------------------------------------------------------------
# the reader
# --------------------------------------------------------------------------------------------------

class _Reader:
    """Buffer over the stream: `buf[pos:]` is unread; `base` is the file offset of `buf[0]`."""

    __slots__ = ("stream", "buf", "pos", "base", "eof", "verify", "max_bytes")

    def __init__(self, stream, verify: bool, max_bytes: int):
        self.stream = stream
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.verify = verify
        self.max_bytes = max_bytes
        try:
            start = stream.tell()
            self.base = start if isinstance(start, int) and start >= 0 else 0
        except Exception:  # not seekable / no tell(): offsets count from where we start reading
            self.base = 0

    # -- buffer management ------------------------------------------------------------------------
    def ensure(self, n: int) -> bool:
        """Make at least `n` unread bytes available (fewer only at EOF). True when there are `n`."""
        have = len(self.buf) - self.pos
        if have >= n:
            return True
        if self.eof:
            return False
        parts = [self.buf[self.pos:]] if have else []
        read = self.stream.read
        while have < n:
            chunk = read(READ_CHUNK)
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            have += len(chunk)
        self.base += self.pos
        self.buf = parts[0] if len(parts) == 1 else b"".join(parts)
        self.pos = 0
        return have >= n

    def more(self) -> bool:
        """Read at least one more byte. False at EOF."""
        return self.ensure(len(self.buf) - self.pos + 1)

    def tell(self) -> int:
        return self.base + self.pos

    def skip_to_end(self) -> int:
        """Consume the rest of the stream; return its absolute end offset."""
        while True:
            self.pos = len(self.buf)
            if not self.more():
                return self.tell()

    def scan(self, from_abs: int) -> bool:
        """Move to the first gzip magic or `WARC/` at a line start at or after `from_abs`.

        `from_abs` must not lie before the start of the buffer.  Returns False (positioned at EOF) when
        there is none.  Streams: only a few bytes of overlap are kept between reads.
        """
        idx = from_abs - self.base
        while True:
            buf = self.buf
            g = buf.find(_GZ, idx)
            w = buf.find(b"\nWARC/", idx - 1 if idx > 0 else 0)
            if w >= 0:
                w += 1
            if g >= 0 or w >= 0:
                self.pos = min(x for x in (g, w) if x >= 0)
                return True
            # nothing here: keep the last bytes, a match may straddle the read boundary (rescanning them
            # cannot produce a match before `idx`: one lying fully in them would have been found)
            keep = max(0, idx - 1, len(buf) - 6)
            self.pos = keep
            if not self.more():
                self.pos = len(self.buf)
                return False
            idx = max(0, idx - keep)

    # -- main loop --------------------------------------------------------------------------------
    def records(self) -> Iterator[WarcRecord]:
        if not self.ensure(5) and len(self.buf) - self.pos == 0:
            return  # empty file
        head = self.buf[self.pos:self.pos + 5]
        if not (head.startswith(_GZ) or head == _WARC):
            size = _stream_size(self.stream)
            if size is not None:
                length = size - self.base
            else:
                length = len(self.buf) - self.pos
            yield WarcRecord(self.tell(), length, {}, b"", "not_a_warc",
                             f"first bytes are neither gzip (1f 8b 08) nor 'WARC/': {bytes(head)!r}")
            return
        while True:
            if not self.ensure(5) and len(self.buf) - self.pos == 0:
                return
            buf, pos = self.buf, self.pos
            if buf.startswith(_GZ, pos):
                yield from self.gzip_member()
            elif buf.startswith(_WARC, pos):
                yield from self.plain_record()
            else:
                # blank lines between records are tolerated silently
                end = _WHITESPACE.match(buf, pos).end()
                if end > pos:
                    self.pos = end
                    continue
                start = self.tell()
                found = self.scan(start + 1)
                yield WarcRecord(start, self.tell() - start, {}, b"", "unreadable_bytes",
                                 f"{self.tell() - start} bytes that are neither a gzip member nor a WARC "
                                 f"record, starting with {bytes(buf[pos:pos + 16])!r}"
                                 + ("" if found else "; no record follows"))

    # -- gzip members -----------------------------------------------------------------------------
    def gzip_member(self) -> Iterator[WarcRecord]:
        start = self.tell()
        inflater = zlib.decompressobj(31)
        parts: list[bytes] = []
        total = 0
        too_large = False
        head = b""
        complete = False
        while True:
            buf, pos = self.buf, self.pos
            avail = len(buf) - pos
            if avail == 0:
                if not self.more():
                    break  # EOF inside the member
                continue
            feed = avail if avail < _FEED else _FEED
            try:
                out = inflater.decompress(memoryview(buf)[pos:pos + feed])
            except zlib.error as exc:
                # resynchronise on the next member, scanning from the member's second byte (or from
                # the oldest byte still buffered when the member was longer than the buffer)
                if not parts and not head and start >= self.base:
                    parts = _inflate_until_error(memoryview(buf)[start - self.base:pos + feed])
                resync_from = max(start + 1, self.base)
                found = self.scan(resync_from)
                end = self.tell()
                yield WarcRecord(start, end - start, _salvage_headers(parts, head), b"",
                                 "corrupt_gzip_member",
                                 f"zlib: {exc}; skipped {end - start} bytes"
                                 + ("" if found else " to the end of the file"))
                return
            if out:
                total += len(out)
                if not too_large:
                    parts.append(out)
                    if total > self.max_bytes:   # from now on inflate only to find the member's end
                        too_large = True
                        head = b"".join(parts)[:_HEAD_KEEP]
                        parts = []
            if inflater.eof:
                self.pos = pos + feed - len(inflater.unused_data)
                complete = True
                break
            self.pos = pos + feed
        end = self.tell()
        length = end - start
        if too_large:
            yield WarcRecord(start, length, _salvage_headers([], head), b"", "record_too_large",
                             f"gzip member inflates to {'at least ' if not complete else ''}{total} bytes "
                             f"> max_record_bytes={self.max_bytes}")
            return
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        parts = []
        if not complete:
            missing = "" if data else "; nothing could be inflated"
            yield from self.member_records(data, start, length, complete=False,
                                           why=f"file ends inside the gzip member starting at {start} "
                                               f"({length} bytes, {len(data)} inflated){missing}")
            return
        yield from self.member_records(data, start, length, complete=True, why="")

    def member_records(self, data: bytes, offset: int, length: int, *, complete: bool,
                       why: str) -> Iterator[WarcRecord]:
        """The records in one inflated member (normally exactly one)."""
        n = len(data)
        i = 0
        pending: WarcRecord | None = None   # held back: the last record of an incomplete member is bad
        while True:
            i = _WHITESPACE.match(data, i).end()
            if i >= n:
                break
            if pending is not None:
                yield pending
                pending = None
            try:
                headers, block_start, clen = _parse_warc_header(data, i, n, final=True)
            except _BadHeader as exc:
                if not complete:
                    yield WarcRecord(offset, length, exc.headers, b"", "truncated_record", why)
                else:
                    yield WarcRecord(offset, length, exc.headers, b"", "invalid_warc_header",
                                     f"{exc.detail} (at byte {i} of the inflated member)")
                return
            block_end = block_start + clen
            if block_end > n:
                if not complete:
                    yield WarcRecord(offset, length, headers, b"", "truncated_record",
                                     f"{why}; block has {n - block_start} of Content-Length {clen} bytes")
                else:
                    yield WarcRecord(offset, length, headers, b"", "content_length_mismatch",
                                     f"Content-Length {clen} but the gzip member ends after "
                                     f"{n - block_start} bytes of block")
                return
            after = _trailer_end(data, block_end, n, final=True)
            if after < 0:
                # bytes other than the trailer follow the declared end: the length is wrong.  Records
                # that follow inside the same member are still looked for.
                nxt = _next_record_in(data, block_end)
                extra = (nxt if nxt >= 0 else n) - block_end
                yield WarcRecord(offset, length, headers, b"", "content_length_mismatch",
                                 f"Content-Length {clen} but {extra} more bytes follow the declared end "
                                 f"inside the gzip member (starting {bytes(data[block_end:block_end + 16])!r})")
                if nxt < 0:
                    return
                i = nxt
                continue
            block = data[block_start:block_end]
            pending = self.checked(offset, length, headers, block)
            i = after
        if pending is not None:
            if complete:
                yield pending
            else:
                yield WarcRecord(offset, length, pending.headers, b"", "truncated_record",
                                 why + "; the record inside is complete but the gzip stream is not")
        elif not complete:
            yield WarcRecord(offset, length, {}, b"", "truncated_record", why)

    def checked(self, offset: int, length: int, headers: dict[str, str], block: bytes) -> WarcRecord:
        if self.verify:
            digest = headers.get("warc-block-digest")
            if digest:
                detail = _digest_mismatch(digest, block)
                if detail:
                    return WarcRecord(offset, length, headers, b"", "block_digest_mismatch", detail)
        return WarcRecord(offset, length, headers, block)

    # -- plain records ----------------------------------------------------------------------------
    def plain_record(self) -> Iterator[WarcRecord]:
        start = self.tell()
        want = 16 << 10
        while True:
            buf, pos = self.buf, self.pos
            try:
                headers, block_start, clen = _parse_warc_header(buf, pos, len(buf), final=self.eof)
                break
            except _BadHeader as exc:
                if exc.incomplete and not self.eof and len(buf) - pos < _MAX_HEADER + 4:
                    self.ensure(min(len(buf) - pos + want, _MAX_HEADER + 4))
                    want *= 2
                    continue
                if exc.incomplete:
                    end = self.skip_to_end()
                    yield WarcRecord(start, end - start, exc.headers, b"", "truncated_record",
                                     "file ends inside the header of a plain WARC record")
                    return
                found = self.scan(start + 1)
                end = self.tell()
                yield WarcRecord(start, end - start, exc.headers, b"", "invalid_warc_header",
                                 exc.detail + ("" if found else "; no record follows"))
                return
        header_len = block_start - self.pos
        if clen > self.max_bytes:
            yield from self.skip_plain(start, header_len + clen, headers, clen)
            return
        need = header_len + clen + 9   # the trailer, and room to see a record start after a short one
        self.ensure(need)
        buf, pos = self.buf, self.pos
        avail = len(buf) - pos
        if avail < header_len + clen:
            end = self.skip_to_end()
            yield WarcRecord(start, end - start, headers, b"", "truncated_record",
                             f"file ends inside a plain record: block has {avail - header_len} of "
                             f"Content-Length {clen} bytes")
            return
        block_start = pos + header_len
        block_end = block_start + clen
        after = _trailer_end(buf, block_end, len(buf), final=self.eof)
        if after < 0:
            self.pos = block_end
            found = self.scan(self.tell())
            end = self.tell()
            yield WarcRecord(start, end - start, headers, b"", "content_length_mismatch",
                             f"Content-Length {clen} but the plain record is not followed by CRLFCRLF "
                             f"(found {bytes(buf[block_end:block_end + 16])!r}); skipped {end - start} bytes"
                             + ("" if found else " to the end of the file"))
            return
        block = buf[block_start:block_end]
        self.pos = after
        yield self.checked(start, after - pos, headers, block)

    def skip_plain(self, start: int, size: int, headers: dict[str, str], clen: int) -> Iterator[WarcRecord]:
        """Skip an oversized plain record without buffering it."""
        remaining = size
        while remaining:
            avail = len(self.buf) - self.pos
            if avail == 0:
                if not self.more():
                    break
                continue
            step = avail if avail < remaining else remaining
            self.pos += step
            remaining -= step
        if not remaining:
            self.ensure(4)
            after = _trailer_end(self.buf, self.pos, len(self.buf), final=self.eof)
            if after >= 0:
                self.pos = after
        end = self.tell()
        yield WarcRecord(start, end - start, headers, b"", "record_too_large",
                         f"Content-Length {clen} > max_record_bytes={self.max_bytes}"
                         + ("; the file ends inside it" if remaining else ""))


def _next_record_in(data: bytes, start: int) -> int:
    """Start of the next `WARC/` record after a blank line at or after `start` in inflated data, or -1."""
    a = data.find(b"\n\r\nWARC/", start)
    b = data.find(b"\n\nWARC/", start, a + 2 if a >= 0 else len(data))
    if b >= 0:
        return b + 2
    if a >= 0:
        return a + 3
    return -1


def _inflate_until_error(compressed: memoryview) -> list[bytes]:
    """What a damaged member inflates to before zlib gives up (small steps, to report its headers)."""
    inflater = zlib.decompressobj(31)
    out: list[bytes] = []
    total = 0
    for i in range(0, min(len(compressed), _HEAD_KEEP), 512):
        try:
            piece = inflater.decompress(compressed[i:i + 512])
        except zlib.error:
            break
        out.append(piece)
        total += len(piece)
        if total >= _HEAD_KEEP or inflater.eof:
            break
    return [b"".join(out)]


def _salvage_headers(parts: list[bytes], head: bytes) -> dict[str, str]:
    """Best-effort WARC headers from the start of a member that could not be read as a record."""
    data = head or (parts[0] if parts else b"")
    if not data.startswith(_WARC):
        return {}
    text_end, _ = _find_blank_line(data, 0, min(len(data), _MAX_HEADER))
    if text_end < 0:
        return {}
    return _header_fields(_decode_header(bytes(data[:text_end])), skip_first=True)


def _stream_size(stream) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except Exception:
        pass
    size = getattr(stream, "size", None)
    if isinstance(size, int) and size >= 0:
        return size
    return None


def iter_records(stream, *, verify_digests: bool = True,
                 max_record_bytes: int = 256 * 2**20) -> Iterator[WarcRecord]:
    """Yield every record of a WARC stream (gzip per member, plain, or mixed), damaged ones included.

    `stream` is a binary file object read sequentially in `READ_CHUNK`-byte reads (a path is accepted too
    and opened with `open_stream`).  Offsets count from the stream's position when iteration starts (the
    start of the file for a freshly opened one).  Memory stays bounded by the largest gzip member /
    record (and `max_record_bytes`), never by the file.

    For a gzip file, `offset`/`length` are the compressed byte range of the record's gzip member; all
    records that share one member (a writer that compressed several records, or the whole file, as one
    member) get that same member range.  For plain records they are the record's own range including
    its trailing CRLFCRLF.

    Damaged input is reported as records with `error` set (see the module docstring for the reason
    codes), never as an exception; only errors of the stream itself (I/O) propagate.
    """
    if isinstance(stream, (str, os.PathLike)):
        with open_stream(stream) as fh:
            yield from iter_records(fh, verify_digests=verify_digests, max_record_bytes=max_record_bytes)
        return
    yield from _Reader(stream, verify_digests, max_record_bytes).records()


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------

class HttpParseError(ValueError):
    """The block is not an HTTP response we can read (bad status line, undecodable content coding)."""


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]   # lower-cased keys; repeated headers joined with ', '
    body: bytes


_STATUS_LINE = re.compile(rb"HTTP/\d+(?:\.\d+)?[ \t]+(\d{3})(?:[^0-9].*)?", re.DOTALL)


def parse_http_response(block: bytes) -> HttpResponse:
    """Parse the block of a WARC `response` record (an HTTP response as it came off the wire).

    Header lines may end in CRLF or LF only.  A body with `Transfer-Encoding: chunked` is de-chunked (kept
    as is when it is not valid chunked data); a body with `Content-Encoding: gzip`/`x-gzip`/`deflate` is
    decoded unless the record says it is already decoded (`X-Crawler-Content-Encoding`, as Common Crawl
    writes) or, for gzip, the body does not start with the gzip magic (ClueWeb09 kept the header but
    stored the decoded body).  A gzip body cut short decodes to the part that is there.

    Raises `HttpParseError` for a status line that is not `HTTP/x[.y] NNN ...`, for a compressed body
    that does not decode, and for a content coding this module cannot decode (e.g. `br`).
    """
    block = bytes(block)
    start = 0
    while True:
        text_end, body_start = _find_blank_line(block, start, len(block))
        if text_end < 0:
            text_end = body_start = len(block)
        nl = block.find(b"\n", start, text_end)
        status_line = block[start:nl if nl >= 0 else text_end].rstrip(b"\r\n")
        match = _STATUS_LINE.fullmatch(status_line)
        if match is None:
            raise HttpParseError(f"not an HTTP status line: {status_line[:60]!r}")
        status = int(match.group(1))
        # a "100 Continue" interim response followed by the real one
        if status == 100 and block.startswith(b"HTTP/", body_start):
            start = body_start
            continue
        break
    headers = _header_fields(_decode_header(block[start:text_end]), skip_first=True)
    body = block[body_start:]

    if "chunked" in headers.get("transfer-encoding", "").lower():
        dechunked = _dechunk(body)
        if dechunked is not None:
            body = dechunked

    coding = headers.get("content-encoding", "")
    if coding and "x-crawler-content-encoding" not in headers and body:
        for name in reversed([c.strip().lower() for c in coding.split(",")]):
            if name in ("", "identity", "none"):
                continue
            if name in ("gzip", "x-gzip"):
                if body.startswith(b"\x1f\x8b"):
                    body = _gunzip(body)
            elif name == "deflate":
                body = _inflate(body)
            else:
                raise HttpParseError(f"unsupported Content-Encoding {name!r}")
    return HttpResponse(status, headers, body)


def _dechunk(body: bytes) -> bytes | None:
    """Remove chunked transfer coding; None when the body is not valid chunked data."""
    out = []
    i = 0
    n = len(body)
    while i < n:
        nl = body.find(b"\n", i)
        if nl < 0:
            return None
        size_field = body[i:nl].split(b";", 1)[0].strip()
        if not size_field or not all(c in b"0123456789abcdefABCDEF" for c in size_field):
            return None
        size = int(size_field, 16)
        i = nl + 1
        if size == 0:
            return b"".join(out)   # trailer fields after the last chunk are dropped
        if i + size > n:
            return None
        out.append(body[i:i + size])
        i += size
        if body.startswith(b"\r\n", i):
            i += 2
        elif body.startswith(b"\n", i):
            i += 1
        elif i != n:
            return None
    # ran out of data exactly at a chunk boundary (no terminating zero chunk): keep what is there
    return b"".join(out) if out else None


def _gunzip(body: bytes) -> bytes:
    out = []
    total = 0
    data = body
    while data:
        inflater = zlib.decompressobj(31)
        try:
            chunk = inflater.decompress(data, _MAX_HTTP_DECODED - total)
        except zlib.error as exc:
            raise HttpParseError(f"gzip body does not decode: {exc}") from None
        if inflater.unconsumed_tail:
            raise HttpParseError(f"gzip body decodes to more than {_MAX_HTTP_DECODED} bytes")
        out.append(chunk)
        total += len(chunk)
        if not inflater.eof:
            break   # cut short: keep what decoded
        data = inflater.unused_data
        if not data.startswith(b"\x1f\x8b"):
            break   # trailing bytes after the last member are ignored
    return b"".join(out)


def _inflate(body: bytes) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate
    wrapped = len(body) >= 2 and body[0] & 0x0F == 8 and ((body[0] << 8) | body[1]) % 31 == 0
    errors = []
    for wbits in ((15, -15) if wrapped else (-15,)):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, _MAX_HTTP_DECODED)
        except zlib.error as exc:
            errors.append(str(exc))
            continue
        if inflater.unconsumed_tail:
            raise HttpParseError(f"deflate body decodes to more than {_MAX_HTTP_DECODED} bytes")
        return out
    raise HttpParseError(f"deflate body does not decode: {'; '.join(errors)}")
