"""Write collected real web pages as a Common-Crawl-style labelled crawl: WARC files and a `truth.jsonl`.

    python data/realweb/build.py --out data/realweb/dev   STAGING_DIR [STAGING_DIR ...]
    python data/realweb/build.py --out data/realweb/general --max-pages 1000 --max-bytes 300000 STAGING_DIR

Each staging folder holds `manifest.jsonl` (one page a line: id, file, url, site, source, licence, lang,
genre, label, markup, note; optionally charset and dataset) and the raw page bytes under it. Pages are
written as they were found: a response record per page, one gzip member per record, with an HTTP header
that names the charset only when the manifest does (otherwise the page's own `<meta>` or the bytes decide,
as with many real servers). Record ids, dates and the order of records are derived from the pages, so the
same input gives the same files.

Every page's site (host) goes to one split, `guide` or `measured`, by a hash of its name (a share
`--guide-share` of the sites to `guide`), so that a site never moves when pages are added. One part may guide
choices; the other is only ever measured.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
FIELDS = ("url", "site", "source", "licence", "lang", "genre", "label", "markup", "note", "dataset")
START = datetime(2026, 11, 2, tzinfo=timezone.utc)


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load(folders: list[Path], max_bytes: int) -> list[dict]:
    pages, urls, digests = [], set(), set()
    for folder in folders:
        for line in open(folder / "manifest.jsonl", encoding="utf-8"):
            row = json.loads(line)
            body = (folder / row["file"]).read_bytes()
            digest = hashlib.sha1(body).hexdigest()
            if row["url"] in urls or digest in digests or not body or len(body) > max_bytes:
                continue
            urls.add(row["url"])
            digests.add(digest)
            row["url"] = quote(row["url"], safe=_URL_SAFE)     # an IRI as a crawler writes it: UTF-8, %-escaped
            # `charset`: the encoding the bytes are in where the page does not say it (or says another), which
            # the HTTP header then names, as the site's server did for the stored bytes
            charset = (row.get("charset") or "").split(" ", 1)[0] or None
            pages.append({**{k: row.get(k) for k in FIELDS}, "charset": charset, "body": body,
                          "digest": digest, "folder": folder})
    return pages


def split_sites(pages: list[dict], guide_share: float) -> dict[str, str]:
    """site -> guide | measured, by a hash of the site's name alone: adding pages or sites never moves a site."""
    return {page["site"]: "guide" if int(_hash(page["site"])[:8], 16) < guide_share * 16 ** 8 else "measured"
            for page in pages}


def write(pages: list[dict], out: Path, name: str, per_file: int) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    pages = sorted(pages, key=lambda p: _hash(p["url"]))
    truth, paths = [], []
    for start in range(0, len(pages), per_file):
        file_name = f"{name}-{start // per_file:05d}.warc.gz"
        paths.append(file_name)
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        info = writer.create_warcinfo_record(file_name, {"software": "webmath data/realweb/build.py",
                                                         "isPartOf": name, "format": "WARC File Format 1.1"})
        info.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(_hash(file_name)[:32])}>")
        info.rec_headers.replace_header("WARC-Date", START.strftime("%Y-%m-%dT%H:%M:%SZ"))
        writer.write_record(info)
        for i, page in enumerate(pages[start:start + per_file]):
            record_id = f"<urn:uuid:{uuid.UUID(_hash(name + page['url'])[:32])}>"
            date = (START + timedelta(minutes=start + i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            content_type = "text/html" + (f"; charset={page['charset']}" if page.get("charset") else "")
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type),
                                               ("Content-Length", str(len(page["body"])))], protocol="HTTP/1.1")
            offset = buffer.tell()
            record = writer.create_warc_record(page["url"], "response", payload=io.BytesIO(page["body"]),
                                               http_headers=http,
                                               warc_headers_dict={"WARC-Record-ID": record_id, "WARC-Date": date})
            writer.write_record(record)
            truth.append({"warc_file": file_name, "record_id": record_id, "warc_offset": offset,
                          "warc_length": buffer.tell() - offset, "dup_of": None, "near_dup_of": None,
                          **{k: page[k] for k in FIELDS if page.get(k) is not None}, "split": page["split"],
                          "payload_sha1": page["digest"], "payload_bytes": len(page["body"])})
        data = buffer.getvalue()
        (out / file_name).write_bytes(data)
    (out / "warc.paths").write_text("".join(p + "\n" for p in paths))
    with open(out / "truth.jsonl", "w", encoding="utf-8") as fh:
        for row in truth:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--name", help="WARC file name prefix (default: realweb-<out folder name>)")
    parser.add_argument("--max-pages", type=int, default=0, help="keep at most this many pages of each language (a hash sample)")
    parser.add_argument("--max-bytes", type=int, default=1 << 20, help="skip pages larger than this")
    parser.add_argument("--per-file", type=int, default=200, help="pages per WARC file")
    parser.add_argument("--guide-share", type=float, default=0.5, help="share of the sites in 'guide'")
    parser.add_argument("--split-with", type=Path, action="append", default=[],
                        help="another crawl's staging folder: its sites share the split (a site is in one split), "
                             "its pages are left out of this crawl")
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    # the other folders first: a page they hold (same URL or bytes) is theirs, not this crawl's
    pool = load(args.split_with + args.folders, args.max_bytes)
    split = split_sites(pool, args.guide_share)
    pages = [p for p in pool if p["folder"] in args.folders]
    if args.max_pages:
        per_lang = Counter()
        sample = []
        for page in sorted(pages, key=lambda p: _hash(p["url"])):
            per_lang[page["lang"]] += 1
            if per_lang[page["lang"]] <= args.max_pages:
                sample.append(page)
        pages = sample
    for page in pages:
        page["split"] = split[page["site"]]
    truth = write(pages, args.out, args.name or f"realweb-{args.out.name}", args.per_file)
    counts = Counter((r["split"], r["genre"], r["label"]) for r in truth)
    for key, n in sorted(counts.items()):
        print(*key, n, sep="\t")
    print(f"{len(truth)} pages from {len({r['site'] for r in truth})} sites -> {args.out}")


if __name__ == "__main__":
    main()
