"""Measuring a selection against labelled pages (pure Python, no Spark): precision, distinct recall, the
false-positive rate and where each lost page was lost, overall and per genre, markup kind and language, each
share with its 95% Wilson interval.

A labelled crawl's truth has one row per response: `record_id`, `label` (`math`, `non_math`, `non_html`), and
where known `url`, `dup_of` / `near_dup_of` (the URL of the page a planted copy copies), `genre`, `markup`
(the math markup kinds of the raw HTML), `lang` (else `lang_cld2`) and `split` (`guide` / `measured`).

Recall is counted over distinct pages of the configured languages: a math page counts as kept when it or a
copy of it is kept, and a page dropped for containing a benchmark test item is no loss (it leaves the
denominator). Precision and the false-positive rate count pages as they are.
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

LEAK_STAGE = "decontaminate"


class TruthError(ValueError):
    """A truth file that cannot be read; one line naming the file and line."""


@dataclass(frozen=True)
class Page:
    label: str                 # math, non_math or non_html
    group: str                 # record_id of the original page this one copies (its own if none)
    url: str | None = None
    genre: str = "unknown"
    markup: tuple[str, ...] = ()
    lang: str | None = None
    split: str | None = None

    @property
    def math(self) -> bool:
        return self.label == "math"


def load_truth(path: str | Path) -> dict[str, Page]:
    """record_id -> Page, with each copy's group resolved through chains of copies."""
    path = Path(path)
    if not path.is_file():
        raise TruthError(f"truth file not found: {path}")
    rows, copies, by_url = {}, {}, {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                record, _ = row["record_id"], row["label"]
            except (ValueError, KeyError, TypeError) as exc:
                raise TruthError(f"{path}:{n}: needs JSON with 'record_id' and 'label' ({exc})") from None
            rows[record] = row
            if row.get("url"):
                by_url[row["url"]] = row["record_id"]
            original = row.get("dup_of") or row.get("near_dup_of")
            if original:
                copies[row["record_id"]] = original
    pages = {}
    for record, row in rows.items():
        seen, node = {record}, record
        while node in copies and by_url.get(copies[node]) not in (None, *seen):
            node = by_url[copies[node]]
            seen.add(node)
        markup = row.get("markup") or []
        pages[record] = Page(label=row["label"], group=node, url=row.get("url"), genre=row.get("genre") or "unknown",
                             markup=tuple(markup) if isinstance(markup, list) else (str(markup),),
                             lang=row.get("lang") or row.get("lang_cld2"), split=row.get("split"))
    return pages


def only_split(pages: dict[str, Page], split: str | None) -> dict[str, Page]:
    """The pages of one split (all of them for None or "all"); a copy stays with its original's split."""
    if split in (None, "all"):
        return pages
    return {r: p for r, p in pages.items() if p.split == split}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of the share k/n (z = 1.96: 95%); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def implied_precision(recall: float, false_positive_rate: float, base_rate: float) -> float:
    """The precision a selection with this recall and false-positive rate has where a share `base_rate` of
    the pages is math (Bayes): on Common Crawl about one page in a hundred is."""
    kept_math = recall * base_rate
    kept_other = false_positive_rate * (1 - base_rate)
    return kept_math / (kept_math + kept_other) if kept_math + kept_other else 0.0


@dataclass(frozen=True)
class Share:
    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)


@dataclass(frozen=True)
class Selection:
    """What a set of pages looks like after a stage: precision over kept pages, distinct recall of math, and
    the share of non-math pages that got through."""
    kept: int
    precision: Share
    recall: Share             # distinct math pages of the configured languages, leaks left out
    false_positives: Share    # non-math pages kept, of all non-math pages


def select(pages: dict[str, Page], kept: set[str], leaked: set[str], languages: tuple[str, ...] | None
           ) -> Selection:
    """The selection `kept` (record ids) measured on `pages`. `leaked`: record ids dropped for a benchmark
    leak; `languages`: the configured languages (None = every page counts for recall)."""
    ids = kept & pages.keys()
    math_kept = sum(pages[r].math for r in ids)
    groups = _recall_groups(pages, leaked, languages)
    kept_groups = {pages[r].group for r in ids if pages[r].math} & groups
    non_math = [r for r, p in pages.items() if p.label == "non_math"]
    return Selection(kept=len(ids), precision=Share(math_kept, len(ids)),
                     recall=Share(len(kept_groups), len(groups)),
                     false_positives=Share(sum(1 for r in non_math if r in ids), len(non_math)))


def _recall_groups(pages: dict[str, Page], leaked: set[str], languages: tuple[str, ...] | None) -> set[str]:
    """The distinct math pages recall is counted over: groups with a math page in a configured language,
    less those with a member dropped for a benchmark leak."""
    leaked_groups = {pages[r].group for r in leaked if r in pages}
    return {p.group for p in pages.values()
            if p.math and (languages is None or p.lang is None or p.lang in languages)} - leaked_groups


def by(pages: dict[str, Page], key) -> dict[str, dict[str, Page]]:
    """pages split by `key(page)`, which returns one value or a tuple of values (a page in several parts)."""
    parts: dict[str, dict[str, Page]] = defaultdict(dict)
    for record, page in pages.items():
        values = key(page)
        for value in values if isinstance(values, tuple) else (values,):
            parts[value][record] = page
    return dict(sorted(parts.items()))


def markup_kinds(page: Page) -> tuple[str, ...]:
    return page.markup or ("none",)


@dataclass(frozen=True)
class Loss:
    record_id: str
    url: str | None
    genre: str
    stage: str
    reason: str
    value: str | None


def losses(pages: dict[str, Page], kept: set[str], leaked: set[str], languages: tuple[str, ...] | None,
           furthest: dict[str, int], rejected: dict[str, tuple[str, str, str | None]]) -> list[Loss]:
    """Where each distinct math page that did not reach the final table was lost. A group's loss is that of
    the member that got furthest (`furthest`: record id -> index of the last table it is in, -1 for none),
    taken from its `rejected` row (record id -> stage, reason, value); a page with no such row was never read
    as a document (`extract`, `not_extracted`)."""
    groups = _recall_groups(pages, leaked, languages)
    kept_groups = {pages[r].group for r in kept if r in pages and pages[r].math}
    members: dict[str, list[str]] = defaultdict(list)
    for record, page in pages.items():
        if page.group in groups and page.math:
            members[page.group].append(record)
    out = []
    for group in sorted(groups - kept_groups):
        record = max(members[group], key=lambda r: (furthest.get(r, -1), r == group, r))
        stage, reason, value = rejected.get(record, ("extract", "not_extracted", None))
        page = pages[record]
        out.append(Loss(record, page.url, page.genre, stage, reason, value))
    return out


@dataclass(frozen=True)
class FormulaCount:
    """TeX strings found in a page's raw HTML, and how many of them its text holds."""
    pages: int
    tex: int
    found: int

    @property
    def share(self) -> float:
        return self.found / self.tex if self.tex else 1.0


def formula_fidelity(pages: dict[str, Page], counts: dict[str, tuple[int, int]]) -> dict[str, FormulaCount]:
    """Formula fidelity over the pages whose raw HTML carries TeX: all of them ("all") and per genre.
    `counts`: record id -> (TeX strings in the raw HTML, of them present in the text)."""
    parts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for record, (tex, found) in counts.items():
        if record in pages and tex:
            parts["all"].append((tex, found))
            parts[pages[record].genre].append((tex, found))
    return {name: FormulaCount(len(rows), sum(t for t, _ in rows), sum(f for _, f in rows))
            for name, rows in sorted(parts.items(), key=lambda kv: (kv[0] != "all", kv[0]))}


def stage_counts(items: list[tuple[str, str, str | None]]) -> list[tuple[str, str, int]]:
    """(stage, reason, pages) of a list of losses' (stage, reason, value), most first."""
    counted = Counter((stage, reason) for stage, reason, _ in items)
    return [(s, r, n) for (s, r), n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))]
