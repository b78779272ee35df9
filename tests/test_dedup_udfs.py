"""Dedup's pure functions (no Spark): URL and content keys, shingles, MinHash signatures, band hashes, Jaccard,
on real pages of the shipped sample crawl."""
from __future__ import annotations

import numpy as np
import pytest

from jobs import dedup as dedup_job
from tests.conftest import make_config
from udfs import dedup

TRACKING = frozenset(make_config()["dedup"]["tracking_params"])
OPTS = dedup_job.options(make_config())


@pytest.mark.parametrize("url, key", [
    ("https://www.Example.COM:443/a/b/?utm_source=x&b=2&a=1#top", "example.com/a/b?a=1&b=2"),
    ("http://example.com/a/b?a=1&b=2", "example.com/a/b?a=1&b=2"),
    ("http://example.com:80//a//b/", "example.com/a/b"),
    ("https://example.com/?fbclid=abc&gclid=1", "example.com/"),
    ("https://example.com", "example.com/"),
    ("http://example.com:8080/x", "example.com:8080/x"),
    ("https://docs.scipy.org/doc/scipy/reference/generated/scipy.integrate.quad.html",
     "docs.scipy.org/doc/scipy/reference/generated/scipy.integrate.quad.html"),
    ("ftp://example.com/file", None),
    ("http://[::1", None),
    ("", None),
    (None, None),
])
def test_normalize_url(url, key):
    assert dedup.normalize_url(url, TRACKING) == key


def test_normalize_url_keeps_what_names_another_page():
    # a query parameter that is not tracking names another page; the path's case is significant
    assert dedup.normalize_url("https://a.org/p?page=2", TRACKING) != dedup.normalize_url("https://a.org/p", TRACKING)
    assert dedup.normalize_url("https://a.org/Page", TRACKING) != dedup.normalize_url("https://a.org/page", TRACKING)


def test_content_key_ignores_case_spacing_and_punctuation():
    a = dedup.content_key("The integral of $x^2$ is  x^3/3.\n\nSee also: Riemann sums!")
    assert a == dedup.content_key("the integral of x^2 is x^3 / 3 see also riemann sums")
    assert a != dedup.content_key("The integral of $x^3$ is x^4/4. See also: Riemann sums!")
    assert len(a) == 32
    assert dedup.content_key("  ...  ") is None and dedup.content_key(None) is None


def test_shingles_are_word_ngrams():
    toks = dedup.words("a b c d e f a b c d e")
    assert len(dedup.shingles(toks, 5)) == 6          # abcde bcdef cdefa defab efabc fabcd; abcde repeats
    assert len(dedup.shingles(toks, 5, distinct=False)) == 7
    assert len(dedup.shingles(dedup.words("only three words"), 5)) == 1
    assert len(dedup.shingles(dedup.words(" ... "), 5)) == 0
    # the same words in the same order give the same hashes, whatever surrounds them
    assert np.array_equal(dedup.shingles(toks, 5), dedup.shingles(dedup.words("(A) b, c; D e F  a b c d E!"), 5))


WORD_TEXTS = [
    "The integral of $x^2$ is  x^3/3.\n\nSee also: Riemann sums!",
    "İstanbul ﬁne naïve x_y 北京大学 — “quoted” 1,234.5 ½ ²³ 😀emoji\u00a0nbsp Ωμέγα ДЕЛО ΣΑΣ",
    "   ", "_", "a", "", "nul\0inside", "ends with a word",
]


@pytest.mark.parametrize("text", WORD_TEXTS)
def test_words_are_the_regex_word_runs_of_the_lowered_text(text):
    import re
    assert dedup.words(text).joined() == [" ".join(re.findall(r"\w+", text.lower()))]
    assert len(dedup.words(text)) == len(re.findall(r"\w+", text.lower()))


def test_words_of_many_texts_are_each_texts_own(sample_docs):
    """Texts read together (as the batch functions read them) give each text's words, hashes and shingles
    exactly as read alone: no word or shingle spans two texts, the cut at max_chars is per text."""
    texts = WORD_TEXTS + [None] + [sample_docs[u]["text"] for u in sorted(sample_docs)[:20]]
    together = dedup.Words(texts, max_chars=3000)
    alone = [dedup.words(t, max_chars=3000) for t in texts]
    assert together.joined() == [w.joined()[0] for w in alone]
    assert together.counts().tolist() == [len(w) for w in alone]
    assert np.array_equal(together.hashes(), np.concatenate([w.hashes() for w in alone]))
    flat, offsets = dedup.shingles_of_each(together, 5)
    each = [dedup.shingles(w, 5, distinct=False) for w in alone]
    assert np.diff(offsets).tolist() == [len(x) for x in each]
    assert np.array_equal(flat, np.concatenate(each))
    assert [len(x) for x in each][:8] == [9, 13, 0, 1, 1, 0, 1, 1]   # fewer than 5 words: one shingle of all


def test_word_hashes_depend_only_on_the_word():
    a = dedup.words("cat dog cat").hashes()
    b = dedup.words("dog? CAT!").hashes()
    assert a.dtype == np.uint64 and len(a) == 3
    assert a[0] == a[2] == b[1] and a[1] == b[0] and a[0] != a[1]
    assert len(set(dedup.words("ab ba aab aba baa a b").hashes().tolist())) == 7


def test_jaccard_exact_values():
    assert dedup.jaccard("a b c d e f", "a b c d e f", OPTS) == 1.0
    # 6 words -> shingles {abcde, bcdef}; with one more word g: {abcde, bcdef, cdefg}: 2 / 3
    assert dedup.jaccard("a b c d e f", "a b c d e f g", OPTS) == pytest.approx(2 / 3)
    assert dedup.jaccard("a b c d e f", "u v w x y z", OPTS) == 0.0
    assert dedup.jaccard("", "a b c", OPTS) == 0.0


def test_jaccard_frame_equals_pair_by_pair(sample_docs):
    import pandas as pd
    texts = [sample_docs[u]["text"] for u in sorted(sample_docs)[:6]]
    a = "a b c d e f"
    rows = [(texts[1], texts[0]), (texts[2], texts[0]), (texts[0], texts[0]), (a, None), (None, a),
            (texts[3], texts[4]), ("a b c d e f g", a), (texts[5], texts[4])]
    frame = pd.DataFrame(rows, columns=["text", "other_text"])
    got = dedup.jaccard_frame(frame, OPTS)
    assert got.tolist() == [dedup.jaccard(x, y, OPTS) for x, y in rows]
    assert got[2] == 1.0 and got[3] == got[4] == 0.0 and got[6] == pytest.approx(2 / 3)


def test_signatures_batch_equals_one_by_one_and_are_seeded(sample_docs):
    texts = [sample_docs[u]["text"] for u in sorted(sample_docs)[:40]]
    sets = [dedup.shingles(dedup.words(t), 5, distinct=False) for t in texts] + [np.empty(0, np.uint64)]
    batch = dedup.signatures(sets, OPTS)
    assert batch.shape == (41, 126) and batch.dtype == np.uint32
    single = np.vstack([dedup.signatures([s], OPTS) for s in sets])
    assert np.array_equal(batch, single)
    assert (batch[-1] == 0xFFFFFFFF).all()                          # no words: no signature
    # repeats do not change a minimum
    distinct = dedup.signatures([dedup.shingles(dedup.words(t), 5) for t in texts], OPTS)
    assert np.array_equal(distinct, batch[:40])
    other_seed = dedup.signatures(sets[:40], dedup_job.options(make_config("dedup.seed=2")))
    assert (other_seed != batch[:40]).mean() > 0.99


def test_signatures_are_the_minima_of_the_seeded_multiply_shift_hashes():
    """The blocked, grouped computation equals the definition: per permutation i, min over the shingles x of
    (a_i * x + b_i mod 2^64) >> 32, for sets small and larger than a group."""
    rng = np.random.default_rng(3)
    sets = [rng.integers(0, 2 ** 63, size=n, dtype=np.uint64) for n in (1, 5, 1000, 40000, 7)]
    a, b = dedup.hash_family(126, 1)
    with np.errstate(over="ignore"):
        naive = np.stack([((a[:, None] * s[None, :] + b[:, None]) >> np.uint64(32)).min(axis=1) for s in sets])
    assert np.array_equal(dedup.signatures(sets, OPTS), naive.astype(np.uint32))


def test_estimated_jaccard_tracks_exact_on_a_planted_near_duplicate(sample_docs):
    """The sample crawl's near copy of SymPy's geometry page (15 words edited): exact Jaccard 0.920 on the
    extracted text, estimated within 0.05 by the 126 permutations, and the two share bands."""
    a = sample_docs["https://docs.sympy.org/1.11/modules/geometry/index.html"]["text"]
    b = sample_docs["http://old-docs.example/docs.sympy.org/1.11/modules/geometry/index.html"]["text"]
    exact = dedup.jaccard(a, b, OPTS)
    assert round(exact, 3) == 0.92
    keys = dedup.key_frame(__import__("pandas").DataFrame({"url": ["u1", "u2"], "text": [a, b]}), OPTS)
    assert abs(dedup.estimated_jaccard(keys.signature[0], keys.signature[1]) - exact) < 0.05
    assert (keys.bands[0] == keys.bands[1]).sum() >= 1
    assert keys.content_key[0] != keys.content_key[1]


def test_band_hashes_equal_only_for_equal_rows():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2 ** 32, size=(3, 126), dtype=np.uint64).astype(np.uint32)
    sigs[1] = sigs[0]
    sigs[2] = sigs[0]
    sigs[2, 7 * 5] ^= 1                                      # one value of band 5 differs
    bands = dedup.band_hashes(sigs, OPTS)
    assert bands.shape == (3, 18) and bands.dtype == np.int64
    assert (bands[0] == bands[1]).all()
    assert [int(i) for i in np.flatnonzero(bands[0] != bands[2])] == [5]
    # equal rows in two different bands still hash apart
    same = np.tile(sigs[0, :7], 18)[None, :].astype(np.uint32)
    assert len(set(dedup.band_hashes(same, OPTS)[0].tolist())) == 18


def test_threshold_of_the_shipped_bands():
    assert OPTS.permutations == 126
    assert round(OPTS.threshold, 3) == 0.662


def test_components_are_named_by_their_smallest_node():
    # a chain joined from its far end, two stars merged by one link, a cycle, a pair given twice
    edges = [("e", "d"), ("d", "c"), ("c", "b"), ("z", "y"), ("z", "x"), ("w", "v"), ("x", "v"),
             ("1", "2"), ("2", "3"), ("3", "1"), ("p", "q"), ("q", "p")]
    assert dedup.components(edges) == {
        "b": "b", "c": "b", "d": "b", "e": "b", "v": "v", "w": "v", "x": "v", "y": "v", "z": "v",
        "1": "1", "2": "1", "3": "1", "p": "p", "q": "p"}
    assert dedup.components([]) == {}
