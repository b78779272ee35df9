"""The figures of `webmath bench compare` (bench.figures): stage lines, rates, ratios, growth, scales and
the tables. Plain functions: no Spark, no datatrove."""
from bench.figures import (combined, fmt_mib, fmt_ratio, format_table, growth, metrics, parse_stage_line,
                           per_core, ratio, scale_files, stage_docs)


def test_parse_stage_line_reads_webmaths_own_line():
    assert parse_stage_line("[dedup] 48.1s: input 1,115, kept 102, rejected 13, clusters_with_copies 12\n") == (
        "dedup", 48.1, {"input": 1115, "kept": 102, "rejected": 13, "clusters_with_copies": 12})
    assert parse_stage_line("[extract] 3s: kept 280") == ("extract", 3.0, {"kept": 280})


def test_parse_stage_line_ignores_other_lines():
    assert parse_stage_line("run run-1: 4 WARC file(s) -> wh") is None
    assert parse_stage_line("[decontaminate] done before: all 4 file(s)") is None
    assert parse_stage_line("[Stage 3:>   (0 + 2) / 2]") is None


def test_stage_docs_counts_documents_made_by_extract_and_read_by_the_others():
    assert stage_docs("extract", {"files": 4, "records_read": 904, "kept": 299, "skipped": 1}) == (300, 299, 299)
    assert stage_docs("extract", {"input": 150, "kept": 148, "timeout": 0}) == (150, 148, 148)
    assert stage_docs("language", {"input": 299, "kept": 252, "rejected": 47}) == (299, 252, 299)


def test_rates_and_ratios():
    assert per_core(300, 10.0, 2) == 15.0
    assert per_core(300, 0.0, 2) is None
    assert ratio(3.0, 4.0) == 0.75
    assert ratio(3.0, 0) is None
    assert ratio(None, 4.0) is None


def test_metrics_and_combined():
    lang = metrics("language", 4.0, 8.0, 3 * 2**20, 5 * 2**20, {"input": 200, "kept": 150}, 2)
    assert lang == {"docs_in": 200, "kept": 150, "docs": 200, "seconds": 4.0, "cpu_seconds": 8.0, "cores": 2,
                    "docs_per_s_per_core": 25.0, "docs_per_cpu_s": 25.0, "peak_largest": 3 * 2**20,
                    "peak_total": 5 * 2**20}
    ext = metrics("extract", 6.0, 2.0, 4 * 2**20, 4 * 2**20, {"input": 210, "kept": 200}, 2)
    assert combined([ext, lang], 200, 2) == {"docs": 200, "seconds": 10.0, "cpu_seconds": 10.0, "cores": 2,
                                             "docs_per_s_per_core": 10.0, "docs_per_cpu_s": 20.0,
                                             "peak_largest": 4 * 2**20, "peak_total": 5 * 2**20}


def test_growth_is_large_over_small():
    small = {"docs": 100, "seconds": 10.0, "cpu_seconds": 16.0, "peak_largest": 1000, "peak_total": 2000}
    large = {"docs": 400, "seconds": 25.0, "cpu_seconds": 60.0, "peak_largest": 1500, "peak_total": 2000}
    assert growth(small, large) == {"docs": 4.0, "seconds": 2.5, "cpu_seconds": 3.75, "peak_largest": 1.5,
                                    "peak_total": 1.0}


def test_scale_files_takes_a_share_of_the_files_per_scale():
    paths = [f"f{i}" for i in range(8)]
    assert scale_files(paths, [4, 1, 2]) == {1: ["f0", "f1"], 2: ["f0", "f1", "f2", "f3"], 4: paths}
    try:
        scale_files(paths[:3], [1, 4])
    except ValueError as exc:
        assert str(exc) == "3 WARC files cannot make 4 scales: pass at least 4"
    else:
        raise AssertionError("no error")


def test_formats():
    assert fmt_ratio(0.4249) == "0.42x"
    assert fmt_ratio(None) == "-"
    assert fmt_mib(1536 * 2**20, 3 * 2**30) == "1,536/3,072"
    assert format_table(["stage", "docs/s"], [["extract", "1.5"], ["dedup", "12,345.0"]]) == (
        "stage      docs/s\n"
        "extract       1.5\n"
        "dedup    12,345.0")
