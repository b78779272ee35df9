"""S3 through fsspec (s3fs): the `[s3]` settings as s3fs's arguments, and errors of object storage in one line.

`apply` installs the settings as fsspec's defaults for `s3://` and `s3a://` in the process that calls it: the
driver (before it reads an input list or writes an export) and every Spark task that opens a WARC file or
writes a shard (the options travel in the task's closure, so executors need no configuration of their own).
Credentials never travel and are never configured: each process takes them from its own provider chain
(`credentials = "default"`: environment variables, the shared credentials file or profile, web identity, the
container or instance role), from its environment only (`"environment"`), or sends unsigned requests
(`"anonymous"`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

CREDENTIALS = ("default", "environment", "anonymous")


@dataclass(frozen=True)
class S3Options:
    """The `[s3]` keys of the same names (jobs.config.section_options)."""
    endpoint: str            # host[:port]; "" = AWS's endpoint for the region
    path_style: bool         # http(s)://endpoint/bucket/key instead of http(s)://bucket.endpoint/key
    region: str              # "" = the SDK's own (AWS_REGION, the profile)
    ssl: bool                # https (true) or http to the endpoint
    credentials: str         # one of CREDENTIALS
    connect_timeout: float   # seconds to open a connection
    read_timeout: float      # seconds to wait for data on an open connection
    max_attempts: int        # tries of one request, the first included


def s3fs_kwargs(opts: S3Options) -> dict:
    """The arguments of `s3fs.S3FileSystem` for these settings (credentials: see the module's docstring)."""
    client: dict = {}
    if opts.endpoint:
        client["endpoint_url"] = ("https://" if opts.ssl else "http://") + opts.endpoint
    if opts.region:
        client["region_name"] = opts.region
    kwargs = {
        "use_ssl": opts.ssl,
        "client_kwargs": client,
        "config_kwargs": {"connect_timeout": opts.connect_timeout, "read_timeout": opts.read_timeout,
                          "retries": {"max_attempts": opts.max_attempts, "mode": "standard"},
                          "s3": {"addressing_style": "path" if opts.path_style else "auto"}},
    }
    if opts.credentials == "anonymous":
        kwargs["anon"] = True
    elif opts.credentials == "environment":
        kwargs.update(key=os.environ.get("AWS_ACCESS_KEY_ID"), secret=os.environ.get("AWS_SECRET_ACCESS_KEY"),
                      token=os.environ.get("AWS_SESSION_TOKEN"))
    return kwargs


def apply(opts: S3Options | None) -> None:
    """Make these settings fsspec's defaults for s3:// and s3a:// in this process (None: leave them)."""
    if opts is None:
        return
    import fsspec.config
    fsspec.config.conf["s3"] = s3fs_kwargs(opts)


def errors() -> tuple[type[BaseException], ...]:
    """What reading or writing object storage raises: OSError (s3fs turns S3's answers into FileNotFoundError,
    PermissionError, ...) and botocore's own errors (no connection to the endpoint, no credentials)."""
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError:
        return (OSError,)
    return (OSError, BotoCoreError)


def describe(exc: BaseException) -> str:
    """One line saying what went wrong."""
    if isinstance(exc, FileNotFoundError):
        what = str(exc) or "no such object"
        return "bucket not found" if "bucket does not exist" in what else f"not found ({what})"
    if isinstance(exc, PermissionError):
        return (f"access denied ({exc or 'Forbidden'}): check the credentials the provider chain finds "
                "(s3.credentials) and their permissions")
    try:
        from botocore import exceptions as boto
    except ImportError:
        boto = None
    if boto is not None and isinstance(exc, (boto.ConnectionError, boto.ReadTimeoutError)):
        url = urlsplit(getattr(exc, "kwargs", {}).get("endpoint_url") or "")
        where = f"{url.scheme}://{url.netloc}" if url.netloc else "AWS"
        if isinstance(exc, boto.ReadTimeoutError):
            return f"the S3 endpoint {where} did not answer within s3.read_timeout: ReadTimeoutError"
        return f"cannot connect to the S3 endpoint {where} (s3.endpoint, s3.ssl): {type(exc).__name__}"
    if boto is not None and isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError)):
        return f"no AWS credentials ({exc}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile"
    name = type(exc).__name__
    text = " ".join(str(exc).split()) or name
    return f"{name}: {text}"[:500]
