"""A real S3 API for the tests: moto's S3 server on 127.0.0.1 in this process (`ThreadedMotoServer`), and buckets
laid out like Common Crawl's (`crawl-data/<crawl>/segments/<segment>/warc/<file>.warc.gz`, with a
`crawl-data/<crawl>/warc.paths.gz` of paths relative to the bucket)."""
from __future__ import annotations

import gzip
import json
import socket
from dataclasses import dataclass
from pathlib import Path

CRAWL = "CC-SAMPLE-2026-01"   # the sample crawl's warcinfo `isPartOf`
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "webmath-test-key", "AWS_SECRET_ACCESS_KEY": "webmath-test-secret",
               "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def segment_key(name: str, index: int, crawl: str = CRAWL) -> str:
    """Where Common Crawl keeps a WARC file: one segment per file here (Common Crawl's segment names are a
    timestamp in milliseconds and a two-digit number)."""
    return f"crawl-data/{crawl}/segments/1767225600000.{index:02d}/warc/{name}"


@dataclass
class S3Server:
    endpoint: str      # host:port, the `s3.endpoint` setting
    server: object     # moto.server.ThreadedMotoServer
    sample: str = ""   # the sample crawl's warc.paths.gz (conftest's `s3` fixture)
    warehouse: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def client(self, service: str = "s3"):
        import boto3
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def settings(self) -> list[str]:
        """`--set` overrides that point webmath at this server."""
        return [f's3.endpoint="{self.endpoint}"', "s3.path_style=true", "s3.ssl=false", f's3.region="{REGION}"',
                's3.credentials="environment"']

    def open_to(self, spark) -> None:
        """Let a Spark session of this process read this server's buckets through S3A. Its JVM was started before
        the credentials were in the environment, so they are given to S3A's simple provider (a test's fake keys)."""
        from jobs import config, storage
        hadoop = spark.sparkContext._jsc.hadoopConfiguration()
        for key, value in storage.s3a_conf(config.load(config.CONF_DIR / "local.toml", self.settings())).items():
            hadoop.set(key.removeprefix("spark.hadoop."), value)
        hadoop.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
        hadoop.set("fs.s3a.access.key", CREDENTIALS["AWS_ACCESS_KEY_ID"])
        hadoop.set("fs.s3a.secret.key", CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def make_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def make_crawl(self, bucket: str, files: list[Path], crawl: str = CRAWL) -> str:
        """A bucket holding `files` as Common Crawl lays them out, and their `warc.paths.gz`; its URL."""
        self.make_bucket(bucket)
        s3 = self.client()
        keys = []
        for i, path in enumerate(files):
            keys.append(segment_key(path.name, i, crawl))
            s3.upload_file(str(path), bucket, keys[-1])
        self.put_paths(bucket, keys, crawl)
        return f"s3://{bucket}/crawl-data/{crawl}/warc.paths.gz"

    def put_paths(self, bucket: str, keys: list[str], crawl: str = CRAWL) -> None:
        body = gzip.compress("".join(k + "\n" for k in keys).encode(), mtime=0)
        self.client().put_object(Bucket=bucket, Key=f"crawl-data/{crawl}/warc.paths.gz", Body=body)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def require_auth(self, on: bool) -> None:
        """moto checks credentials and IAM policies on every request when on (by default it accepts any)."""
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if on else float("inf")
        ActionAuthenticatorMixin.request_count = 0

    def make_user(self, name: str, buckets: list[str]) -> tuple[str, str]:
        """An IAM user allowed everything on `buckets` and nothing else: (access key id, secret)."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        resources = [f"arn:aws:s3:::{b}{tail}" for b in buckets for tail in ("", "/*")]
        iam.put_user_policy(UserName=name, PolicyName="buckets", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": resources}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]


def start() -> S3Server:
    import logging

    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return S3Server(f"127.0.0.1:{port}", server)
