"""S3 wiring: the `[s3]` section as s3fs's settings (udfs.storage, for the WARC files, the input lists and the
exports, read and written by Python) and as S3A's (`spark.hadoop.fs.s3a.*`, for an `s3a://` warehouse written
by Spark), and the checks that an S3 location can be reached before anything runs."""
from __future__ import annotations

from jobs.config import ConfigError, section_options
from udfs import storage

# s3.credentials -> S3A's credentials provider (AWS SDK v2 classes; hadoop-aws 3.4)
S3A_PROVIDERS = {
    "default": "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
    "environment": "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
    "anonymous": "org.apache.hadoop.fs.s3a.AnonymousAWSCredentialsProvider",
}
S3_SCHEMES = ("s3://", "s3a://")


def options(cfg: dict) -> storage.S3Options:
    return section_options(cfg, "s3", storage.S3Options)


def s3a_conf(cfg: dict) -> dict[str, str]:
    """The Hadoop settings of S3A for `[s3]`, as Spark configuration keys (`spark.hadoop.fs.s3a.*`)."""
    opts = options(cfg)
    seconds = lambda value: f"{max(1, int(round(value * 1000)))}ms"
    conf = {
        # an `s3://` warehouse is S3A too (EMR's own s3:// file system: override it in [spark.conf])
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.path.style.access": str(opts.path_style).lower(),
        "fs.s3a.connection.ssl.enabled": str(opts.ssl).lower(),
        "fs.s3a.aws.credentials.provider": S3A_PROVIDERS[opts.credentials],
        "fs.s3a.connection.establish.timeout": seconds(opts.connect_timeout),
        "fs.s3a.connection.timeout": seconds(opts.read_timeout),
        # tries of one request by the AWS SDK, and of one S3A operation around it (the first one excluded)
        "fs.s3a.attempts.maximum": str(opts.max_attempts - 1),
        "fs.s3a.retry.limit": str(opts.max_attempts - 1),
    }
    if opts.endpoint:
        conf["fs.s3a.endpoint"] = opts.endpoint
    if opts.region:
        conf["fs.s3a.endpoint.region"] = opts.region
    return {f"spark.hadoop.{k}": v for k, v in conf.items()}


def is_s3(location: str) -> bool:
    return location.startswith(S3_SCHEMES)


def check(location: str, what: str) -> None:
    """An s3:// or s3a:// location's bucket exists and answers a listing of the location with these settings and
    credentials; else a ConfigError naming `what` and the cause, before anything is read or written."""
    if not is_s3(location):
        return
    bucket, _, key = location.split("://", 1)[1].partition("/")
    if not bucket:
        raise ConfigError(f"{what} {location}: no bucket in the URL")
    try:
        import s3fs
    except ImportError as exc:
        raise ConfigError(f"{what} {location}: {exc} (install the s3 extra)") from None
    # an instance of its own, without s3fs's five tries around each request: an endpoint that accepts connections
    # and never answers fails this check after s3.read_timeout on each of s3.max_attempts tries, not five times that
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.retries = 1
    try:
        fs.call_s3("list_objects_v2", Bucket=bucket, Prefix=key.rstrip("/") + "/" if key else "", MaxKeys=1)
    except storage.errors() as exc:
        raise ConfigError(f"{what} {location}: {storage.describe(exc)}") from None
