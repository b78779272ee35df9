"""Real web pages of the project's development crawls (data/realweb/dev and data/realweb/general), read by URL
from their WARC files through each crawl's truth.jsonl. Tests of a mechanism use pages of the `guide` split only:
the `measured` split is never looked at to make a choice."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from udfs import extract, html

ROOT = Path(__file__).resolve().parent.parent / "data" / "realweb"


@lru_cache(maxsize=None)
def truth(crawl: str = "dev") -> dict[str, dict]:
    rows = [json.loads(line) for line in open(ROOT / crawl / "truth.jsonl", encoding="utf-8")]
    return {row["url"]: row for row in rows}


def row(url: str, crawl: str = "dev") -> dict:
    found = truth(crawl)[url]
    assert found["split"] == "guide", f"{url} is in the measured split: tests never look at it"
    return found


def raw(url: str, crawl: str = "dev") -> str:
    r = row(url, crawl)
    return extract.record_html(str(ROOT / crawl / r["warc_file"]), r["warc_offset"], r["warc_length"], r["record_id"])


def text(url: str, crawl: str = "dev") -> str:
    return html.extract(raw(url, crawl), url).text
