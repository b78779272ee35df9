"""The one place that builds the SparkSession.

`local` profile: embedded Spark (`local[*]`) with the Delta extension and catalog; the Delta jars come from
Maven Central through delta-spark's own helper and are cached in the Ivy cache. Under spark-submit (the
`cluster` profile sets no master) the submit line decides the master and brings the Delta jars (`--packages`,
or jars already on the cluster's classpath); the JVM is running by then, so nothing is resolved here. The
`spark.packages` of the profile (hadoop-aws in `local`) are resolved with Delta's. S3A's settings come from the
`[s3]` section in both cases (jobs.storage.s3a_conf).
"""
from __future__ import annotations

import os
import sys


def build(cfg: dict, app_suffix: str = ""):
    from pyspark.sql import SparkSession

    spark_cfg = cfg["spark"]
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    if spark_cfg["master"].startswith("local") and not submitted:
        # Python workers of embedded Spark run this interpreter (the project's venv), not whatever is on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(spark_cfg["app_name"] + (f"-{app_suffix}" if app_suffix else ""))
    # Under spark-submit (the launcher hands Python its gateway) the submit line's master wins, whatever the
    # profile says: a forgotten `--conf conf/cluster.toml` must not run a cluster job inside the driver.
    if spark_cfg["master"] and not submitted:
        builder = builder.master(spark_cfg["master"])
    builder = (builder
               .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
               .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", str(spark_cfg["shuffle_partitions"]))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               # file statistics on the leading columns only (the provenance: doc_id, url_host, crawl, fetch_time,
               # warc_path, offsets): they serve data skipping, while min/max over page text only costs time
               .config("spark.databricks.delta.properties.defaults.dataSkippingNumIndexedCols", "10"))
    # S3A (an s3a:// warehouse) from the [s3] section; [spark.conf] may still override any of its keys
    from jobs import storage
    for key, value in storage.s3a_conf(cfg).items():
        builder = builder.config(key, value)
    for key, value in spark_cfg["conf"].items():
        builder = builder.config(key, str(value).lower() if isinstance(value, bool) else str(value))
    if spark_cfg["delta_from_maven"] and not submitted:
        from delta import configure_spark_with_delta_pip
        builder = configure_spark_with_delta_pip(builder, extra_packages=spark_cfg["packages"] or None)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark

