"""Deduplication's pure functions: the exact keys (normalised URL, normalised content hash), word n-gram
shingles, MinHash signatures and LSH band hashes, and the Jaccard similarity that confirms a removal.

Signatures are computed for a whole batch of documents at once: every document's shingle hashes are laid
end to end, and one compiled loop (`udfs.kernels.minhash_minima`) keeps each document's minimum for every
hash function as it goes, without the (hash functions x shingles) block that a NumPy pass would first write
out (2.7x faster than NumPy's blocks with `np.minimum.reduceat`). No Python loop runs per shingle or per
hash function value. The hash family is multiply-shift, `(a * x + b) >> 32` on 64-bit shingle hashes with
odd `a`, its parameters drawn from a seeded generator, so the same seed gives the same signatures on every
machine.

Words are found and hashed in NumPy as well: a text becomes its array of code points, a table marks the word
characters, and every word's hash comes from one prefix sum over the text. No Python string is made per word.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

# Mixing constants (splitmix64's finaliser) and the multipliers that fold n word hashes into a shingle hash.
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SHINGLE_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                          0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63],
                         dtype=np.uint64)


# The version of how words, shingles and hashes are made: signatures and band hashes of two versions (or of two
# settings of the options below) do not compare, so `minhash_index` records both.
KEYS_VERSION = 2


@dataclass(frozen=True)
class MinHashOptions:
    """The `[dedup]` keys of the same names (jobs.config.section_options)."""
    ngram: int
    bands: int
    rows: int
    seed: int
    max_chars: int

    @property
    def permutations(self) -> int:
        return self.bands * self.rows

    def scheme(self) -> dict[str, str]:
        """Everything a page's signature and band hashes depend on, by name."""
        return {"keys_version": str(KEYS_VERSION), "ngram": str(self.ngram), "bands": str(self.bands),
                "rows": str(self.rows), "seed": str(self.seed), "max_chars": str(self.max_chars)}

    @property
    def threshold(self) -> float:
        """The Jaccard at which two documents share a band with probability ~1/2: (1/b)^(1/r)."""
        return (1.0 / self.bands) ** (1.0 / self.rows)


# --- exact keys --------------------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalize_url(url: str | None, tracking: frozenset = frozenset()) -> str | None:
    """The key two fetches of one page share: no scheme (http and https are the same page), host lower case
    without `www.` and the default port, no fragment, no trailing slash, the query without tracking
    parameters (`utm_*` and the names in `tracking`) and sorted. None for what is not an http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if port is not None and str(port) not in _DEFAULT_PORTS.values():
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_") and k.lower() not in tracking)
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")


@lru_cache(maxsize=1)
def _word_chars() -> np.ndarray:
    """For every code point, whether it is a word character: alphanumeric or `_`, which is exactly what `\\w`
    matches in a `re` str pattern."""
    table = np.fromiter((chr(c).isalnum() for c in range(0x110000)), dtype=bool, count=0x110000)
    table[ord("_")] = True
    return table


def _inverse(a: np.uint64) -> np.uint64:
    """The inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits each step)."""
    x = a
    with np.errstate(over="ignore"):
        for _ in range(6):
            x = x * (np.uint64(2) - a * x)
    return x


# Words are hashed as polynomials in _BASE over their code points, all of a text's at once from one prefix sum:
# the word at [s, e) is (Q[e] - Q[s]) * _BASE^-s, where Q[i] = sum of cp[j] * _BASE^j for j < i (mod 2^64).
_BASE = np.uint64(0x100000001B3)
_BASE_INV = _inverse(_BASE)
_powers: list[np.ndarray] = []


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """_BASE^i and _BASE^-i for i < n (at least), grown on demand and shared by every later call."""
    if not _powers or len(_powers[0]) < n:
        size = max(n, 1 << 16, 2 * len(_powers[0]) if _powers else 0)
        tables = []
        for base in (_BASE, _BASE_INV):
            steps = np.full(size, base, dtype=np.uint64)
            steps[0] = 1
            with np.errstate(over="ignore"):
                tables.append(np.cumprod(steps, dtype=np.uint64))
        _powers[:] = tables
    return _powers[0], _powers[1]


class Words:
    """The normalised words of one or more texts: the runs of word characters (`\\w+`) of each text's lower-cased
    first `max_chars` characters, held as code-point spans rather than as Python strings. The texts lie end
    to end, a NUL (no word character) between two, so no word spans two texts; `bounds[t]:bounds[t + 1]` are
    the words of text t."""

    __slots__ = ("points", "inside", "starts", "ends", "bounds", "_texts")

    def __init__(self, texts: list, max_chars: int = 500_000) -> None:
        lowered = [t[:max_chars].lower() if isinstance(t, str) else "" for t in texts]
        self.points = np.frombuffer("\0".join(lowered).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.inside = _word_chars()[self.points]
        edges = np.diff(self.inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        self.starts, self.ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered)) + 1
        self._texts = np.cumsum(lengths) - lengths      # where each text begins in `points`
        self.bounds = np.searchsorted(self.starts, np.append(self._texts, len(self.points) + 1))

    def __len__(self) -> int:
        return len(self.starts)

    def counts(self) -> np.ndarray:
        """Words per text."""
        return np.diff(self.bounds)

    def hashes(self) -> np.ndarray:
        """One 64-bit hash per word, in text order: equal words hash equal in every text and process."""
        if not len(self):
            return np.empty(0, dtype=np.uint64)
        n = len(self.points)
        power, inverse = _power_tables(n + 1)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(self.points.astype(np.uint64) * power[:n], out=prefix[1:])
            h = (prefix[self.ends] - prefix[self.starts]) * inverse[self.starts]
            return _mix(h + (self.ends - self.starts).astype(np.uint64) * _M2)

    def joined(self) -> list[str]:
        """Each text's words joined by single spaces."""
        points, keep = self.points.copy(), self.inside.copy()
        later = np.ones(len(self), dtype=bool)          # words after the first of their text
        later[self.bounds[:-1][self.counts() > 0]] = False
        gaps = self.starts[later] - 1                   # the character before each of them
        points[gaps], keep[gaps] = ord(" "), True
        keep[self._texts[1:] - 1] = True                # the NULs between texts
        return points[keep].tobytes().decode("utf-32-le", "surrogatepass").split("\0")


def words(text: str | None, max_chars: int = 500_000) -> Words:
    """The normalised words of a text: lower case, `\\w+` runs; punctuation and whitespace never count."""
    return Words([text], max_chars)


def content_key(text: str | None, max_chars: int = 500_000) -> str | None:
    """sha1 of the normalised words: two pages that differ only in case, spacing or punctuation share it.
    None for a page without words."""
    return _words_keys(words(text, max_chars))[0]


def _words_keys(toks: Words) -> list[str | None]:
    return [hashlib.sha1(j.encode("utf-8", "surrogatepass")).hexdigest()[:32] if n else None
            for j, n in zip(toks.joined(), toks.counts())]


# --- shingles and signatures -------------------------------------------------------------------------------

def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


def shingles(toks: Words, n: int, distinct: bool = True) -> np.ndarray:
    """The 64-bit hashes of the word n-grams of `toks`, one text (one shingle of all words when there are
    fewer than n): distinct and sorted, or (`distinct=False`, all MinHash needs: a minimum ignores repeats) in
    text order. Empty for no words."""
    h, _ = shingles_of_each(toks, n)
    return _distinct(h) if distinct else h


def _distinct(x: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `x` (`np.unique`, without its hash table: a sort is faster here)."""
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if len(x) else x


def shingles_of_each(toks: Words, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, offsets): the word n-gram hashes of every text of `toks` end to end in text order (each text's
    as `shingles(..., distinct=False)` gives them), text t's at `offsets[t]:offsets[t + 1]`."""
    w = toks.hashes()
    counts = toks.counts()
    per_text = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    offsets = np.concatenate(([0], np.cumsum(per_text)))
    out = np.empty(offsets[-1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        full = max(len(w) - n + 1, 0)
        h = np.zeros(full, dtype=np.uint64)
        for j in range(n):
            h += w[j:j + full] * _SHINGLE_MULT[j % len(_SHINGLE_MULT)]
        # text t's n-grams start at its words bounds[t] .. bounds[t + 1] - n, so none spans two texts
        long = np.flatnonzero(counts >= n)
        sizes = per_text[long]
        slots = np.arange(sizes.sum()) + np.repeat(offsets[long] - (np.cumsum(sizes) - sizes), sizes)
        out[slots] = _mix(h[slots + np.repeat(toks.bounds[long] - offsets[long], sizes)] + np.uint64(n))
        for t in np.flatnonzero((counts > 0) & (counts < n)):   # fewer words than n: one shingle of them all
            k, first = int(counts[t]), int(toks.bounds[t])
            folded = (w[first:first + k] * np.resize(_SHINGLE_MULT, k)).sum(dtype=np.uint64)
            out[offsets[t]] = _mix(folded + np.uint64(k))
    return out, offsets


@lru_cache(maxsize=8)
def hash_family(permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift parameters (a odd, b), one pair per permutation, from a seeded generator."""
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(0, 2 ** 63, size=permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2 ** 63, size=permutations, dtype=np.uint64)
    return a, b


def signatures(shingle_sets: list[np.ndarray], opts: MinHashOptions) -> np.ndarray:
    """MinHash signatures (documents x permutations, uint32) of a batch of shingle sets. A document without
    shingles gets the all-ones row (it shares nothing with anything: callers leave it out of near dedup)."""
    lengths = [len(x) for x in shingle_sets]
    flat = np.concatenate(shingle_sets) if shingle_sets else np.empty(0, dtype=np.uint64)
    return signatures_of_each(flat, np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))), opts)


def signatures_of_each(hashes: np.ndarray, offsets: np.ndarray, opts: MinHashOptions) -> np.ndarray:
    """`signatures` of shingle sets laid end to end, set t at `hashes[offsets[t]:offsets[t + 1]]`."""
    from udfs import kernels

    out = np.empty((len(offsets) - 1, opts.permutations), dtype=np.uint32)
    a, b = hash_family(opts.permutations, opts.seed)
    kernels.minhash_minima(np.ascontiguousarray(hashes, dtype=np.uint64), np.asarray(offsets, dtype=np.int64),
                           a, b, out)
    return out


def band_hashes(sigs: np.ndarray, opts: MinHashOptions) -> np.ndarray:
    """One 64-bit hash per LSH band (documents x bands, int64): documents whose signatures agree on all
    `rows` values of a band share that band's hash. The band's number is mixed in, so equal rows in
    different bands never collide."""
    d = sigs.shape[0]
    bands = sigs[:, :opts.bands * opts.rows].reshape(d, opts.bands, opts.rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.zeros((d, opts.bands), dtype=np.uint64)
        for r in range(opts.rows):
            h = _mix(h + bands[:, :, r] * _SHINGLE_MULT[r % len(_SHINGLE_MULT)])
        h = _mix(h ^ (np.arange(opts.bands, dtype=np.uint64) * _M1))
    return h.view(np.int64)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Share of permutations on which two signatures agree."""
    return float(np.mean(np.asarray(sig_a) == np.asarray(sig_b)))


def jaccard(text_a: str | None, text_b: str | None, opts: MinHashOptions) -> float:
    """Jaccard similarity of the two texts' word n-gram shingle sets (0 when either has no words)."""
    return _set_jaccard(_shingle_set(text_a, opts), _shingle_set(text_b, opts))


def _shingle_set(text: str | None, opts: MinHashOptions) -> np.ndarray:
    return shingles(words(text, opts.max_chars), opts.ngram)


def _set_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard of two sorted sets of distinct values."""
    if not len(a) or not len(b):
        return 0.0
    at = np.minimum(np.searchsorted(b, a), len(b) - 1)
    inter = int(np.count_nonzero(b[at] == a))
    return inter / (len(a) + len(b) - inter)


# --- the batch functions the Spark stage wraps ------------------------------------------------------------

KEY_COLUMNS = ["url_key", "content_key", "signature", "bands"]


# Code points of text handled at once by the batch functions: their arrays (a few of 8 bytes a point) stay
# small however many rows Spark hands over.
_CHUNK = 1 << 20


def _chunks(texts: list, max_chars: int) -> list[tuple[int, int]]:
    """(start, stop) ranges of consecutive texts that begin within the same `_CHUNK` code points: a chunk holds
    at most `_CHUNK` code points and one (cut) text more."""
    lengths = np.fromiter((min(len(t), max_chars) if isinstance(t, str) else 0 for t in texts), dtype=np.int64,
                          count=len(texts))
    group = (np.cumsum(lengths) - lengths) // _CHUNK
    cuts = [0, *(np.flatnonzero(np.diff(group)) + 1).tolist(), len(texts)]
    return [(lo, hi) for lo, hi in zip(cuts, cuts[1:]) if hi > lo]


def _shingled(texts: list, opts: MinHashOptions):
    """For each chunk of `texts`: (its first text's index, its words, shingle hashes, offsets)."""
    for lo, hi in _chunks(texts, opts.max_chars):
        toks = Words(texts[lo:hi], opts.max_chars)
        yield lo, toks, *shingles_of_each(toks, opts.ngram)


def key_frame(frame: pd.DataFrame, opts: MinHashOptions, tracking: frozenset = frozenset()) -> pd.DataFrame:
    """For a batch with `url` and `text`: the normalised URL, the content hash, the MinHash signature
    (int32 view of the uint32 values) and the band hashes; signature and bands are None for a page without
    words. The batch's texts are read and signed together, a chunk at a time."""
    content, sigs, has = [], [], []
    for _, toks, flat, offsets in _shingled(list(frame["text"]), opts):
        content += _words_keys(toks)
        sigs.append(signatures_of_each(flat, offsets, opts))
        has += (np.diff(offsets) > 0).tolist()
    sigs = np.concatenate(sigs) if sigs else np.empty((0, opts.permutations), dtype=np.uint32)
    bands = band_hashes(sigs, opts)
    sig32 = sigs.view(np.int32)
    return pd.DataFrame({
        "url_key": [normalize_url(u, tracking) for u in frame["url"]],
        "content_key": content,
        "signature": [sig32[i] if has[i] else None for i in range(len(has))],
        "bands": [bands[i] if has[i] else None for i in range(len(has))],
    }, columns=KEY_COLUMNS)


def jaccard_frame(frame: pd.DataFrame, opts: MinHashOptions) -> pd.Series:
    """Jaccard of each row's `text` and `other_text`. Rows that share an `other_text` (the page kept, which
    the join hands over next to each other) shingle it once; the batch's texts are shingled a chunk at a time,
    and a set is dropped once the pairs that need it are done."""
    texts, pairs, kept = [], [], None
    for a, b in zip(frame["text"], frame["other_text"]):
        if kept is None or b != texts[kept]:
            kept = len(texts)
            texts.append(b)
        texts.append(a)
        pairs.append((len(texts) - 1, kept))
    out, sets, p = [], {}, 0
    for lo, _, flat, offsets in _shingled(texts, opts):
        for t in range(len(offsets) - 1):
            sets[lo + t] = _distinct(flat[offsets[t]:offsets[t + 1]])
        while p < len(pairs) and pairs[p][0] in sets:
            i, j = pairs[p]
            out.append(_set_jaccard(sets.pop(i), sets[j]))
            p += 1
            if p == len(pairs) or pairs[p][1] != j:
                del sets[j]
    return pd.Series(out, dtype="float64")


def components(edges) -> dict[str, str]:
    """Undirected edges (a, b) -> {node: component} for every node on an edge, each component named by its
    smallest node (union-find with path halving; the smaller root always wins, so a root is its component's
    smallest node)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: root(node) for node in parent}
