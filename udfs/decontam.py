"""Benchmark decontamination: an n-gram index of benchmark test items, matching documents against it, and
cutting the matches out of a document.

Benchmark text and documents go through one normalisation (`tokens`): HTML entities decoded, Unicode NFKC,
lower case, GSM8K's `<<a*b=c>>` calculator annotations dropped, TeX spacing and sizing commands (`\\,`,
`\\quad`, `\\left`, `\\displaystyle`, ...) dropped and display variants folded (`\\dfrac` -> `frac`), then word
tokens (`\\w+`). Whitespace, punctuation and TeX delimiters therefore never decide a match.

The index holds every word n-gram of every benchmark text (n = 13 by default, FineMath), and for a question
shorter than n tokens the whole question, matched exactly (DeepSeekMath). N-grams that carry too few real
words (number runs such as "1 2 3 ... 13", rows of Pascal's triangle, "1 a 2 a 3 a") are left out of the
index: they occur in ordinary pages and identify no test item. The index is a few sorted numpy arrays of
64-bit hashes, built once on the driver and broadcast; a document's n-grams are hashed in one vectorised
pass and looked up with a binary search, and every hit is confirmed on the text before it counts.
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path

import numpy as np
import pandas as pd

# One raw token: a GSM8K calculator annotation (dropped), a TeX command, or a run of word characters and HTML
# entities ("caf&eacute;" is one word).
_RAW = re.compile(r"<<[^<>\n]{0,200}>>|\\[A-Za-z]+|(?:\w|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)+")
_WORD = re.compile(r"\w+")
_PLAIN = re.compile(r"[a-z0-9_]+")
# TeX commands that only space, size or style what follows: they carry nothing to match on.
_TEX_DROP = frozenset({
    "quad", "qquad", "enspace", "thinspace", "medspace", "thickspace", "negthinspace", "hspace", "vspace",
    "hfill", "left", "right", "big", "bigl", "bigr", "bigm", "bigg", "biggl", "biggr", "displaystyle",
    "textstyle", "scriptstyle", "limits", "nolimits", "mathrm", "mathit", "mathbf", "textbf", "textit", "text",
    "textrm", "mbox", "rm", "bf", "it",
})
# Display variants of the same notation.
_TEX_ALIAS = {"dfrac": "frac", "tfrac": "frac", "dbinom": "binom", "tbinom": "binom", "le": "leq", "ge": "geq",
              "ne": "neq", "lvert": "vert", "rvert": "vert", "to": "rightarrow"}
_MULT = np.uint64(0x100000001B3)   # multiplier of the polynomial n-gram hash (FNV-1's 64-bit prime)


@lru_cache(maxsize=1 << 18)
def _normal(raw: str) -> tuple[str, ...]:
    """The normalised tokens of one raw token (none, one, or several when an entity splits a word)."""
    if raw.startswith("<<"):
        return ()
    if raw.startswith("\\"):
        name = raw[1:].lower()
        return () if name in _TEX_DROP else (_TEX_ALIAS.get(name, name),)
    if "&" in raw:
        raw = html.unescape(raw)
    low = raw.lower()
    if _PLAIN.fullmatch(low):
        return (low,)
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", low).lower()))


def tokens(text: str | None) -> list[str]:
    """The normalised word tokens of `text`."""
    if not isinstance(text, str):
        return []
    out: list[str] = []
    for raw in _RAW.findall(text):
        out.extend(_normal(raw))
    return out


def token_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """The normalised tokens of `text` with the start and end offset in `text` of the raw token each came
    from (the same tokens as `tokens`)."""
    toks: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _RAW.finditer(text):
        for tok in _normal(m.group()):
            toks.append(tok)
            starts.append(m.start())
            ends.append(m.end())
    return toks, starts, ends


@lru_cache(maxsize=1 << 18)
def _token_hash(tok: str) -> int:
    return int.from_bytes(blake2b(tok.encode("utf-8"), digest_size=8).digest(), "little")


def _rolling(ids: np.ndarray, n: int) -> np.ndarray:
    """Hash of every window of `n` consecutive token hashes (a polynomial hash; uint64 arithmetic wraps)."""
    m = len(ids) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = ids[:m].copy()
    for j in range(1, n):
        acc *= _MULT
        acc += ids[j:j + m]
    return acc


def _ids(toks: list[str]) -> np.ndarray:
    return np.fromiter((_token_hash(t) for t in toks), dtype=np.uint64, count=len(toks))


# --- benchmarks -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Benchmark:
    """One registry entry: a JSONL file of test items and the fields that hold each item's text."""
    name: str
    file: str
    question: tuple[str, ...]   # fields that make up the question as posed (a list field, e.g. choices, is joined)
    answer: tuple[str, ...] = ()   # fields of the answer or solution
    id: str = ""                 # field holding the item id; "" = the 0-based line number


@dataclass(frozen=True)
class Text:
    benchmark: str
    item_id: str
    is_question: bool
    text: str


def _field_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value if v is not None)
    return str(value)


def load_benchmark(bench: Benchmark) -> list[Text]:
    """The texts of every item of `bench`: its question (the question fields joined) and its answer (the answer
    fields joined), empty ones skipped. A line that is not a JSON
    object, or that lacks a question field, raises ValueError naming the file and line: a benchmark read
    partly would let contamination through unnoticed."""
    texts: list[Text] = []
    path = Path(bench.file)
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{line_no + 1}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{line_no + 1}: not a JSON object")
            if bench.id and bench.id not in row:
                raise ValueError(f"{path}:{line_no + 1}: no id field '{bench.id}'")
            item_id = str(row[bench.id]) if bench.id else str(line_no)
            for name in bench.question:
                if name not in row:
                    raise ValueError(f"{path}:{line_no + 1}: no question field '{name}'")
            for fields, is_question in ((bench.question, True), (bench.answer, False)):
                value = "\n".join(v for v in (_field_text(row.get(name)) for name in fields) if v)
                if value.strip():
                    texts.append(Text(bench.name, item_id, is_question, value))
    return texts


# --- the index ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexOptions:
    ngram: int = 13               # FineMath: 13-grams; DeepSeekMath: 10-grams
    min_exact_tokens: int = 3     # DeepSeekMath: questions shorter than n but of at least 3 tokens match exactly
    min_word_tokens: int = 3      # an n-gram needs this many real words to be indexed (a short question: one)
    min_word_chars: int = 2       # a real word: this many characters, at least one a letter
    min_matches: int = 2          # n-grams of one benchmark text a document must share (all, if it has fewer)


@lru_cache(maxsize=1 << 18)
def _is_word(tok: str, min_chars: int) -> bool:
    return len(tok) >= min_chars and not tok.isdigit() and any(c.isalpha() for c in tok)


def word_counts(toks: list[str], n: int, opts: IndexOptions) -> np.ndarray:
    """How many real words (not numbers, not one-letter variables) each window of `n` tokens holds."""
    flags = np.fromiter((_is_word(t, opts.min_word_chars) for t in toks), dtype=np.int32, count=len(toks))
    cum = np.concatenate([[0], np.cumsum(flags)])
    return cum[n:] - cum[:-n]


@dataclass
class Index:
    """Per window length: sorted n-gram hashes and, aligned with them, which text each came from."""
    opts: IndexOptions
    texts: list[tuple[str, str]]          # text number -> (benchmark, item id)
    normal: list[str]                     # text number -> its normalised tokens joined by spaces
    windows: list[int] = field(default_factory=list)   # text number -> how many n-grams of it are indexed
    keys: dict[int, np.ndarray] = field(default_factory=dict)    # length -> sorted uint64 hashes
    refs: dict[int, np.ndarray] = field(default_factory=dict)    # length -> int32 text numbers
    skipped: int = 0                      # n-grams left out as uninformative
    unmatchable: list[tuple[str, str]] = field(default_factory=list)   # items no n-gram of which is indexed

    @property
    def size(self) -> int:
        return sum(len(k) for k in self.keys.values())


def build_index(texts: list[Text], opts: IndexOptions) -> Index:
    n = opts.ngram
    by_len: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    index = Index(opts, [], [])
    covered: dict[tuple[str, str], bool] = {}
    for number, t in enumerate(texts):
        toks = tokens(t.text)
        index.texts.append((t.benchmark, t.item_id))
        index.normal.append(" ".join(toks))
        index.windows.append(0)
        key = (t.benchmark, t.item_id)
        covered.setdefault(key, False)
        if len(toks) >= n:
            keep = word_counts(toks, n, opts) >= opts.min_word_tokens
            index.skipped += int((~keep).sum())
            hashes, length = np.unique(_rolling(_ids(toks), n)[keep]), n
        elif t.is_question and len(toks) >= opts.min_exact_tokens and word_counts(toks, len(toks), opts)[0] >= 1:
            # a whole short question is specific enough with one real word: it only matches as a whole
            hashes, length = _rolling(_ids(toks), len(toks)), len(toks)
        else:
            continue
        index.windows[number] = len(hashes)
        if len(hashes):
            covered[key] = True
            by_len.setdefault(length, []).append((hashes, np.full(len(hashes), number, dtype=np.int32)))
    for length, parts in by_len.items():
        keys = np.concatenate([h for h, _ in parts])
        refs = np.concatenate([r for _, r in parts])
        order = np.argsort(keys, kind="stable")
        index.keys[length], index.refs[length] = keys[order], refs[order]
    index.unmatchable = [key for key, ok in covered.items() if not ok]
    return index


# --- matching a document --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    start: int      # first token of the window
    length: int     # tokens in the window
    text: int       # text number in the index


def find_hits(toks: list[str], index: Index) -> list[Hit]:
    """The windows of `toks` that are indexed n-grams (or whole short questions) of benchmark texts the
    document shares enough of: at least `min_matches` n-grams of one text, or all of them if it has fewer.
    One shared 13-gram is often a stock phrase of mathematics ("where a and b are integers and b neq 0"); a
    copied item shares dozens. Every hit is confirmed on the normalised text (a hash collision never counts)."""
    if not toks or not index.keys:
        return []
    ids = _ids(toks)
    hits = []
    for length, keys in index.keys.items():
        hashes = _rolling(ids, length)
        if not len(hashes):
            continue
        pos = np.searchsorted(keys, hashes)
        found = np.flatnonzero(keys[np.minimum(pos, len(keys) - 1)] == hashes)
        for i in found:
            lo = int(pos[i])
            hi = int(np.searchsorted(keys, hashes[i], side="right"))
            gram = " " + " ".join(toks[i:i + length]) + " "
            for ref in index.refs[length][lo:hi]:
                if gram in " " + index.normal[ref] + " ":
                    hits.append(Hit(int(i), length, int(ref)))
    grams: dict[int, set] = {}
    for h in hits:
        grams.setdefault(h.text, set()).add(" ".join(toks[h.start:h.start + h.length]))
    enough = {ref for ref, found in grams.items()
              if len(found) >= min(index.opts.min_matches, index.windows[ref])}
    hits = [h for h in hits if h.text in enough]
    hits.sort(key=lambda h: (h.start, h.text))
    return hits


def summarize(hits: list[Hit], toks: list[str], index: Index) -> list[dict]:
    """One entry per matched benchmark item, in order of first appearance: benchmark, item_id, the first
    matched n-gram (normalised) and how many windows of the document matched it."""
    items: dict[tuple[str, str], dict] = {}
    for h in hits:
        bench, item = index.texts[h.text]
        entry = items.get((bench, item))
        if entry is None:
            items[(bench, item)] = {"benchmark": bench, "item_id": item,
                                    "ngram": " ".join(toks[h.start:h.start + h.length]), "windows": 0}
            entry = items[(bench, item)]
        entry["windows"] += 1
    # a window that matches two texts of one item counts once
    seen = {}
    for h in hits:
        seen.setdefault(index.texts[h.text], set()).add((h.start, h.length))
    for key, windows in seen.items():
        items[key]["windows"] = len(windows)
    return list(items.values())


def describe(matches: list[dict], limit: int = 2000) -> str:
    """`benchmark/item_id "ngram"` for each match, as the value of a rejected row."""
    text = "; ".join(f'{m["benchmark"]}/{m["item_id"]} "{m["ngram"]}"' for m in matches)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- the decision ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecontamOptions:
    policy: str = "drop"          # "drop" the document, or "cut" the matched spans out of it
    context_chars: int = 200      # NeMo Curator: characters removed on each side of a match
    max_cuts: int = 10            # NeMo Curator: a document cut more often than this is dropped
    min_chars_left: int = 200     # NeMo Curator: what is shorter than this after cutting is dropped


CUT_SEPARATOR = "\n"


def _cut_spans(text: str, starts: list[int], ends: list[int], hits: list[Hit], context: int) -> list[tuple[int, int]]:
    """Character spans to remove: each matched window widened by `context` characters on each side (out to
    the next whitespace, so no word is cut in half), overlapping spans merged."""
    spans = []
    for h in hits:
        a = max(0, starts[h.start] - context)
        b = min(len(text), ends[h.start + h.length - 1] + context)
        for _ in range(100):
            if a == 0 or text[a - 1].isspace():
                break
            a -= 1
        for _ in range(100):
            if b == len(text) or text[b].isspace():
                break
            b += 1
        spans.append((a, b))
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def cut(text: str, images, spans: list[tuple[int, int]]) -> tuple[str, list[dict]]:
    """`text` without `spans` (each replaced by a line break) and `images` with their placeholder positions
    moved accordingly; an image whose placeholder lay inside a removed span is removed with it."""
    pieces, shifts = [], []   # shifts: (span start, span end, chars removed up to and including this span)
    last, removed = 0, 0
    for a, b in spans:
        pieces.append(text[last:a])
        pieces.append(CUT_SEPARATOR)
        removed += (b - a) - len(CUT_SEPARATOR)
        shifts.append((a, b, removed))
        last = b
    pieces.append(text[last:])
    moved = []
    for image in (images if images is not None else []):
        pos = image.get("position")
        if pos is None:
            moved.append(dict(image))
            continue
        if any(a <= pos < b for a, b, _ in shifts):
            continue
        delta = 0
        for a, b, total in shifts:
            if b <= pos:
                delta = total
        moved.append({**image, "position": pos - delta})
    return "".join(pieces), moved


def decontaminate(text: str | None, images, index: Index, opts: DecontamOptions) -> dict:
    """The decision on one document: keep, reason, value, the matches, and for a cut the new text and
    images (None when the document is unchanged) and how many characters were removed."""
    out = {"text": None, "images": None, "contamination": [], "contamination_chars_cut": 0,
           "keep": True, "reason": None, "value": None}
    if not isinstance(text, str) or not text:
        return out
    toks = tokens(text)
    hits = find_hits(toks, index)
    if not hits:
        return out
    matches = summarize(hits, toks, index)
    out["contamination"] = matches
    if opts.policy == "drop":
        return {**out, "keep": False, "reason": "benchmark_contamination", "value": describe(matches)}
    span_toks, starts, ends = token_spans(text)
    spans = _cut_spans(text, starts, ends, hits, opts.context_chars)
    if len(spans) > opts.max_cuts:
        return {**out, "keep": False, "reason": "benchmark_contamination_too_many_cuts",
                "value": f"{len(spans)} cuts: {describe(matches)}"}
    new_text, new_images = cut(text, images, spans)
    left = len(new_text.strip())
    if left < opts.min_chars_left:
        return {**out, "keep": False, "reason": "benchmark_contamination_too_little_left",
                "value": f"{left} chars left: {describe(matches)}"}
    return {**out, "text": new_text, "images": new_images, "contamination_chars_cut": len(text) - len(new_text)}


COLUMNS = ["text", "images", "contamination", "contamination_chars_cut", "keep", "reason", "value"]


def score_frame(frame: pd.DataFrame, index: Index, opts: DecontamOptions) -> pd.DataFrame:
    """The decision for a batch (columns text, images): the replacement text and images (null = unchanged),
    contamination, contamination_chars_cut, keep, reason, value. A document that cannot be checked is not
    kept (`decontamination_failed`): unchecked text must not reach the corpus."""
    rows = []
    images = frame["images"] if "images" in frame else [None] * len(frame)
    for text, imgs in zip(frame["text"], images):
        try:
            rows.append(decontaminate(text, imgs, index, opts))
        except Exception as exc:   # noqa: BLE001 - one bad document is a reasoned skip, not a failed job
            rows.append({"text": None, "images": None, "contamination": [], "contamination_chars_cut": 0,
                         "keep": False, "reason": "decontamination_failed",
                         "value": f"{type(exc).__name__}: {exc}"[:500]})
    return pd.DataFrame(rows, columns=COLUMNS)
