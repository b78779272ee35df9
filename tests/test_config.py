"""Configuration and command-line checks: one clear line naming the key, exit 2, nothing written."""
from __future__ import annotations

import pytest

from jobs import cli, config
from tests.conftest import SAMPLE


def run_cli(capsys, tmp_path, *args):
    warehouse = tmp_path / "wh"
    code = cli.main(["extract", "--warehouse", str(warehouse), *args])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err, warehouse


def test_defaults_and_local_profile_load():
    cfg = config.load(config.CONF_DIR / "local.toml")
    assert cfg["spark"]["master"] == "local[*]"
    assert cfg["extract"]["max_html_bytes"] == 1048576
    assert cfg["extract"]["html_types"] == ["text/html", "application/xhtml+xml"]
    assert "spark.ui.enabled" not in cfg["spark"]["conf"]   # the UI a run prints the address of
    assert cfg["spark"]["conf"]["spark.ui.showConsoleProgress"] == "false"
    assert cfg["run"]["progress_seconds"] == 5.0


def test_cluster_profile_sets_no_master():
    assert config.load(config.CONF_DIR / "cluster.toml")["spark"]["master"] == ""


def test_shipped_paths_of_the_defaults_are_relative_to_the_folder_of_conf(monkeypatch, tmp_path):
    """Whatever the working directory; a path given by `--set` stays as given (relative to it)."""
    monkeypatch.chdir(tmp_path)
    cfg = config.load(None, ['decontaminate.benchmarks.math.file="mine.jsonl"'])
    root = config.CONF_DIR.parent
    assert config.BASE_DIR == root
    assert cfg["classifier"]["model_dir"] == str(root / "models")
    assert cfg["classifier"]["positive"] == str(root / "data" / "seed" / "math_positive.txt")
    assert cfg["math_precision"]["labelled"] == [str(root / "data" / "seed" / "api_docs.jsonl.gz"),
                                                 str(root / "data" / "seed" / "api_docs_no_formula.jsonl.gz"),
                                                 str(root / "data" / "seed" / "web_text.jsonl.gz")]
    assert cfg["decontaminate"]["benchmarks"]["gsm8k"]["file"] == str(root / "data" / "benchmarks" / "gsm8k_test.jsonl")
    assert cfg["decontaminate"]["benchmarks"]["math"]["file"] == "mine.jsonl"


def test_overrides_are_typed():
    cfg = config.load(None, ["extract.max_html_bytes=2048", "extract.main_content=false",
                             'extract.html_types=["text/html"]', "input.prefix=s3://commoncrawl/",
                             "spark.conf.spark.executor.memory=8g"])
    assert cfg["extract"]["max_html_bytes"] == 2048
    assert cfg["extract"]["main_content"] is False
    assert cfg["extract"]["html_types"] == ["text/html"]
    assert cfg["input"]["prefix"] == "s3://commoncrawl/"
    assert cfg["spark"]["conf"]["spark.executor.memory"] == "8g"


@pytest.mark.parametrize("override, message", [
    ("extract.max_html_byte=5", "webmath: error: unknown config key 'extract.max_html_byte'"),
    ("nosection.key=1", "webmath: error: unknown config key 'nosection'"),
    ("extract.max_html_bytes=big", "webmath: error: config key 'extract.max_html_bytes' must be an integer, got 'big'"),
    ("extract.verify_digests=1", "webmath: error: config key 'extract.verify_digests' must be a boolean, got 1"),
    ("extract.max_html_bytes=0", "webmath: error: config key 'extract.max_html_bytes' must be > 0, got 0"),
    ('run.warehouse=""', "webmath: error: config key 'run.warehouse' must be a folder or URL, got ''"),
    ("language.keep=[]", "webmath: error: config key 'language.keep' must be a non-empty list, got []"),
    ('extract.html_types=["Text/HTML"]',
     "webmath: error: config key 'extract.html_types' must be lower-case MIME types, got ['Text/HTML']"),
    ("quality.min_words=200000",
     "webmath: error: config key 'quality.min_words' (200000) must not exceed 'quality.max_words' (100000)"),
    ("math_recall.threshold_with_markup=15",
     "webmath: error: config key 'math_recall.threshold_with_markup' must be between 0 and 1, got 15.0"),
    ('run.warehouse="C:\\data\\wh"', 'webmath: error: --set run.warehouse: "C:\\data\\wh" is not a valid TOML value'),
    ("dedup.exact_margin=1.5", "webmath: error: config key 'dedup.exact_margin' must be between 0 and 1, got 1.5"),
    ("dedup.bands=0", "webmath: error: config key 'dedup.bands' must be > 0, got 0"),
    ("run.progress_seconds=-1", "webmath: error: config key 'run.progress_seconds' must be >= 0, got -1.0"),
    ("extract.keep_status=[\"200\"]",
     "webmath: error: config key 'extract.keep_status' must be a list of integers, got ['200']"),
])
def test_bad_key_is_one_line_and_nothing_is_written(capsys, tmp_path, override, message):
    code, err, warehouse = run_cli(capsys, tmp_path, "--input", str(SAMPLE / "warc.paths"), "--set", override)
    assert code == 2
    assert err == [message]
    assert not warehouse.exists()


def test_missing_input_is_one_line(capsys, tmp_path):
    code, err, warehouse = run_cli(capsys, tmp_path, "--input", str(tmp_path / "nope" / "warc.paths"))
    assert code == 2
    assert err == [f"webmath: error: input not found: {tmp_path / 'nope' / 'warc.paths'}"]
    assert not warehouse.exists()


def test_missing_profile_is_one_line(capsys, tmp_path):
    code, err, warehouse = run_cli(capsys, tmp_path, "--conf", str(tmp_path / "x.toml"),
                                   "--input", str(SAMPLE / "warc.paths"))
    assert code == 2
    assert err == [f"webmath: error: config file not found: {tmp_path / 'x.toml'}"]
    assert not warehouse.exists()


def test_profile_with_unknown_key(capsys, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text("[extract]\nmax_html_bytes = 10\nfrobnicate = true\n")
    code, err, warehouse = run_cli(capsys, tmp_path, "--conf", str(profile), "--input", str(SAMPLE / "warc.paths"))
    assert code == 2
    assert err == ["webmath: error: unknown config key 'extract.frobnicate'"]
    assert not warehouse.exists()


def test_stage_options_come_from_their_sections():
    """Every stage's options are its section's keys by name: the values of conf/defaults.toml reach the stages,
    lists as tuples and tables as sorted pairs, and a profile or `--set` changes them."""
    from jobs import dedup, language
    cfg = config.load(None, ["dedup.seed=2", 'language.keep=["de", "en"]'])
    opts = dedup.options(cfg)
    assert (opts.ngram, opts.bands, opts.rows, opts.seed, opts.max_chars) == (5, 18, 7, 2, 500000)
    lang = language.options(cfg)
    assert lang.keep == ("de", "en") and lang.fold == (("wuu", "zh"), ("yue", "zh"))
    assert lang.min_score == cfg["language"]["min_score"]


def test_stage_options_name_a_missing_key():
    from udfs.dedup import MinHashOptions
    cfg = config.load(None)
    del cfg["dedup"]["rows"]
    with pytest.raises(config.ConfigError) as exc:
        config.section_options(cfg, "dedup", MinHashOptions)
    assert str(exc.value) == "config key 'dedup.rows' not found (MinHashOptions.rows has no other value)"
    assert config.section_options(cfg, "dedup", MinHashOptions, rows=3).rows == 3   # given by the caller
    with pytest.raises(TypeError, match="no field 'rowz'"):
        config.section_options(cfg, "dedup", MinHashOptions, rows=3, rowz=3)
