"""The two inner loops that NumPy cannot vectorise well, compiled with Numba.

- `automaton_counts`: py3langid's byte automaton walked over a text, counting the features it passes, in the
  order it first meets them (the order py3langid's own counter keeps, so the scores come out the same bit
  for bit). A Python loop over every byte was most of the language stage's time.
- `minhash_minima`: each document's minimum of `a * x + b` (64-bit, wrapping) over its shingle hashes, for
  every hash function, without holding the (hash functions x shingles) block in memory.

Both are plain loops over NumPy arrays: Numba compiles them on their first call in a process (well under a
second; a Python worker pays it once) and caches nothing on disk, so they run the same from a zip on a cluster.
Importing this module imports Numba: callers import it when they first need it.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=False)
def automaton_counts(next_move: np.ndarray, row_base: np.ndarray, output: np.ndarray, data: np.ndarray,
                     counts: np.ndarray, order: np.ndarray) -> int:
    """Walk the automaton over the bytes `data` from state 0. For each state reached whose `output` is a
    feature (>= 0), add one to `counts[feature]`; a feature met for the first time is appended to `order`.
    Returns how many features `order` holds. `counts` must be all zero on entry (the caller zeroes the
    entries it read)."""
    state = 0
    found = 0
    for byte in data:
        state = next_move[row_base[state] + byte]
        feature = output[state]
        if feature >= 0:
            if counts[feature] == 0:
                order[found] = feature
                found += 1
            counts[feature] += 1
    return found


@numba.njit(nogil=True, cache=False)
def minhash_minima(x: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """For each document t with shingle hashes `x[offsets[t]:offsets[t + 1]]` and each hash function p:
    `out[t, p]` = the top 32 bits of min over the document's x of `a[p] * x + b[p]` (mod 2^64). A document
    without shingles gets 0xFFFFFFFF for every p (the all-ones row `udfs.dedup.signatures` promises)."""
    perms = a.shape[0]
    low = np.empty(perms, dtype=np.uint64)
    for t in range(offsets.shape[0] - 1):
        low[:] = np.uint64(0xFFFFFFFFFFFFFFFF)
        for i in range(offsets[t], offsets[t + 1]):
            v = x[i]
            for p in range(perms):
                h = a[p] * v + b[p]
                if h < low[p]:
                    low[p] = h
        for p in range(perms):
            out[t, p] = np.uint32(low[p] >> np.uint64(32))
