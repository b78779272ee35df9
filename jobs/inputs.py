"""Which WARC files a run reads: a `warc.paths` file (optionally .gz, Common Crawl style), a glob, a folder or
one WARC file, on the local disk or any fsspec location (file://, http(s)://, s3://).

Resolved on the driver; a listed file that turns out to be missing is the file's own failure (a `failed` row
in `ingest_log`), but an `--input` that does not exist at all is a configuration error.
"""
from __future__ import annotations

import gzip
import io
import posixpath
from pathlib import Path

from jobs.config import ConfigError
from udfs import storage

WARC_SUFFIXES = (".warc.gz", ".warc", ".arc.gz")


def _is_url(text: str) -> bool:
    return "://" in text


def _is_paths_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith((".paths", ".paths.gz", ".txt", ".txt.gz")) and not base.endswith(WARC_SUFFIXES)


def _read_paths_file(location: str) -> list[str]:
    import fsspec

    try:
        with fsspec.open(location, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError as exc:
        bucket = _is_url(location) and storage.describe(exc) == "bucket not found"
        raise ConfigError(f"input not found: {location}" + (" (bucket not found)" if bucket else "")) from None
    except ImportError as exc:
        raise ConfigError(f"cannot read {location}: {exc} (for s3://, install the s3 extra)") from None
    except storage.errors() as exc:
        cause = storage.describe(exc) if _is_url(location) else exc
        raise ConfigError(f"cannot read {location}: {cause}") from None
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        lines = io.StringIO(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"input {location} is not a text list of WARC paths") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _absolute(entry: str, prefix: str, base: str) -> str:
    if _is_url(entry) or entry.startswith("/"):
        return entry
    if prefix:
        return prefix.rstrip("/") + "/" + entry.lstrip("/")
    if _is_url(base):
        return posixpath.join(base, entry)
    return str(Path(base, entry).resolve())


def _remote(spec: str) -> list[str]:
    """A glob, a folder or one file on an fsspec filesystem. Over http(s) only single files and paths files
    make sense (there is no listing), so a URL there is taken as one WARC file."""
    import fsspec

    protocol = spec.split("://", 1)[0]
    if protocol in ("http", "https") and not any(ch in spec for ch in "*?["):
        return [spec]
    try:
        fs, root = fsspec.core.url_to_fs(spec)
        if any(ch in spec for ch in "*?["):
            found = fs.glob(root)
        elif fs.isdir(root):
            found = [p for p in fs.find(root) if p.endswith(WARC_SUFFIXES)]
        elif fs.exists(root):
            found = [root]
        else:
            raise ConfigError(f"input not found: {spec}")
    except ImportError as exc:
        raise ConfigError(f"cannot read {protocol}:// inputs: {exc} (for s3://, install the s3 extra)") from None
    except storage.errors() as exc:
        raise ConfigError(f"cannot read {spec}: {storage.describe(exc)}") from None
    return sorted(p if "://" in p else f"{protocol}://{p.lstrip('/')}" for p in found)


def resolve(input_spec: str, prefix: str = "") -> list[str]:
    """The WARC locations named by `input_spec`, in a stable order, without repeats."""
    if not input_spec:
        raise ConfigError("no input: pass --input (a warc.paths file, a glob, a folder or a WARC file)")
    if _is_paths_file(input_spec):
        base = input_spec.rsplit("/", 1)[0] if "/" in input_spec else "."
        paths = [_absolute(entry, prefix, base) for entry in _read_paths_file(input_spec)]
        if not paths:
            raise ConfigError(f"input {input_spec} lists no WARC files")
        return list(dict.fromkeys(paths))
    if _is_url(input_spec) and not input_spec.startswith("file://"):
        paths = _remote(input_spec)
    else:
        local = input_spec[len("file://"):] if input_spec.startswith("file://") else input_spec
        path = Path(local)
        if any(ch in local for ch in "*?["):
            anchor = Path(local).anchor or "."
            pattern = str(path.relative_to(anchor)) if path.is_absolute() else local
            paths = sorted(str(p.resolve()) for p in Path(anchor).glob(pattern) if p.is_file())
        elif path.is_dir():
            paths = sorted(str(p.resolve()) for p in path.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES))
        elif path.is_file():
            paths = [str(path.resolve())]
        else:
            raise ConfigError(f"input not found: {input_spec}")
    if not paths:
        raise ConfigError(f"input {input_spec} matches no WARC files")
    return list(dict.fromkeys(paths))
