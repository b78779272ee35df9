"""The streaming WARC reader (udfs/warc.py) against real and deliberately damaged WARC files.

Only the files under data/ are used; damaged variants beyond data/warc-broken are built in memory from
them.
"""
from __future__ import annotations

import base64
import collections
import gzip
import hashlib
import io
import json
import re
import zlib
from pathlib import Path

import pytest

from udfs import warc

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "warc-real"
BROKEN = ROOT / "data" / "warc-broken"
EXPECTED = json.loads((BROKEN / "expected.json").read_text(encoding="utf-8"))
CC_EXCERPT = REAL / "resiliparse_warcfile.warc.gz"


def read_all(path: Path, **kwargs) -> list[warc.WarcRecord]:
    with warc.open_stream(str(path)) as fh:
        return list(warc.iter_records(fh, **kwargs))


def records_of(data: bytes, **kwargs) -> list[warc.WarcRecord]:
    return list(warc.iter_records(io.BytesIO(data), **kwargs))


def good_response_urls(records: list[warc.WarcRecord]) -> list[str]:
    """URLs of responses a pipeline can use: no reader error, and the HTTP message parses."""
    urls = []
    for rec in records:
        if rec.error is None and rec.warc_type == "response":
            try:
                warc.parse_http_response(rec.block)
            except warc.HttpParseError:
                continue
            urls.append(rec.target_uri)
    return urls


def assert_tiles(records: list[warc.WarcRecord], size: int) -> None:
    """The (offset, length) ranges, records of one member counted once, cover [0, size) without gaps."""
    spans = sorted({(r.offset, r.length) for r in records})
    pos = 0
    for offset, length in spans:
        assert offset == pos, (offset, pos)
        assert length > 0
        pos = offset + length
    assert pos == size


def member_slices(data: bytes, records: list[warc.WarcRecord]) -> list[bytes]:
    return [data[r.offset:r.offset + r.length] for r in records]


# --------------------------------------------------------------------------------------------------
# 1. damaged files
# --------------------------------------------------------------------------------------------------

# file -> (records yielded, reason codes of the error records in file order)
BROKEN_OUTCOME = {
    "corrupt_deflate_member.warc.gz": (13, ["corrupt_gzip_member"]),
    "empty.warc.gz": (0, []),
    "garbage_http_status.warc.gz": (13, []),
    "mixed_compression.warc.gz": (13, []),
    "not_a_warc.warc.gz": (1, ["not_a_warc"]),
    "truncated_last_member.warc.gz": (12, ["truncated_record"]),
    "uncompressed_named_gz.warc.gz": (10, []),
    "wrong_content_length_long.warc.gz": (13, ["content_length_mismatch"]),
    "wrong_content_length_short.warc.gz": (13, ["content_length_mismatch"]),
}


def test_every_broken_file_is_covered():
    on_disk = {p.name for p in BROKEN.glob("*.warc.gz")}
    assert on_disk == set(BROKEN_OUTCOME) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(BROKEN_OUTCOME))
def test_broken_file(name):
    path = BROKEN / name
    records = read_all(path)
    expected = EXPECTED[name]
    total, reasons = BROKEN_OUTCOME[name]

    good = good_response_urls(records)
    assert len(good) == len(set(good))
    assert set(good) == set(expected["good_response_urls"])
    assert not set(good) & set(expected["bad_response_urls"])

    assert len(records) == total
    errors = [r for r in records if r.error]
    assert [r.error for r in errors] == reasons
    for rec in errors:
        assert rec.error in warc.REASONS
        assert rec.block == b""
        assert rec.error_detail
    # every byte of the file is accounted for, by a record or by an error record
    assert_tiles(records, path.stat().st_size)


def test_empty_file_yields_nothing():
    assert read_all(BROKEN / "empty.warc.gz") == []
    assert records_of(b"") == []


def test_not_a_warc_is_one_error_record():
    (rec,) = read_all(BROKEN / "not_a_warc.warc.gz")
    assert (rec.offset, rec.length, rec.error, rec.headers, rec.block) == (0, 65536, "not_a_warc", {}, b"")
    # without a known file size the length is what was looked at (one read), not a scan of the file
    (rec,) = records_of((BROKEN / "not_a_warc.warc.gz").read_bytes()[:100] + b"\x1f\x8b\x08" * 10)
    assert (rec.offset, rec.error) == (0, "not_a_warc")


@pytest.mark.parametrize("name", ["truncated_last_member.warc.gz", "wrong_content_length_long.warc.gz",
                                  "wrong_content_length_short.warc.gz"])
def test_damaged_record_is_reported_with_its_headers(name):
    records = read_all(BROKEN / name)
    (bad,) = [r for r in records if r.error]
    assert bad.warc_type == "response"
    assert [bad.target_uri] == EXPECTED[name]["bad_response_urls"]
    # the bad URL never comes out as a good record
    assert all(r.target_uri != bad.target_uri for r in records if r.error is None and r.warc_type == "response")


def test_truncated_last_member_reaches_end_of_file():
    path = BROKEN / "truncated_last_member.warc.gz"
    records = read_all(path)
    assert [r.error for r in records[:11]] == [None] * 11
    last = records[-1]
    assert last.error == "truncated_record"
    assert last.offset + last.length == path.stat().st_size


def test_corrupt_member_resyncs_on_next_gzip_member():
    path = BROKEN / "corrupt_deflate_member.warc.gz"
    data = path.read_bytes()
    records = read_all(path)
    (bad,) = [r for r in records if r.error]
    assert data[bad.offset:bad.offset + 3] == b"\x1f\x8b\x08"
    resync = bad.offset + bad.length
    assert data[resync:resync + 3] == b"\x1f\x8b\x08"
    after = [r for r in records if r.offset >= resync]
    assert len(after) == 7 and all(r.error is None for r in after)
    (bad_url,) = EXPECTED["corrupt_deflate_member.warc.gz"]["bad_response_urls"]
    # its request and metadata records are intact; the response is gone with the corrupt member
    assert [r.warc_type for r in records if r.target_uri == bad_url] == ["request", "metadata"]


def test_garbage_http_status_is_an_http_parse_error_not_a_page():
    records = read_all(BROKEN / "garbage_http_status.warc.gz")
    (bad_url,) = EXPECTED["garbage_http_status.warc.gz"]["bad_response_urls"]
    (rec,) = [r for r in records if r.target_uri == bad_url and r.warc_type == "response"]
    assert rec.error is None      # the WARC layer is intact, digests verify
    with pytest.raises(warc.HttpParseError, match="not an HTTP status line"):
        warc.parse_http_response(rec.block)


def test_mixed_compression_offsets_are_exact():
    path = BROKEN / "mixed_compression.warc.gz"
    data = path.read_bytes()
    records = read_all(path)
    kinds = []
    for rec, piece in zip(records, member_slices(data, records)):
        if piece.startswith(b"\x1f\x8b\x08"):
            kinds.append("gz")
            piece = gzip.decompress(piece)
        else:
            kinds.append("plain")
        assert piece.startswith(b"WARC/1.0\r\n")
        assert piece.endswith(rec.block + b"\r\n\r\n")
        assert rec.record_id.encode() in piece
    assert kinds == ["gz"] * 4 + ["plain"] * 3 + ["gz"] * 6
    assert_tiles(records, len(data))


def test_uncompressed_file_offsets_are_exact():
    path = BROKEN / "uncompressed_named_gz.warc.gz"
    data = path.read_bytes()
    records = read_all(path)
    for rec, piece in zip(records, member_slices(data, records)):
        head = piece[:piece.index(b"\r\n\r\n") + 4]
        assert piece == head + rec.block + b"\r\n\r\n"
        assert rec.record_id.encode() in head
    assert_tiles(records, len(data))


# --------------------------------------------------------------------------------------------------
# 2. offsets of the real Common Crawl excerpt
# --------------------------------------------------------------------------------------------------

def test_every_offset_of_cc_excerpt_gives_its_gzip_member():
    records = read_all(CC_EXCERPT)
    assert len(records) == 50
    with open(CC_EXCERPT, "rb") as fh:
        for rec in records:
            fh.seek(rec.offset)
            member = fh.read(rec.length)
            assert len(member) == rec.length
            text = gzip.decompress(member)
            assert text.startswith(b"WARC/1.0")
            assert rec.record_id.encode() in text
            # one record per member: the member is exactly header + block + CRLFCRLF
            assert text.endswith(b"\r\n\r\n" + rec.block + b"\r\n\r\n")
    offsets = [r.offset for r in records]
    assert offsets[0] == 0
    assert all(a.offset + a.length == b.offset for a, b in zip(records, records[1:]))
    assert records[-1].offset + records[-1].length == CC_EXCERPT.stat().st_size


@pytest.mark.parametrize("name", ["dolma_sample-0000.warc.gz", "resiliparse_clueweb-quirk.warc.gz",
                                  "whirlwind.warc.wat.gz"])
def test_offsets_tile_other_real_files(name):
    path = REAL / name
    data = path.read_bytes()
    records = read_all(path)
    assert len({r.offset for r in records}) == len(records)  # one member per record
    assert_tiles(records, len(data))
    for rec, member in zip(records, member_slices(data, records)):
        assert gzip.decompress(member).endswith(rec.block + b"\r\n\r\n")


# --------------------------------------------------------------------------------------------------
# 3. record counts and HTTP quirks of the real files
# --------------------------------------------------------------------------------------------------

REAL_COUNTS = {
    "resiliparse_warcfile.warc.gz": {"warcinfo": 1, "request": 17, "response": 16, "metadata": 16},
    "resiliparse_clueweb-quirk.warc.gz": {"warcinfo": 1, "response": 29},
    "resiliparse_clipped.warc.gz": {"response": 1},
    "dolma_sample-0000.warc.gz": {"warcinfo": 1, "request": 22, "response": 22, "metadata": 1, "resource": 2},
    "dolma_sample-0001.warc.gz": {"warcinfo": 1, "request": 15, "response": 15, "metadata": 1, "resource": 2},
    "whirlwind.warc.gz": {"warcinfo": 1, "request": 1, "response": 1, "metadata": 1},
    "whirlwind.warc.wet.gz": {"warcinfo": 1, "conversion": 1},
    "whirlwind.warc.wat.gz": {"warcinfo": 1, "metadata": 1},
}


def test_every_real_file_is_covered():
    assert {p.name for p in REAL.glob("*.gz")} == set(REAL_COUNTS)


@pytest.mark.parametrize("name", sorted(REAL_COUNTS))
def test_real_file_record_counts(name):
    records = read_all(REAL / name)
    assert collections.Counter(r.warc_type for r in records) == REAL_COUNTS[name]
    assert len(records) == sum(REAL_COUNTS[name].values())
    errors = [r.error for r in records if r.error]
    assert errors == (["truncated_record"] if name == "resiliparse_clipped.warc.gz" else [])


def test_clipped_record_is_reported():
    path = REAL / "resiliparse_clipped.warc.gz"
    (rec,) = read_all(path)
    assert rec.error == "truncated_record"   # the gzip stream itself ends early, inside the block
    assert rec.headers["content-length"] == "88275"
    assert rec.target_uri.startswith("http://www.houstonpress.com/music/a-humble-chance")
    assert (rec.offset, rec.length, rec.block) == (0, path.stat().st_size, b"")


def test_clueweb_warc_018_with_lf_only_http_headers():
    records = read_all(REAL / "resiliparse_clueweb-quirk.warc.gz")
    info = records[0]
    assert info.warc_type == "warcinfo"
    assert info.date == "2008-10-294T05:21:46-0700"     # raw, as written (not a valid date)
    responses = [r for r in records if r.warc_type == "response"]
    assert len(responses) == 29
    for rec in responses:
        http = warc.parse_http_response(rec.block)
        assert http.status == 200
        assert http.headers["content-type"] == "text/html; charset=EUC-JP"
        # the header says gzip, but ClueWeb stored the decoded page
        assert http.headers["content-encoding"] == "gzip"
        assert http.body.startswith(b"<html>")
    first = warc.parse_http_response(responses[0].block)
    assert first.headers["server"] == "Apache"
    assert first.headers["content-length"] == "31291"


def test_wget_chunked_body_is_dechunked():
    records = read_all(REAL / "dolma_sample-0000.warc.gz")
    (rec,) = [r for r in records if r.warc_type == "response"
              and r.target_uri == "https://www.cs.washington.edu/people/faculty/weld"]
    assert rec.headers["warc-target-uri"] == "<https://www.cs.washington.edu/people/faculty/weld>"
    raw_body = rec.block[rec.block.index(b"\r\n\r\n") + 4:]
    assert raw_body.startswith(b"6a43\r\n")
    http = warc.parse_http_response(rec.block)
    assert http.status == 200
    assert http.headers["transfer-encoding"] == "chunked"
    assert len(http.body) == 0x6A43
    assert http.body.strip().startswith(b"<")
    assert http.body.rstrip().endswith(b"</html>")


def test_cc_bodies_marked_as_already_decoded_stay_as_they_are():
    records = read_all(CC_EXCERPT)
    decoded = 0
    for rec in records:
        if rec.warc_type != "response":
            continue
        http = warc.parse_http_response(rec.block)
        assert http.status == 200
        if http.headers.get("x-crawler-content-encoding") == "gzip":
            decoded += 1
            assert "content-encoding" not in http.headers
            assert b"<" in http.body[:40]
    assert decoded == 12


# --------------------------------------------------------------------------------------------------
# 4. cross-check with warcio
# --------------------------------------------------------------------------------------------------

def test_same_records_as_warcio_on_cc_excerpt():
    from warcio.archiveiterator import ArchiveIterator

    theirs = []
    with open(CC_EXCERPT, "rb") as fh:
        it = ArchiveIterator(fh, no_record_parse=True)
        for rec in it:
            block = rec.raw_stream.read()
            theirs.append((rec.rec_headers.get_header("WARC-Record-ID"), it.get_record_offset(), block))
    ours = [(r.record_id, r.offset, r.block) for r in read_all(CC_EXCERPT)]
    assert len(ours) == len(theirs) == 50
    assert [x[0] for x in ours] == [x[0] for x in theirs]
    assert [x[1] for x in ours] == [x[1] for x in theirs]
    for (rid, _, block), (_, _, their_block) in zip(ours, theirs):
        assert block == their_block, rid


# --------------------------------------------------------------------------------------------------
# 5. streaming
# --------------------------------------------------------------------------------------------------

class CountingStream:
    """A read-only, non-seekable stream that records every read."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)
        self.reads: list[int] = []
        self.total = 0

    def read(self, n: int = -1) -> bytes:
        assert n is not None and n > 0, "the reader must never ask for the whole stream"
        chunk = self._data.read(n)
        self.reads.append(n)
        self.total += len(chunk)
        return chunk


def test_reader_streams_in_bounded_reads():
    one = CC_EXCERPT.read_bytes()
    data = one * 12                                    # ~1.6 MB: more than one read chunk
    assert len(data) > 1.5 * warc.READ_CHUNK
    stream = CountingStream(data)
    read_when_first_yielded = None
    count = 0
    for rec in warc.iter_records(stream):
        if read_when_first_yielded is None:
            read_when_first_yielded = stream.total
        assert rec.error is None
        count += 1
    assert count == 50 * 12
    assert max(stream.reads) <= warc.READ_CHUNK
    assert read_when_first_yielded <= warc.READ_CHUNK < len(data)
    assert stream.total == len(data)                   # every byte read once, none twice
    assert len(stream.reads) <= len(data) // warc.READ_CHUNK + 3


def test_tiny_reads_give_the_same_records():
    data = (BROKEN / "mixed_compression.warc.gz").read_bytes()

    class Trickle(CountingStream):
        def read(self, n=-1):
            return super().read(min(n, 7))

    expected = [(r.offset, r.length, r.record_id, r.error) for r in records_of(data)]
    assert [(r.offset, r.length, r.record_id, r.error) for r in warc.iter_records(Trickle(data))] == expected


def test_offsets_count_from_the_stream_position():
    data = CC_EXCERPT.read_bytes()
    records = records_of(data)
    fh = io.BytesIO(data)
    fh.seek(records[10].offset)
    assert [(r.offset, r.length) for r in warc.iter_records(fh)] == [(r.offset, r.length) for r in records[10:]]


def test_open_stream_local_path_and_file_url_agree():
    plain = read_all(CC_EXCERPT)
    with warc.open_stream(CC_EXCERPT.as_uri()) as fh:
        via_fsspec = list(warc.iter_records(fh))
    assert [(r.offset, r.length, r.block) for r in via_fsspec] == [(r.offset, r.length, r.block) for r in plain]


# --------------------------------------------------------------------------------------------------
# more damage, built in memory from the real files
# --------------------------------------------------------------------------------------------------

def whirlwind_members() -> tuple[bytes, list[warc.WarcRecord], list[bytes]]:
    data = (REAL / "whirlwind.warc.gz").read_bytes()
    records = records_of(data)
    return data, records, [gzip.decompress(m) for m in member_slices(data, records)]


def test_several_records_in_one_gzip_member_share_its_range():
    data = CC_EXCERPT.read_bytes()
    per_member = records_of(data)
    one_member = gzip.compress(gzip.decompress(data))
    records = records_of(one_member)
    assert [(r.record_id, r.block) for r in records] == [(r.record_id, r.block) for r in per_member]
    assert {(r.offset, r.length) for r in records} == {(0, len(one_member))}
    assert all(r.error is None for r in records)


def test_wrong_content_length_inside_a_multi_record_member():
    _, records, texts = whirlwind_members()
    clen = records[1].headers["content-length"]
    shortened = texts[1].replace(b"Content-Length: " + clen.encode(),
                                 b"Content-Length: " + str(int(clen) - 20).encode(), 1)
    blob = gzip.compress(texts[0] + shortened + texts[2] + texts[3])
    out = records_of(blob)
    assert [(r.warc_type, r.error) for r in out] == [
        ("warcinfo", None), ("request", "content_length_mismatch"), ("response", None), ("metadata", None)]


def test_block_digest_is_verified_in_base32_and_hex():
    data, records, texts = whirlwind_members()
    resp = records[2]
    assert resp.warc_type == "response" and resp.headers["warc-block-digest"].startswith("sha1:")
    pos = texts[2].index(b"</html>")
    damaged = texts[2][:pos] + b"</HTML>" + texts[2][pos + 7:]
    blob = data[:resp.offset] + gzip.compress(damaged) + data[resp.offset + resp.length:]

    out = records_of(blob)
    assert [r.error for r in out] == [None, None, "block_digest_mismatch", None]
    assert out[2].target_uri == "https://an.wikipedia.org/wiki/Escopete" and out[2].block == b""
    unchecked = records_of(blob, verify_digests=False)
    assert [r.error for r in unchecked] == [None] * 4
    assert b"</HTML>" in unchecked[2].block

    b32 = resp.headers["warc-block-digest"]
    hexed = "sha1:" + base64.b32decode(b32[5:]).hex()
    assert hexed[5:] == hashlib.sha1(resp.block).hexdigest()
    good_hex = texts[2].replace(b32.encode(), hexed.encode(), 1)
    bad_hex = damaged.replace(b32.encode(), hexed.encode(), 1)
    for member, expected in ((good_hex, None), (bad_hex, "block_digest_mismatch")):
        blob = data[:resp.offset] + gzip.compress(member) + data[resp.offset + resp.length:]
        assert records_of(blob)[2].error == expected


def test_record_too_large_is_skipped_and_reading_goes_on():
    data, records, texts = whirlwind_members()
    out = records_of(data, max_record_bytes=5000)
    assert [(r.warc_type, r.error) for r in out] == [
        ("warcinfo", None), ("request", None), ("response", "record_too_large"), ("metadata", None)]
    assert_tiles(out, len(data))
    plain = b"".join(texts)
    out = records_of(plain, max_record_bytes=5000)
    assert [(r.warc_type, r.error) for r in out] == [
        ("warcinfo", None), ("request", None), ("response", "record_too_large"), ("metadata", None)]
    assert_tiles(out, len(plain))


def test_junk_between_members_is_one_unreadable_span():
    data, records, _ = whirlwind_members()
    junk = b"\x00garbage\xff" * 50
    cut = records[1].offset
    blob = data[:cut] + junk + data[cut:]
    out = records_of(blob)
    assert [r.error for r in out] == [None, "unreadable_bytes", None, None, None]
    assert (out[1].offset, out[1].length) == (cut, len(junk))
    assert [r.record_id for r in out if not r.error] == [r.record_id for r in records]


def test_plain_record_cut_in_its_block():
    _, records, texts = whirlwind_members()
    plain = b"".join(texts)
    out = records_of(plain[:-100])
    assert [r.error for r in out] == [None, None, None, "truncated_record"]
    assert out[-1].offset + out[-1].length == len(plain) - 100


def test_member_that_is_not_a_warc_record():
    data, records, _ = whirlwind_members()
    cut = records[1].offset
    bogus = gzip.compress(b"hello, this is not WARC\r\n\r\n")
    out = records_of(data[:cut] + bogus + data[cut:])
    assert [r.error for r in out] == [None, "invalid_warc_header", None, None, None]
    assert (out[1].offset, out[1].length) == (cut, len(bogus))


# --------------------------------------------------------------------------------------------------
# parse_http_response on hand-made messages
# --------------------------------------------------------------------------------------------------

HTML = b"<html><body>" + b"x^2 + y^2 = z^2 " * 50 + b"</body></html>"


def http(head: str, body: bytes) -> bytes:
    return head.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_http_gzip_and_deflate_bodies_are_decoded():
    gz = http("HTTP/1.1 200 OK\nContent-Encoding: gzip\n", gzip.compress(HTML))
    assert warc.parse_http_response(gz).body == HTML
    zl = http("HTTP/1.1 200 OK\nContent-Encoding: deflate\n", zlib.compress(HTML))
    assert warc.parse_http_response(zl).body == HTML
    raw = zlib.compressobj(wbits=-15)
    raw_deflate = raw.compress(HTML) + raw.flush()
    assert warc.parse_http_response(http("HTTP/1.0 200 OK\nContent-Encoding: deflate\n", raw_deflate)).body == HTML


def test_http_broken_gzip_raises():
    damaged = bytearray(gzip.compress(HTML))
    damaged[15:25] = b"\xff" * 10
    with pytest.raises(warc.HttpParseError, match="gzip"):
        warc.parse_http_response(http("HTTP/1.1 200 OK\nContent-Encoding: gzip\n", bytes(damaged)))


def test_http_crawler_content_encoding_means_already_decoded():
    block = http("HTTP/1.1 200 OK\nX-Crawler-Content-Encoding: gzip\nContent-Encoding: gzip\n",
                 gzip.compress(HTML))
    assert warc.parse_http_response(block).body == gzip.compress(HTML)


def test_http_chunked_and_bad_chunked():
    chunked = b"a\r\n" + HTML[:10] + b"\r\n" + format(len(HTML) - 10, "x").encode() + b";ext=1\r\n" \
        + HTML[10:] + b"\r\n0\r\n\r\n"
    head = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n"
    assert warc.parse_http_response(http(head, chunked)).body == HTML
    not_chunked = b"zz\r\n" + HTML
    assert warc.parse_http_response(http(head, not_chunked)).body == not_chunked


def test_http_headers_lf_only_repeated_and_status_variants():
    block = b"HTTP/1.1 404 Not Found\nSet-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: text/html\n\n<p>"
    resp = warc.parse_http_response(block)
    assert (resp.status, resp.headers, resp.body) == (
        404, {"set-cookie": "a=1, b=2", "content-type": "text/html"}, b"<p>")
    assert warc.parse_http_response(b"HTTP/2 301\r\nLocation: /x\r\n\r\n").status == 301
    cont = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"
    assert (warc.parse_http_response(cont).status, warc.parse_http_response(cont).body) == (200, b"body")


@pytest.mark.parametrize("block", [
    b"\x16\x03\x01\x02\x00 HTPP/1.1 2OO 0K garbage\r\n\r\n<html>",
    b"HTPP/1.1 200 OK\r\n\r\n<html>",
    b"HTTP/1.1 2OO OK\r\n\r\n<html>",
    b"<html>no status line</html>",
    b"",
])
def test_http_bad_status_line_raises(block):
    with pytest.raises(warc.HttpParseError):
        warc.parse_http_response(block)


def test_http_unsupported_content_coding_raises():
    with pytest.raises(warc.HttpParseError, match="br"):
        warc.parse_http_response(http("HTTP/1.1 200 OK\nContent-Encoding: br\n", b"\x8b\x02\x80"))


def test_record_properties():
    rec = warc.WarcRecord(0, 1, {"warc-type": "Response", "warc-target-uri": "<http://a/>",
                                 "warc-record-id": "<urn:uuid:1>", "warc-date": "2024-01-01T00:00:00Z"}, b"")
    assert (rec.warc_type, rec.target_uri, rec.record_id, rec.date) == (
        "response", "http://a/", "<urn:uuid:1>", "2024-01-01T00:00:00Z")
    empty = warc.WarcRecord(0, 1, {}, b"", "not_a_warc")
    assert (empty.warc_type, empty.target_uri, empty.record_id, empty.date) == ("", "", "", "")
    assert re.fullmatch(r"[a-z_]+", " ".join(warc.REASONS).replace(" ", "_"))
