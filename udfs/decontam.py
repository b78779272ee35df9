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
64-bit hashes and a bitmap of them, built once on the driver and broadcast; a document's n-grams are hashed
in one vectorised pass, the bitmap turns away ~99% of them, the rest are looked up with a binary search, and
every hit is confirmed on the text before it counts.
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from itertools import chain
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
BITMAP_BITS = 26                    # 8 MB of bits: ~1% of a document's n-grams get past it to the binary search


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
    return list(chain.from_iterable(map(_normal, _RAW.findall(text))))


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


@lru_cache(maxsize=1 << 18)
def _raw_ids(raw: str) -> tuple[int, ...]:
    return tuple(_token_hash(t) for t in _normal(raw))


def token_ids(text: str) -> np.ndarray:
    """The hashes of `text`'s normalised tokens (what `_ids(tokens(text))` gives, without building the
    token strings)."""
    return np.fromiter(chain.from_iterable(map(_raw_ids, _RAW.findall(text))), dtype=np.uint64)


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
    """The `[decontaminate]` keys of the same names (jobs.config.section_options)."""
    ngram: int                    # word n-gram length matched
    min_exact_tokens: int         # a question shorter than n but of this many tokens is matched whole
    min_word_tokens: int          # an n-gram needs this many real words to be indexed (a short question: one)
    min_word_chars: int           # a real word: this many characters, at least one a letter
    min_matches: int              # n-grams of one benchmark text a document must share (all, if it has fewer)


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
    bitmap: np.ndarray | None = None      # 2**BITMAP_BITS bits, one set per indexed hash: a quick "surely not"
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
    index.bitmap = np.zeros(1 << (BITMAP_BITS - 3), dtype=np.uint8)
    for keys in index.keys.values():
        slots = keys >> np.uint64(64 - BITMAP_BITS)
        np.bitwise_or.at(index.bitmap, (slots >> np.uint64(3)).astype(np.int64),
                         (np.uint8(1) << (slots & np.uint64(7)).astype(np.uint8)))
    return index


# --- matching a document --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    start: int      # first token of the window
    length: int     # tokens in the window
    text: int       # text number in the index


def _maybe(hashes: np.ndarray, bitmap: np.ndarray) -> np.ndarray:
    """Positions of `hashes` whose bit is set: every indexed hash, and ~1% of the others."""
    slots = hashes >> np.uint64(64 - BITMAP_BITS)
    bits = bitmap[(slots >> np.uint64(3)).astype(np.int64)] >> (slots & np.uint64(7)).astype(np.uint8)
    return np.flatnonzero(bits & 1)


def find_hits(text: str, index: Index) -> tuple[list[str], list[Hit]]:
    """(the normalised tokens of `text`, the windows of them that are indexed n-grams or whole short questions
    of benchmark texts the document shares enough of): at least `min_matches` n-grams of one text, or all of
    them if it has fewer. One shared 13-gram is often a stock phrase of mathematics ("where a and b are
    integers and b neq 0"); a copied item shares dozens. Every hit is confirmed on the normalised text (a
    hash collision never counts). The tokens are only built for a document with candidates."""
    if not index.keys:
        return [], []
    ids = token_ids(text)
    candidates = []
    for length, keys in index.keys.items():
        hashes = _rolling(ids, length)
        maybe = _maybe(hashes, index.bitmap)
        if not len(maybe):
            continue
        hashes = hashes[maybe]
        lo = np.searchsorted(keys, hashes)
        hi = np.searchsorted(keys, hashes, side="right")
        for i, a, b in zip(maybe[hi > lo], lo[hi > lo], hi[hi > lo]):
            candidates.append((int(i), length, int(a), int(b)))
    if not candidates:
        return [], []
    toks = tokens(text)
    hits = []
    for i, length, a, b in candidates:
        gram = " " + " ".join(toks[i:i + length]) + " "
        for ref in index.refs[length][a:b]:
            if gram in " " + index.normal[ref] + " ":
                hits.append(Hit(i, length, int(ref)))
    grams: dict[int, set] = {}
    for h in hits:
        grams.setdefault(h.text, set()).add(" ".join(toks[h.start:h.start + h.length]))
    enough = {ref for ref, found in grams.items()
              if len(found) >= min(index.opts.min_matches, index.windows[ref])}
    hits = [h for h in hits if h.text in enough]
    hits.sort(key=lambda h: (h.start, h.text))
    return toks, hits


def summarize(hits: list[Hit], toks: list[str], index: Index) -> list[dict]:
    """One entry per matched benchmark item, in order of first appearance: benchmark, item_id, the first
    matched n-gram (normalised) and how many windows of the document matched the item."""
    items: dict[tuple[str, str], dict] = {}
    windows: dict[tuple[str, str], set] = {}
    for h in hits:
        key = index.texts[h.text]
        if key not in items:
            items[key] = {"benchmark": key[0], "item_id": key[1],
                          "ngram": " ".join(toks[h.start:h.start + h.length]), "matches": 0}
        windows.setdefault(key, set()).add((h.start, h.length))   # a window in two texts of one item: once
    for key, found in windows.items():
        items[key]["matches"] = len(found)
    return list(items.values())


def describe(matches: list[dict], limit: int = 2000) -> str:
    """`benchmark/item_id "ngram"` for each match, as the value of a rejected row."""
    text = "; ".join(f'{m["benchmark"]}/{m["item_id"]} "{m["ngram"]}"' for m in matches)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- the decision ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecontamOptions:
    """The `[decontaminate]` keys of the same names (jobs.config.section_options)."""
    policy: str                   # "drop" the document, or "cut" the matched spans out of it
    context_chars: int            # characters removed on each side of a match
    max_cuts: int                 # a document cut more often than this is dropped
    min_chars_left: int           # what is shorter than this after cutting is dropped


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
    toks, hits = find_hits(text, index)
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
