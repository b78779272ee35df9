"""The extract stage on real Spark and real Delta tables, over real WARC files."""
from __future__ import annotations

import gzip
import http.server
import json
import shutil
import threading
from functools import partial

import pytest

from jobs import extract, inputs, stats, tables
from tests.conftest import BROKEN, REAL, SAMPLE, make_config


NO_TEXT = {"https://docs.djangoproject.com/en/3.2/ref/forms/",
           "https://docs.djangoproject.com/en/3.2/topics/http/generic-views/"}


def run_extract(spark, warehouse, input_spec, run_id="run-test", *overrides):
    cfg = make_config(f'run.warehouse="{warehouse}"', f'run.run_id="{run_id}"', *overrides)
    paths = inputs.resolve(input_spec)
    return extract.run(spark, cfg, paths)


def read(spark, warehouse, table):
    return tables.read(spark, str(warehouse), table)


@pytest.fixture(scope="module")
def sample_wh(spark, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sample")
    summary = run_extract(spark, warehouse, str(SAMPLE / "warc.paths"))
    return warehouse, summary


def test_sample_crawl_documents_match_truth(spark, sample_wh, truth):
    warehouse, summary = sample_wh
    docs = {r["warc_record_id"]: r for r in read(spark, warehouse, "documents").collect()}
    # two Django index pages are all navigation: main-content extraction leaves no text (rejected: no_text)
    html_ok = [t for t in truth if t["label"] != "non_html" and t["http_status"] == 200 and t["url"] not in NO_TEXT]
    assert len(html_ok) == 458
    assert set(docs) == {t["record_id"] for t in html_ok}
    for t in html_ok:
        doc = docs[t["record_id"]]
        assert (doc["url"], doc["warc_path"].rsplit("/", 1)[1], doc["warc_record_offset"], doc["warc_record_length"],
                doc["payload_digest"], doc["crawl"]) == (
            t["url"], t["warc_file"], t["warc_offset"], t["warc_length"], t["payload_digest"], "CC-SAMPLE-2026-01")
        assert doc["http_status"] == 200 and doc["run_id"] == "run-test"
        assert doc["fetch_time"] is not None and doc["text"]
    assert summary == {"files": 3, "records_read": 3 * 1 + 467 * 3, "kept": 458, "skipped": 9}


def test_sample_crawl_rejections_and_log(spark, sample_wh, truth):
    warehouse, _ = sample_wh
    rejected = read(spark, warehouse, "rejected").collect()
    by_url = {t["url"]: t for t in truth}
    got = sorted((r["reason"], r["value"], by_url[r["url"]]["special"] or "") for r in rejected)
    assert got == [
        ("http_status_not_ok", "301", "http_301"),
        ("http_status_not_ok", "404", "http_404"),
        ("no_text", "0", ""),
        ("no_text", "0", "no_charset_header"),
        ("not_html", "application/pdf", "pdf"),
        ("not_html", "application/pdf", "pdf"),
        ("not_html", "image/png", "png"),
        ("not_html", "image/png", "png"),
        ("not_html", "text/plain; charset=utf-8", "text_plain"),
    ]
    for r in rejected:  # rejected rows carry full provenance
        t = by_url[r["url"]]
        assert (r["warc_record_id"], r["warc_record_offset"], r["warc_record_length"], r["stage"]) == (
            t["record_id"], t["warc_offset"], t["warc_length"], "extract")
    log = read(spark, warehouse, "ingest_log").collect()
    assert sorted((r["warc_path"].rsplit("/", 1)[1], r["status"], r["records_kept"], r["records_skipped"])
                  for r in log) == [
        ("CC-SAMPLE-2026-01-mini-00000.warc.gz", "ok", 153, 3),
        ("CC-SAMPLE-2026-01-mini-00001.warc.gz", "ok", 152, 4),
        ("CC-SAMPLE-2026-01-mini-00002.warc.gz", "ok", 153, 2),
    ]


def test_odd_pages_charset_and_truncation(spark, sample_wh, truth):
    warehouse, _ = sample_wh
    docs = {r["url"]: r for r in read(spark, warehouse, "documents").collect()}
    special = {t["special"]: docs.get(t["url"]) for t in truth if t["special"]}
    assert special["giant_4.9MB"]["truncated"] == "html_capped"
    assert special["giant_4.9MB"]["html_bytes"] > 4_800_000
    assert special["truncated_at_1MiB"]["truncated"] == "warc_length"
    assert special["latin1"]["charset"] == "cp1252"
    assert special["charset_mismatch_cp1252_declared_utf8"]["charset"] == "cp1252"
    assert "\ufffd" not in special["charset_mismatch_cp1252_declared_utf8"]["text"]
    assert special["no_charset_anywhere"]["charset"] == "utf-8"
    assert "カーネル" in special["no_charset_anywhere"]["text"]


def test_stage_stats_are_the_tables_counts(spark, sample_wh):
    warehouse, _ = sample_wh
    run_id, rows = stats.funnel(spark, str(warehouse), "run-test")
    got = {(stage, counter): value for stage, counter, value in rows}
    assert got == {
        ("extract", "input"): 467, ("extract", "kept"): 458, ("extract", "files"): 3, ("extract", "files.ok"): 3,
        ("extract", "records_read"): 1404, ("extract", "rejected.http_status_not_ok"): 2,
        ("extract", "rejected.not_html"): 5, ("extract", "rejected.no_text"): 2,
    }


def test_rerun_replaces_the_slice(spark, tmp_path):
    run_extract(spark, tmp_path, str(REAL / "resiliparse_warcfile.warc.gz"), "run-a")
    first = {t: read(spark, tmp_path, t).count() for t in ("documents", "rejected", "ingest_log")}
    run_extract(spark, tmp_path, str(REAL / "resiliparse_warcfile.warc.gz"), "run-b")
    second = {t: read(spark, tmp_path, t).count() for t in ("documents", "rejected", "ingest_log")}
    assert first == second == {"documents": 16, "rejected": 0, "ingest_log": 1}
    assert {r["run_id"] for r in read(spark, tmp_path, "documents").collect()} == {"run-b"}
    # a second input next to the first adds its own slice and leaves the first alone
    run_extract(spark, tmp_path, str(REAL / "whirlwind.warc.gz"), "run-c")
    assert read(spark, tmp_path, "documents").count() == 17
    assert read(spark, tmp_path, "ingest_log").count() == 2


def test_offsets_in_the_table_address_the_gzip_member(spark, tmp_path):
    """Reading warc_record_length bytes at warc_record_offset gives exactly that record, for every document
    of the real Common Crawl excerpt."""
    run_extract(spark, tmp_path, str(REAL / "resiliparse_warcfile.warc.gz"))
    docs = read(spark, tmp_path, "documents").collect()
    assert len(docs) == 16
    assert {d["crawl"] for d in docs} == {"CC-MAIN-2020-34"}
    with open(REAL / "resiliparse_warcfile.warc.gz", "rb") as fh:
        for doc in docs:
            fh.seek(doc["warc_record_offset"])
            member = fh.read(doc["warc_record_length"])
            record = gzip.decompress(member)
            assert record.startswith(b"WARC/1.0\r\n")
            assert f"WARC-Record-ID: {doc['warc_record_id']}\r\n".encode() in record
            assert f"WARC-Target-URI: {doc['url']}\r\n".encode() in record


def test_broken_warcs_keep_every_good_record(spark, tmp_path):
    expected = json.loads((BROKEN / "expected.json").read_text())
    listing = tmp_path / "warc.paths"
    names = sorted(expected) + ["does-not-exist.warc.gz"]
    listing.write_text("".join(f"{BROKEN / n}\n" for n in names))
    run_extract(spark, tmp_path / "wh", str(listing))
    docs = read(spark, tmp_path / "wh", "documents").collect()
    good = {url for e in expected.values() for url in e["good_response_urls"]}
    bad = {url for e in expected.values() for url in e["bad_response_urls"]}
    assert {d["url"] for d in docs} == good
    assert len(docs) == len(good) == 22
    rejected = read(spark, tmp_path / "wh", "rejected").collect()
    pg = "https://www.postgresql.org/docs/15/"
    # every damaged record is a rejection with its reason; the corrupt member is unreadable, so it has no URL
    assert sorted((r["warc_path"].rsplit("/", 1)[1], r["reason"], r["url"], r["warc_record_offset"])
                  for r in rejected) == [
        ("corrupt_deflate_member.warc.gz", "corrupt_gzip_member", None, 3232),
        ("garbage_http_status.warc.gz", "http_parse_error", pg + "sql-dropoperator.html", 6852),
        ("not_a_warc.warc.gz", "not_a_warc", None, 0),
        ("truncated_last_member.warc.gz", "truncated_record", pg + "infoschema-sql-implementation-info.html", 9080),
        ("wrong_content_length_long.warc.gz", "content_length_mismatch", pg + "pgprewarm.html", 4309),
        ("wrong_content_length_short.warc.gz", "content_length_mismatch",
         pg + "infoschema-routine-column-usage.html", 4750),
    ]
    assert bad - {r["url"] for r in rejected} == {pg + "catalog-pg-attrdef.html"}
    log = {r["warc_path"].rsplit("/", 1)[1]: r for r in read(spark, tmp_path / "wh", "ingest_log").collect()}
    assert len(log) == 10
    assert log["does-not-exist.warc.gz"]["status"] == "failed"
    assert "FileNotFoundError" in log["does-not-exist.warc.gz"]["error"]
    assert log["empty.warc.gz"]["status"] == "empty"
    assert log["not_a_warc.warc.gz"]["status"] == "failed"
    assert log["uncompressed_named_gz.warc.gz"]["status"] == "ok"
    assert log["mixed_compression.warc.gz"]["records_kept"] == 4
    for name in ("truncated_last_member.warc.gz", "wrong_content_length_short.warc.gz",
                 "wrong_content_length_long.warc.gz", "corrupt_deflate_member.warc.gz"):
        assert log[name]["status"] == "partial", name
        assert log[name]["records_kept"] == 3, name
    assert log["garbage_http_status.warc.gz"]["status"] == "ok"
    assert log["corrupt_deflate_member.warc.gz"]["error"] == "corrupt_gzip_member x1"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_http_input_equals_local_input(spark, tmp_path):
    """WARCs served over HTTP on loopback give the same documents, offsets and ids as the local files."""
    served = tmp_path / "served"
    served.mkdir()
    for name in ("resiliparse_warcfile.warc.gz", "dolma_sample-0000.warc.gz"):
        shutil.copy(REAL / name, served / name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        listing = tmp_path / "warc.paths"
        listing.write_text("resiliparse_warcfile.warc.gz\ndolma_sample-0000.warc.gz\n")
        prefix = f"http://127.0.0.1:{server.server_port}/"
        cfg = make_config(f'run.warehouse="{tmp_path / "http"}"', 'run.run_id="r"', f'input.prefix="{prefix}"')
        paths = inputs.resolve(str(listing), prefix)
        assert paths == [prefix + "resiliparse_warcfile.warc.gz", prefix + "dolma_sample-0000.warc.gz"]
        extract.run(spark, cfg, paths)
    finally:
        server.shutdown()
    run_extract(spark, tmp_path / "local", str(served))
    key = lambda r: (r["doc_id"], r["warc_path"].rsplit("/", 1)[1], r["warc_record_offset"],
                     r["warc_record_length"], r["text"])
    over_http = sorted(map(key, read(spark, tmp_path / "http", "documents").collect()))
    local = sorted(map(key, read(spark, tmp_path / "local", "documents").collect()))
    assert len(over_http) == 16 + 22
    assert over_http == local
    log = read(spark, tmp_path / "http", "ingest_log").collect()
    assert [r["status"] for r in log] == ["ok", "ok"]


def test_odd_record_dates_do_not_cost_the_rest_of_the_file(tmp_path):
    """A WARC-Date that is out of range once moved to UTC leaves fetch_time empty; the file goes on."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from udfs.extract import extract_file

    path = tmp_path / "dates.warc.gz"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i, date in enumerate(["2026-01-10T00:00:00Z", "0001-01-01T00:00:00+01:00", "2026-01-11T00:00:00Z"]):
            body = f"<html><body><p>Page {i}: the derivative of x squared is 2x.</p></body></html>".encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://example.org/{i}", "response", payload=BytesIO(body),
                                               http_headers=http, warc_headers_dict={"WARC-Date": date})
            writer.write_record(record)
    rows = list(extract_file(str(path), extract.options(make_config(), "t")))
    docs = [r for r in rows if r["kind"] == "document"]
    assert [d["url"] for d in docs] == [f"https://example.org/{i}" for i in range(3)]
    assert [d["fetch_time"] is None for d in docs] == [False, True, False]
    assert rows[-1]["status"] == "ok" and rows[-1]["records_kept"] == 3
