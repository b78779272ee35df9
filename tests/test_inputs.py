"""Resolving --input on the driver: paths files, globs, folders, local and fsspec locations."""
from __future__ import annotations

import gzip

import fsspec
import pytest

from jobs import inputs
from jobs.config import ConfigError
from tests.conftest import BROKEN, REAL, SAMPLE


def test_paths_file_relative_to_its_folder_and_with_a_prefix(tmp_path):
    names = [f"CC-SAMPLE-2026-01-mini-0000{i}.warc.gz" for i in range(3)]
    assert inputs.resolve(str(SAMPLE / "warc.paths")) == [str(SAMPLE / n) for n in names]
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/a.warc.gz\n# a comment\n\ncrawl-data/b.warc.gz\n"))
    assert inputs.resolve(str(listing), "s3://commoncrawl/") == [
        "s3://commoncrawl/crawl-data/a.warc.gz", "s3://commoncrawl/crawl-data/b.warc.gz"]


def test_folder_glob_and_file():
    assert len(inputs.resolve(str(BROKEN))) == 9
    assert inputs.resolve(str(REAL / "whirlwind.warc*")) == [
        str(REAL / n) for n in ("whirlwind.warc.gz", "whirlwind.warc.wat.gz", "whirlwind.warc.wet.gz")]
    assert inputs.resolve("file://" + str(REAL / "whirlwind.warc.gz")) == [str(REAL / "whirlwind.warc.gz")]


def test_fsspec_folder_and_glob():
    fs = fsspec.filesystem("memory")
    for name in ("crawl/a.warc.gz", "crawl/sub/b.warc.gz", "crawl/notes.txt"):
        fs.pipe(f"/{name}", b"x")
    assert inputs.resolve("memory://crawl") == ["memory://crawl/a.warc.gz", "memory://crawl/sub/b.warc.gz"]
    assert inputs.resolve("memory://crawl/*.warc.gz") == ["memory://crawl/a.warc.gz"]
    with pytest.raises(ConfigError, match="input not found: memory://nothing/here"):
        inputs.resolve("memory://nothing/here")
    assert inputs.resolve("https://data.commoncrawl.org/x.warc.gz") == ["https://data.commoncrawl.org/x.warc.gz"]


def test_bad_inputs_are_config_errors(tmp_path):
    binary = tmp_path / "warc.paths"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="is not a text list of WARC paths"):
        inputs.resolve(str(binary))
    empty = tmp_path / "empty.paths"
    empty.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="lists no WARC files"):
        inputs.resolve(str(empty))
    with pytest.raises(ConfigError, match="matches no WARC files"):
        inputs.resolve(str(tmp_path / "*.warc.gz"))
