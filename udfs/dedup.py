"""Deduplication's pure functions: the exact keys (normalised URL, normalised content hash), word n-gram
shingles, MinHash signatures and LSH band hashes, and the Jaccard similarity that confirms a removal.

Signatures are computed for a whole batch of documents at once with NumPy: every document's shingle hashes
are laid end to end, each block of hash functions is applied to all of them in one vectorised pass, and
`np.minimum.reduceat` takes each document's minimum. No Python loop runs per shingle or per hash function
value. The hash family is multiply-shift, `(a * x + b) >> 32` on 64-bit shingle hashes with odd `a`, its
parameters drawn from a seeded generator, so the same seed gives the same signatures on every machine.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

_WORD = re.compile(r"\w+", re.UNICODE)
# Mixing constants (splitmix64's finaliser) and the multipliers that fold n word hashes into a shingle hash.
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SHINGLE_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                          0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63],
                         dtype=np.uint64)
# Elements of the (hash functions x shingles) block computed at once: 256K uint64 = 2 MB, small enough to stay in
# the cache through its four passes (4x faster than a 32 MB block).
_BLOCK = 1 << 18
# Shingles signed together: a block then holds 8 hash functions of them.
_GROUP = 1 << 15


@dataclass(frozen=True)
class MinHashOptions:
    ngram: int = 5
    bands: int = 14
    rows: int = 9
    seed: int = 1
    max_chars: int = 500_000

    @property
    def permutations(self) -> int:
        return self.bands * self.rows

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


def words(text: str | None, max_chars: int = 500_000) -> list[str]:
    """The normalised words of a text: lower case, `\\w+` runs; punctuation and whitespace never count."""
    return _WORD.findall(text[:max_chars].lower()) if text else []


def content_key(text: str | None, max_chars: int = 500_000) -> str | None:
    """sha1 of the normalised words: two pages that differ only in case, spacing or punctuation share it.
    None for a page without words."""
    return _words_key(words(text, max_chars))


def _words_key(toks: list[str]) -> str | None:
    return hashlib.sha1(" ".join(toks).encode("utf-8")).hexdigest()[:32] if toks else None


# --- shingles and signatures -------------------------------------------------------------------------------

def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


def shingles(toks: list[str], n: int, distinct: bool = True) -> np.ndarray:
    """The 64-bit hashes of the word n-grams of `toks` (one shingle of all words when there are fewer than
    n): distinct and sorted, or (`distinct=False`, all MinHash needs: a minimum ignores repeats) in text
    order. Empty for no words. Word hashes are pandas' fixed-key SipHash, the same in every process."""
    if not toks:
        return np.empty(0, dtype=np.uint64)
    w = pd.util.hash_array(np.asarray(toks, dtype=object), categorize=False)
    k = min(n, len(toks))
    count = len(toks) - k + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h += w[j:j + count] * _SHINGLE_MULT[j % len(_SHINGLE_MULT)]
        h = _mix(h + np.uint64(k))
    return np.unique(h) if distinct else h


@lru_cache(maxsize=8)
def hash_family(permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift parameters (a odd, b), one pair per permutation, from a seeded generator."""
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(0, 2 ** 63, size=permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2 ** 63, size=permutations, dtype=np.uint64)
    return a, b


def signatures(shingle_sets: list[np.ndarray], opts: MinHashOptions) -> np.ndarray:
    """MinHash signatures (documents x permutations, uint32) of a batch of shingle sets. A document without
    shingles gets the all-ones row (it shares nothing with anything: callers leave it out of near dedup).
    Documents are signed in groups of about `_GROUP` shingles, so the work stays in the cache however large
    the batch (Spark hands over 10,000 rows at a time)."""
    perms = opts.permutations
    out = np.full((len(shingle_sets), perms), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    present = np.asarray([i for i, s in enumerate(shingle_sets) if len(s)], dtype=np.int64)
    if not len(present):
        return out
    a, b = hash_family(perms, opts.seed)
    lengths = np.asarray([len(shingle_sets[i]) for i in present])
    group = (np.cumsum(lengths) - lengths) // _GROUP
    for rows in np.split(present, np.flatnonzero(np.diff(group)) + 1):
        _sign([shingle_sets[i] for i in rows], a, b, out, rows)
    return out


def _sign(sets: list[np.ndarray], a: np.ndarray, b: np.ndarray, out: np.ndarray, rows: np.ndarray) -> None:
    x = np.concatenate(sets)
    starts = np.cumsum([0] + [len(s) for s in sets[:-1]])
    perms = len(a)
    step = max(1, _BLOCK // len(x))
    buf = np.empty((min(step, perms), len(x)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in range(0, perms, step):
            q = min(p + step, perms)
            block = buf[:q - p]
            np.multiply(a[p:q, None], x[None, :], out=block)
            np.add(block, b[p:q, None], out=block)
            np.right_shift(block, np.uint64(32), out=block)
            out[rows, p:q] = np.minimum.reduceat(block, starts, axis=1).T.astype(np.uint32)


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
    a = shingles(words(text_a, opts.max_chars), opts.ngram)
    b = shingles(words(text_b, opts.max_chars), opts.ngram)
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


# --- the batch functions the Spark stage wraps ------------------------------------------------------------

KEY_COLUMNS = ["url_key", "content_key", "signature", "bands"]


def key_frame(frame: pd.DataFrame, opts: MinHashOptions, tracking: frozenset = frozenset()) -> pd.DataFrame:
    """For a batch with `url` and `text`: the normalised URL, the content hash, the MinHash signature
    (int32 view of the uint32 values) and the band hashes; signature and bands are None for a page without
    words."""
    toks = [words(t, opts.max_chars) for t in frame["text"]]
    sets = [shingles(t, opts.ngram, distinct=False) for t in toks]
    sigs = signatures(sets, opts)
    bands = band_hashes(sigs, opts)
    sig32 = sigs.view(np.int32)
    has = [len(s) > 0 for s in sets]
    return pd.DataFrame({
        "url_key": [normalize_url(u, tracking) for u in frame["url"]],
        "content_key": [_words_key(t) for t in toks],
        "signature": [sig32[i] if has[i] else None for i in range(len(sets))],
        "bands": [bands[i] if has[i] else None for i in range(len(sets))],
    }, columns=KEY_COLUMNS)


def jaccard_frame(frame: pd.DataFrame, opts: MinHashOptions) -> pd.Series:
    """Jaccard of each row's `text` and `other_text`."""
    return pd.Series([jaccard(a, b, opts) for a, b in zip(frame["text"], frame["other_text"])], dtype="float64")
