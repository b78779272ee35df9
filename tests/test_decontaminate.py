"""Benchmark decontamination: the normalisation and index on their own, every planted leak of the shipped sample
crawl caught and nothing else flagged, the Spark stage on real Delta tables (drop and cut), and the export."""
from __future__ import annotations

import gzip
import json

import pytest

from jobs import decontaminate, export, filtering, tables
from jobs.config import ConfigError
from tests.conftest import SAMPLE, make_config
from udfs import decontam as D
from udfs import shards as sh

IMG = "<|image|>"


def options(*overrides: str) -> D.DecontamOptions:
    """The stage's options from the shipped configuration and `decontaminate.` overrides ("policy='cut'")."""
    return decontaminate.options(make_config(*(f"decontaminate.{o}" for o in overrides)))


def index_options(*overrides: str) -> D.IndexOptions:
    return decontaminate.index_options(make_config(*(f"decontaminate.{o}" for o in overrides)))


@pytest.fixture(scope="module")
def index():
    return decontaminate.build_index(make_config())


@pytest.fixture(scope="module")
def naive():
    """Plain 13-gram matching: every n-gram indexed, one shared n-gram enough."""
    return D.build_index(decontaminate.load_texts(make_config()), index_options("min_word_tokens=0", "min_matches=1"))


def bench_line(name: str, line: int) -> dict:
    return json.loads(open(f"data/benchmarks/{name}_test.jsonl", encoding="utf-8").readlines()[line])


def matched(text: str, index) -> list[tuple[str, str]]:
    result = D.decontaminate(text, None, index, options())
    return [(m["benchmark"], m["item_id"]) for m in result["contamination"]]


# --- normalisation and matching -------------------------------------------------------------------------------

def test_one_normalisation_for_benchmarks_and_pages():
    assert D.tokens("Janet\u2019s  ducks &amp; <b>LAY</b>\n16 eggs") == ["janet", "s", "ducks", "b", "lay", "b", "16",
                                                                          "eggs"]
    # TeX spacing, sizing and display variants do not count; entities are decoded inside words
    assert D.tokens(r"$\dfrac{1}{2}\,x \quad \left( y \right)$ caf&eacute; x&lt;y") == [
        "frac", "1", "2", "x", "y", "café", "x", "y"]
    assert D.tokens(r"$\tfrac{1}{2} \le \displaystyle\binom{n}{k}$") == D.tokens(r"\frac{1}{2}\leq\binom n k")
    # GSM8K's calculator annotations are dropped
    assert D.tokens("She makes 9 * 2 = $<<9*2=18>>18 every day.") == ["she", "makes", "9", "2", "18", "every", "day"]
    # the spans point at the raw text each token came from
    toks, starts, ends = D.token_spans("Caf&eacute; au \\frac{x}{4}")
    assert toks == ["café", "au", "frac", "x", "4"]
    assert [("Caf&eacute; au \\frac{x}{4}")[a:b] for a, b in zip(starts, ends)] == [
        "Caf&eacute;", "au", "\\frac", "x", "4"]


def test_a_leak_is_found_however_it_is_typeset(index):
    problem = bench_line("math", 450)["problem"]
    assert problem.startswith("If $a$ is the $x$-intercept") and "\\frac{x}4" in problem
    retyped = (problem.replace("\\frac{x}4", "\\dfrac{x}{4}").replace(" + ", "\\,+\\,").replace("$", "\\(", 1)
               .upper().replace("  ", " \n "))
    page = "Homework for Monday. " + retyped.replace("<", "&lt;") + " Good luck!"
    assert matched(page, index) == [("math", "450"), ("math500", "test/algebra/1934.json")]
    question = bench_line("gsm8k", 528)["question"]
    assert matched(f"<p>Reader puzzle: {question} Send us your answer!</p>", index) == [("gsm8k", "528")]
    # a solution copied without its problem is found too
    answer = bench_line("gsm8k", 528)["answer"]
    assert matched("Worked answer: " + answer, index) == [("gsm8k", "528")]


def test_number_runs_are_not_indexed(index, naive):
    """The sample crawl's natural 13-gram overlaps: number runs, Pascal's triangle, "1 a 2 a ..."."""
    runs = ["Chapter 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
            "1 1 1 1 2 1 1 3 3 1 1 4 6 4 1 1 5 10 10 5 1",
            "1 a 2 a 3 a 4 a 5 a 6 a 7 a 8"]
    for text in runs:
        assert matched(text, index) == []
    assert ("math", "3720") in matched(runs[0], naive)
    assert ("math", "1627") in matched(runs[1], naive)
    assert ("math", "1898") in matched(runs[2], naive)
    assert index.skipped > 30000 and naive.skipped == 0


def test_short_questions_match_whole(index):
    assert bench_line("math", 1828)["problem"] == "Compute $\\sin 30^\\circ$."
    assert matched("Exercise 3. Compute $\\sin 30^\\circ$. Then compute the cosine.", index) == [("math", "1828")]
    assert matched("Exercise 3. Compute $\\sin 30$ degrees.", index) == []      # not the whole question
    # a question of fewer tokens than min_exact_tokens is not matched
    cfg = make_config("decontaminate.min_exact_tokens=5")
    strict = D.build_index(decontaminate.load_texts(cfg), decontaminate.index_options(cfg))
    assert matched("Exercise 3. Compute $\\sin 30^\\circ$.", strict) == []


def test_one_stock_phrase_is_not_a_leak(index):
    """SymPy's documentation and a MATH solution share one 13-gram: the definition of a rational number."""
    page = "A rational number is $\\frac{a}{b}$ where $a$ and $b$ are integers and $b \\neq 0$."
    assert "where $a$ and $b$ are integers and $b \\neq 0" in bench_line("math", 2884)["solution"]
    assert matched(page, index) == []
    loose = D.build_index(decontaminate.load_texts(make_config()), index_options("min_matches=1"))
    assert matched(page, loose) == [("math", "2884")]
    result = D.decontaminate(page, None, loose, options())
    assert result["contamination"][0]["ngram"] == "frac a b where a and b are integers and b neq 0"
    assert (result["keep"], result["reason"]) == (False, "benchmark_contamination")
    assert result["value"] == 'math/2884 "frac a b where a and b are integers and b neq 0"'


def test_cut_removes_the_item_and_moves_the_images(index):
    question = bench_line("gsm8k", 1216)["question"]
    head = "Intro " + IMG + " " + "The group of units of a ring is studied here in detail. " * 10
    tail = "\n\n" + "Further results on cyclic groups follow in the next sections. " * 10 + IMG + " end"
    text = head + "\nPuzzle of the week: " + IMG + " " + question + " Send us your answer!\n" + tail
    images = [{"url": f"u{i}", "alt": None, "position": pos}
              for i, pos in enumerate(p for p in range(len(text)) if text.startswith(IMG, p))]
    opts = options("policy='cut'", "context_chars=30", "max_cuts=10", "min_chars_left=200")
    out = D.decontaminate(text, images, index, opts)
    assert out["keep"] and out["reason"] is None
    assert [(m["benchmark"], m["item_id"]) for m in out["contamination"]] == [("gsm8k", "1216")]
    assert out["contamination"][0]["matches"] > 20
    new = out["text"]
    assert out["contamination_chars_cut"] == len(text) - len(new) > len(question)
    assert new.startswith("Intro " + IMG) and new.endswith(IMG + " end") and "Puzzle of the week" not in new
    assert D.find_hits(new, index)[1] == []                      # nothing of the item is left
    # the image inside the cut is gone, the others point at their placeholders
    assert [im["url"] for im in out["images"]] == ["u0", "u2"]
    assert all(new[im["position"]:im["position"] + len(IMG)] == IMG for im in out["images"])
    # too little left, too many cuts: dropped after all
    out = D.decontaminate(text, images, index, options("policy='cut'", "context_chars=30",
                                                       f"min_chars_left={len(text)}"))
    assert (out["keep"], out["reason"]) == (False, "benchmark_contamination_too_little_left")
    assert out["value"].endswith('chars left: gsm8k/1216 "' + " ".join(D.tokens(question)[:13]) + '"')
    twice = text + "\n" + "Filler text about rings and fields. " * 20 + question
    out = D.decontaminate(twice, None, index, options("policy='cut'", "context_chars=30", "max_cuts=1"))
    assert (out["keep"], out["reason"]) == (False, "benchmark_contamination_too_many_cuts")
    assert out["value"].startswith("2 cuts: gsm8k/1216")


def test_a_document_that_cannot_be_checked_is_not_kept(index):
    import pandas as pd
    question = bench_line("gsm8k", 1216)["question"]
    frame = pd.DataFrame({"text": ["x " * 300 + question + " y" * 300, None, "plain text"],
                          "images": [[{"url": "u", "alt": None, "position": "not a number"}], None, None]})
    out = D.score_frame(frame, index, options("policy='cut'"))
    assert list(out["keep"]) == [False, True, True]
    assert out["reason"][0] == "decontamination_failed" and out["value"][0].startswith("TypeError")
    assert list(out.columns) == ["text", "images", "contamination", "contamination_chars_cut", "keep", "reason",
                                 "value"]


def test_benchmark_registry(tmp_path):
    cfg = make_config()
    assert [b.name for b in decontaminate.benchmarks(cfg)] == ["gsm8k", "math", "math500", "mmlu_stem"]
    index = decontaminate.build_index(cfg)
    assert {b for b, _ in index.texts} == {"gsm8k", "math", "math500", "mmlu_stem"}
    assert len({key for key in index.texts}) == 1319 + 5000 + 500 + 3018
    # items no n-gram of which can be indexed (all numbers and one-letter variables): reported, and few
    assert len(index.unmatchable) == 7 and {b for b, _ in index.unmatchable} == {"mmlu_stem"}
    # a user adds a test set of their own, and leaves one out
    own = tmp_path / "own.jsonl"
    own.write_text(json.dumps({"q": "Which quarry in the valley shipped the most granite blocks to the harbour "
                                    "town during the long winter?", "key": "Q-7"}) + "\n")
    cfg = make_config(f'decontaminate.benchmarks.own.file="{own}"', 'decontaminate.benchmarks.own.question=["q"]',
                      'decontaminate.benchmarks.own.id="key"', "decontaminate.benchmarks.mmlu_stem.enabled=false")
    assert [b.name for b in decontaminate.benchmarks(cfg)] == ["gsm8k", "math", "math500", "own"]
    page = "Local history: which quarry in the valley shipped the most granite blocks to the harbour town " \
           "during the long winter? Nobody knows."
    assert matched(page, decontaminate.build_index(cfg)) == [("own", "Q-7")]
    # a broken benchmark file is a configuration error naming the line, before anything runs
    own.write_text(json.dumps({"q": "fine", "key": "1"}) + "\n{not json\n")
    with pytest.raises(ConfigError, match=r"benchmark 'own': .*own.jsonl:2: not JSON"):
        decontaminate.load_texts(cfg)
    own.write_text(json.dumps({"question": "no q here", "key": "1"}) + "\n")
    with pytest.raises(ConfigError, match=r"own.jsonl:1: no question field 'q'"):
        decontaminate.load_texts(cfg)
    with pytest.raises(ConfigError, match="benchmark file not found: nope.jsonl"):
        decontaminate.benchmarks(make_config('decontaminate.benchmarks.gsm8k.file="nope.jsonl"'))


@pytest.mark.parametrize("override, message", [
    ("decontaminate.policy=delete", "config key 'decontaminate.policy' must be 'drop' or 'cut', got 'delete'"),
    ("decontaminate.ngram=0", "config key 'decontaminate.ngram' must be > 0, got 0"),
    ("decontaminate.min_word_tokens=14",
     "config key 'decontaminate.min_word_tokens' (14) must not exceed 'decontaminate.ngram' (13)"),
    ("decontaminate.benchmarks.arc.file=arc.jsonl",
     "config key 'decontaminate.benchmarks.arc.question' must be a non-empty list of field names, got []"),
    ("decontaminate.benchmarks.gsm8k.fields=1", "unknown config key 'decontaminate.benchmarks.gsm8k.fields'"),
    ("export.jsonl_compression=bz2", "config key 'export.jsonl_compression' must be 'zst' or 'gz', got 'bz2'"),
    ('export.formats=["csv"]', "config key 'export.formats' must be a non-empty list of 'parquet' and 'jsonl', "
                               "got ['csv']"),
    ("export.shards=0", "config key 'export.shards' must be > 0, got 0"),
])
def test_bad_decontaminate_and_export_keys(override, message):
    with pytest.raises(ConfigError) as exc:
        make_config(override)
    assert str(exc.value) == message


# --- measured on the shipped sample crawl ----------------------------------------------------------------------

def leaks(truth) -> dict[str, dict]:
    return {t["url"]: t["leaked_benchmark"] for t in truth if t["leaked_benchmark"]}


def expected(leak: dict) -> set[tuple[str, str]]:
    want = {(leak["name"], str(leak["id"]))}
    if leak.get("math500_unique_id"):
        want.add(("math500", leak["math500_unique_id"]))
    return want


def test_every_leak_in_the_text_is_caught_and_nothing_else(sample_docs, truth, index):
    """All 458 documents of the shipped sample (main-content text, as the pipeline extracts it)."""
    planted = leaks(truth)
    assert len(planted) == 17 and len({(v["name"], v["id"]) for v in planted.values()}) == 15
    flagged = {url: set(matched(doc["text"], index)) for url, doc in sample_docs.items()}
    flagged = {url: items for url, items in flagged.items() if items}
    assert len(sample_docs) == 458
    assert len(flagged) == 15 and set(flagged) <= set(planted)          # no page without a leak flagged
    for url, items in flagged.items():
        assert items == expected(planted[url])                            # the right benchmark and item
    # pyporting carries its item (MATH 1967, a TeX problem) in the Sphinx sidebar: its $...$ are the page's only
    # math markup and none of it is in the main content, so the page keeps its whole text
    # (extract.main_content_math_share) and the leak is in the text, caught.
    pyporting = "https://docs.python.org/3.11/howto/pyporting.html"
    assert flagged[pyporting] == {("math", "1967"), ("math500", "test/geometry/627.json")}
    assert sample_docs[pyporting]["math_markup"]["tex_delimiters"] == 3
    # The 2 others (http.client and its mirror) carry a GSM8K item, plain prose without math markup, in the
    # sidebar, which the main-content extraction removes: not one n-gram of it is in the text, so it cannot
    # reach the corpus.
    missed = set(planted) - set(flagged)
    assert len(missed) == 2 and {u.rsplit("/", 1)[-1] for u in missed} == {"http.client.html"}
    for url in missed:
        leak = planted[url]
        item = bench_line(leak["name"], leak["line"])["question" if leak["name"] == "gsm8k" else "problem"]
        assert not set(zip(*[D.tokens(item)[i:] for i in range(13)])) & set(
            zip(*[D.tokens(sample_docs[url]["text"])[i:] for i in range(13)]))


def test_every_leak_in_the_visible_text_is_caught(truth, index):
    """The same pages extracted whole (extract.main_content = false): all 17 leak records caught, and the
    number-run pages (natural 13-gram overlaps) still not flagged."""
    from jobs import extract
    from udfs.extract import extract_file

    opts = extract.options(make_config("extract.main_content=false"), "visible")
    docs = {r["url"]: r for path in sorted(SAMPLE.glob("*.warc.gz")) for r in extract_file(str(path), opts)
            if r["kind"] == "document"}
    planted = leaks(truth)
    flagged = {url: set(matched(doc["text"], index)) for url, doc in docs.items()}
    flagged = {url: items for url, items in flagged.items() if items}
    assert set(flagged) == set(planted)
    assert all(items == expected(planted[url]) for url, items in flagged.items())
    natural = {t["url"] for t in truth if t["natural_13gram_overlap"]}
    assert len(natural) == 14 and not natural & set(flagged)


def test_a_naive_index_flags_the_number_runs(sample_docs, truth, naive):
    """What the word rule and min_matches prevent: plain 13-gram matching flags 15 pages without a leak."""
    flagged = {url for url, doc in sample_docs.items() if matched(doc["text"], naive)}
    planted, natural = set(leaks(truth)), {t["url"] for t in truth if t["natural_13gram_overlap"]}
    assert len(flagged & planted) == 15
    assert len(flagged - planted) == 15 and len((flagged - planted) & natural) == 14


# --- the Spark stage -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def warehouse(spark, sample_docs, tmp_path_factory):
    """The table decontaminate reads (whichever stage precedes it) and the one that holds its text, made of the
    sample's 458 documents with the earlier stages' signal columns empty, except one model version."""
    from pyspark.sql import functions as F

    wh = tmp_path_factory.mktemp("decon")
    source = tables.source_of("decontaminate")
    rows = [tuple(doc.get(f.name) for f in tables.DOCUMENTS.fields) for doc in sample_docs.values()]
    docs = spark.createDataFrame(rows, tables.DOCUMENTS)
    for table in (tables.text_table(source), source):   # the source, and the table that holds its text
        schema = tables.stage_schema(table)
        filled = docs.select(*[F.col(f.name) if f.name in docs.columns else F.lit(None).cast(f.dataType).alias(f.name)
                               for f in schema.fields])
        filled = filled.withColumn("math_model_recall", F.lit("math_recall-test"))
        tables.replace_slice(filled, str(wh), table, "true")
    return wh


def test_stage_drops_contaminated_documents(spark, warehouse, truth):
    cfg = make_config(f'run.warehouse="{warehouse}"', 'run.run_id="decon-drop"')
    summary = filtering.run(spark, cfg, decontaminate.STAGE)
    # the 15 leak pages whose text holds their item (test_every_leak_in_the_text_is_caught_and_nothing_else)
    assert summary == {"input": 458, "kept": 443, "rejected": 15, "cut": 0}
    planted = leaks(truth)
    rejected = [r for r in tables.read(spark, str(warehouse), "rejected").collect() if r["stage"] == "decontaminate"]
    assert {r["reason"] for r in rejected} == {"benchmark_contamination"}
    assert {r["url"] for r in rejected} <= set(planted)
    for r in rejected:
        leak = planted[r["url"]]
        assert r["value"].startswith(f'{leak["name"]}/{leak["id"]} "') and r["warc_record_offset"] is not None
    corpus = tables.read(spark, str(warehouse), "corpus")
    assert corpus.schema == tables.stage_schema("corpus") == tables.TABLES["corpus"][0]
    rows = corpus.collect()
    assert {r["run_id"] for r in rows} == {"decon-drop"}
    assert all(r["contamination"] == [] and r["contamination_chars_cut"] == 0 for r in rows)
    assert {r["math_model_recall"] for r in rows} == {"math_recall-test"}     # earlier columns carried along
    from jobs import stats
    _, funnel = stats.funnel(spark, str(warehouse), "decon-drop")
    assert {(c, v) for s, c, v in funnel if s == "decontaminate"} == {
        ("input", 458), ("kept", 443), ("rejected.benchmark_contamination", 15)}


def test_stage_cuts_and_export(spark, warehouse, truth, tmp_path):
    cfg = make_config(f'run.warehouse="{warehouse}"', 'run.run_id="decon-cut"', "decontaminate.policy=cut")
    summary = filtering.run(spark, cfg, decontaminate.STAGE)
    # 14 leak pages cut; the 15th, Python's 585-character C-API index, keeps 174 characters (< 200): dropped
    assert summary == {"input": 458, "kept": 457, "rejected": 1, "cut": 14}
    source = {r["doc_id"]: r for r in tables.read_text(spark, str(warehouse), tables.source_of("decontaminate")).collect()}
    rows = tables.read(spark, str(warehouse), "corpus").collect()
    rejected = [r for r in tables.read(spark, str(warehouse), "rejected").collect() if r["stage"] == "decontaminate"]
    assert [(r["url"], r["reason"]) for r in rejected] == [          # the drop run's 15 rows replaced
        ("https://docs.python.org/3.11/c-api/index.html", "benchmark_contamination_too_little_left")]
    assert rejected[0]["value"].startswith('174 chars left: gsm8k/847 "brenda invested')
    planted = leaks(truth)
    cut = [r for r in rows if r["contamination"]]
    assert len(rows) == 457 and len(cut) == 14 and {r["url"] for r in cut} <= set(planted)
    for r in rows:
        before = source[r["doc_id"]]
        if r["contamination"]:
            assert {(c["benchmark"], c["item_id"]) for c in r["contamination"]} == expected(planted[r["url"]])
            assert r["contamination_chars_cut"] == len(before["text"]) - len(r["text"]) > 300
        else:
            assert (r["text"], r["images"], r["contamination_chars_cut"]) == (before["text"], before["images"], 0)
        assert all(r["text"][im["position"]:im["position"] + len(IMG)] == IMG for im in r["images"] or [])

    out = tmp_path / "export"
    cfg = make_config(f'run.warehouse="{warehouse}"', "export.shards=3", 'export.jsonl_compression="gz"')
    manifest = export.run(spark, cfg, str(out))
    assert manifest["rows"] == 457 and manifest["shards"] == 3
    assert manifest["run_ids"] == {"decon-cut": 457}
    assert manifest["models"]["math_model_recall"] == {"math_recall-test": 457}
    assert manifest["chars"] == sum(len(r["text"]) for r in rows)
    assert manifest["tokens_estimate"] == round(manifest["chars"] / 4.0)
    import pyarrow.parquet as pq
    seen = []
    for shard in range(3):
        parquet = out / sh.shard_path("parquet", shard, 3)
        table = pq.read_table(parquet)
        ids = table.column("doc_id").to_pylist()
        assert ids == sorted(ids) and all(sh.shard_of(i, 3) == shard for i in ids)
        assert table.schema.names == list(manifest["columns"])
        lines = gzip.decompress((out / sh.shard_path("jsonl", shard, 3, "gz")).read_bytes()).decode().splitlines()
        assert [json.loads(line)["doc_id"] for line in lines] == ids
        seen += ids
    assert sorted(seen) == sorted(r["doc_id"] for r in rows)
    assert sum(f["rows"] for f in manifest["files"]) == 2 * 457
    assert all(f["bytes"] == (out / f["path"]).stat().st_size for f in manifest["files"])
    assert json.loads((out / "manifest.json").read_text())["rows"] == 457
    assert "path: data/train-*" in (out / "README.md").read_text()
    # the same corpus exports to the same bytes; more shards than documents per shard still gives every file
    first = {f["path"]: (out / f["path"]).read_bytes() for f in manifest["files"]}
    export.run(spark, cfg, str(out))
    assert {p: (out / p).read_bytes() for p in first} == first
    ids = [r["doc_id"] for r in rows]
    n = next(n for n in range(2, 400) if len({sh.shard_of(i, n) for i in ids}) < n)
    assert n == 74
    many = export.run(spark, make_config(f'run.warehouse="{warehouse}"', f"export.shards={n}",
                                         'export.formats=["jsonl"]'), str(out))
    assert len(many["files"]) == n and sum(f["rows"] for f in many["files"]) == 457
    assert not list((out / "data").glob("*.parquet"))                 # the earlier export's shards are gone
    import zstandard
    empty = [f for f in many["files"] if f["rows"] == 0][0]
    assert zstandard.ZstdDecompressor().stream_reader(open(out / empty["path"], "rb")).read() == b""


def test_cli_checks_benchmarks_before_spark(capsys, tmp_path):
    """A missing or broken benchmark file stops `webmath decontaminate` (and `run`) before anything runs."""
    from jobs import cli
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "fine"}\n{"question": \n')
    for override, message in (
            ('decontaminate.benchmarks.gsm8k.file="nope.jsonl"',
             "webmath: error: config key 'decontaminate.benchmarks.gsm8k.file': benchmark file not found: nope.jsonl"),
            (f'decontaminate.benchmarks.gsm8k.file="{broken}"',
             f"webmath: error: benchmark 'gsm8k': {broken}:2: not JSON")):
        code = cli.main(["decontaminate", "--warehouse", str(tmp_path / "wh"), "--set", override])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith(message)
    code = cli.main(["export", "--warehouse", str(tmp_path / "wh"), "--out", str(tmp_path / "out"),
                     "--set", "export.shards=0"])
    assert code == 2 and capsys.readouterr().err.strip() == "webmath: error: config key 'export.shards' must be > 0, got 0"
    assert not (tmp_path / "wh").exists() and not (tmp_path / "out").exists()

