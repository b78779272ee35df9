"""`webmath dedup`: math_recall -> deduped: exact duplicates, then MinHash-LSH near duplicates, decided against
the pages already published (`minhash_index`) and within the new input.

1. Keys (a pandas UDF, `udfs.dedup.key_frame`): normalised URL, content hash, MinHash signature, band hashes.
2. Exact: per content hash, then per normalised URL, the best page of the group stays. "Best" is one total
   order, the same everywhere: a published page first, then the latest fetch, then the smallest doc_id.
   Groups are reduced with `min` over that order, an aggregate Spark combines before the shuffle, so a
   group of a million copies never sits in one task.
3. Near: pages that share a band hash are linked to the band bucket's smallest doc_id (a star, not every
   pair: a boilerplate bucket of n pages gives n - 1 links, and its count and minimum are again combinable
   aggregates). Links whose signatures agree on too few permutations are dropped. Connected components
   come from union-find on the driver when the links are few (`dedup.driver_edges`), from large-star/small-star
   rounds in Spark itself when they are more; the best page of a component stays, and every
   other new page of it is removed only if its Jaccard with the kept page reaches the threshold: the
   signatures' estimate where that is more than `dedup.exact_margin` from the threshold, the exact Jaccard
   of the two shingle sets (texts joined back) where it is closer.
Removed pages go to `rejected` (`exact_duplicate`, `near_duplicate`; the value names the kept doc_id and how),
kept pages to `deduped` with `cluster_id` and `cluster_size`, and their keys to `minhash_index`. The stage owns
the slice of its input's WARC files in all three tables, so a rerun replaces its own decisions and is never
judged against itself.
"""
from __future__ import annotations

from functools import reduce

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import filtering, stats, tables
from jobs.config import ConfigError, section_options
from udfs import dedup

STAGE = "dedup"
KEYS = T.StructType([f for f in tables.MINHASH_INDEX.fields if f.name in dedup.KEY_COLUMNS])
NODE = ["doc_id", "fetch_time", "url_key", "content_key", "signature", "bands"]
# `minhash_index`'s properties that record what its signatures were made with (udfs.dedup.MinHashOptions.scheme)
PROPERTY = "webmath.dedup."


# The stage's decisions are written as a chain's are (jobs.filtering.outputs): its decided rows carry the
# decision columns of a chain of this one stage; the decisions themselves come from `deduplicate`, not a scorer.
DECIDED = filtering.FilterStage(name=STAGE, inputs=(), scorer=None,
                                kept_counters=(("clusters_with_copies", "cluster_size > 1"),))


def options(cfg: dict) -> dedup.MinHashOptions:
    return section_options(cfg, "dedup", dedup.MinHashOptions)


def keyed(source: DataFrame, cfg: dict) -> DataFrame:
    """The `minhash_index` columns of `source`'s pages (those it has): doc_id, crawl, warc_path, fetch_time,
    url_key, content_key, signature and bands. No text: this is what the stage keeps in memory."""
    opts = options(cfg)
    tracking = frozenset(p.lower() for p in cfg["dedup"]["tracking_params"])

    def keys(frame: pd.DataFrame) -> pd.DataFrame:
        return dedup.key_frame(frame, opts, tracking)

    udf = F.pandas_udf(keys, KEYS)
    carried = [f.name for f in tables.MINHASH_INDEX.fields if f.name in source.columns and f.name not in KEYS.names]
    return source.withColumn("_k", udf(F.struct("url", "text"))).select(*carried, "_k.*")


def _rank(published) -> F.Column:
    """The order in which pages of a duplicate group are preferred, smallest first."""
    return F.struct(F.when(published, 0).otherwise(1).alias("p"),
                    (-F.coalesce(F.unix_micros("fetch_time"), F.lit(0))).alias("t"), F.col("doc_id").alias("d"))


def _agreement(a: str, b: str, permutations: int) -> F.Column:
    """The share of permutations on which two signatures agree: the MinHash estimate of their Jaccard."""
    same = F.zip_with(a, b, lambda x, y: F.when(x == y, 1).otherwise(0))
    return F.aggregate(same, F.lit(0), lambda acc, v: acc + v) / permutations


def _large_star(e: DataFrame) -> DataFrame:
    both = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
    low = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return both.join(low, "u").where("v > u").select(F.col("v").alias("u"), F.col("m").alias("v")).distinct()


def _small_star(e: DataFrame) -> DataFrame:
    low = e.groupBy("u").agg(F.min("v").alias("m"))
    linked = e.join(low, "u").where("v != m").select(F.col("v").alias("u"), F.col("m").alias("v"))
    return linked.unionByName(low.select("u", F.col("m").alias("v"))).distinct()


def _converged(e: DataFrame) -> bool:
    """Whether the edges (u, v), u > v, are a forest of stars, which is where the rounds stop: every node has
    at most one edge to a smaller node, and no node that has one is the smaller node of another. Then each
    star's centre is the smallest node of its component. One small job."""
    up = e.groupBy("u").agg(F.count(F.lit(1)).alias("n"))
    centres = e.select(F.col("v").alias("u")).distinct().withColumn("centre", F.lit(True))
    return up.join(centres, "u", "left").where("n > 1 OR centre").isEmpty()


COMPONENTS = T.StructType([T.StructField("node", T.StringType()), T.StructField("component", T.StringType())])


def connected_components(edges: DataFrame, max_iterations: int, driver_edges: int = 0) -> DataFrame:
    """Undirected edges (a, b) -> (node, component) for every node on an edge, the component named by its
    smallest node. Up to `driver_edges` distinct edges are brought to the driver and joined there
    (`udfs.dedup.components`: one small job instead of a few dozen); more are resolved in Spark by large-star
    and small-star rounds (Kiveris et al., 2014) until the edges are a forest of stars, each node pointing at
    its component's smallest node. Edges are kept as (u, v) with u > v."""
    e = (edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v")).where("u != v")
         .distinct().localCheckpoint())
    if driver_edges > 0:
        few = e.limit(driver_edges + 1).collect()
        if len(few) <= driver_edges:
            found = dedup.components((r["u"], r["v"]) for r in few)
            frame = pd.DataFrame({"node": list(found), "component": list(found.values())}, dtype=object)
            return e.sparkSession.createDataFrame(frame, COMPONENTS)
    for _ in range(max_iterations):
        if _converged(e):
            break
        e = _small_star(_large_star(e)).localCheckpoint()
    else:
        if not _converged(e):
            raise RuntimeError(f"connected components did not converge in {max_iterations} rounds "
                               f"(dedup.max_iterations)")
    return e.select(F.col("u").alias("node"), F.col("v").alias("component")).unionByName(
        e.select(F.col("v").alias("node"), F.col("v").alias("component"))).distinct()


def _texts_of(spark: SparkSession, texts: DataFrame, pairs: DataFrame) -> DataFrame:
    """The (doc_id, text) rows of the pages named in `pairs` (doc_id, target), from one scan of `texts`.
    The ids are broadcast to the scan when they fit Spark's own broadcast threshold
    (`spark.sql.autoBroadcastJoinThreshold`, at 64 bytes an id), so only these pages' texts are shuffled;
    more ids than that are joined by a shuffle."""
    ids = pairs.select("doc_id").unionByName(pairs.select(F.col("target").alias("doc_id"))).distinct()
    limit = spark._jsparkSession.sessionState().conf().autoBroadcastJoinThreshold()
    small = 0 <= ids.count() * 64 <= limit
    return texts.join(F.broadcast(ids) if small else ids, "doc_id", "left_semi").localCheckpoint()


def deduplicate(spark: SparkSession, new: DataFrame, published: DataFrame, texts: DataFrame, cfg: dict) -> DataFrame:
    """Decisions for the keyed `new` pages against the keyed `published` ones: doc_id, keep, reason, value,
    cluster_id, cluster_size. `texts` (doc_id, text) holds the text of every page of either, for the exact
    Jaccard that confirms a near-duplicate removal."""
    c = cfg["dedup"]
    opts = options(cfg)
    nodes = (new.select(*NODE, F.lit(False).alias("published"))
             .unionByName(published.select(*NODE, F.lit(True).alias("published")))
             .withColumn("rank", _rank(F.col("published"))))
    removed = []
    for key, how in (("content_key", "content"), ("url_key", "url")):
        best = nodes.where(F.col(key).isNotNull()).groupBy(key).agg(F.min("rank").alias("best"))
        joined = nodes.join(best, key, "left")
        dup = F.col("best").isNotNull() & (F.col("best.d") != F.col("doc_id"))
        removed.append(joined.where(dup & ~F.col("published")).select(
            "doc_id", F.col("best.d").alias("target"), F.lit("exact_duplicate").alias("reason"),
            F.lit(how).alias("how")))
        nodes = joined.where(~dup).drop("best").localCheckpoint()

    # near duplicates among the exact survivors
    perms = opts.permutations
    signed = nodes.where(F.col("signature").isNotNull())
    buckets = signed.select("doc_id", "published", F.posexplode("bands").alias("band", "h"))
    centres = (buckets.groupBy("band", "h")
               .agg(F.min("doc_id").alias("centre"), F.count(F.lit(1)).alias("n"),
                    F.min(F.col("published").cast("int")).alias("all_published"))
               .where("n > 1 AND all_published = 0"))
    links = (buckets.join(centres, ["band", "h"]).where("doc_id != centre")
             .select(F.col("centre").alias("a"), F.col("doc_id").alias("b")).distinct())
    sig = signed.select("doc_id", "signature")
    links = (links.join(sig.select(F.col("doc_id").alias("a"), F.col("signature").alias("sa")), "a")
             .join(sig.select(F.col("doc_id").alias("b"), F.col("signature").alias("sb")), "b")
             .where(_agreement("sa", "sb", perms) >= c["min_estimated_jaccard"]).select("a", "b"))
    components = connected_components(links, c["max_iterations"], c["driver_edges"])
    members = components.join(nodes.select(F.col("doc_id").alias("node"), "rank", "published"), "node")
    best = members.groupBy("component").agg(F.min("rank").alias("best"))
    candidates = (members.join(best, "component").where(~F.col("published") & (F.col("best.d") != F.col("node")))
                  .select(F.col("node").alias("doc_id"), F.col("best.d").alias("target")))

    # Each removal is decided by the Jaccard of the page and the page kept for it: on the signatures'
    # estimate where that is clearly above or below the threshold, by the exact Jaccard of the shingle sets
    # (the texts joined back) only within `exact_margin` of it.
    target_sig = sig.select(F.col("doc_id").alias("target"), F.col("signature").alias("st"))
    estimated = (candidates.join(sig, "doc_id").join(target_sig, "target")
                 .select("doc_id", "target", _agreement("signature", "st", perms).alias("est"))).localCheckpoint()
    low, high = c["threshold"] - c["exact_margin"], c["threshold"] + c["exact_margin"]
    on_estimate = estimated.where(F.col("est") >= high).select(
        "doc_id", "target", F.lit("near_duplicate").alias("reason"),
        F.format_string("jaccard~%.3f", "est").alias("how"))

    def similarity(frame: pd.DataFrame) -> pd.Series:
        return dedup.jaccard_frame(frame, opts)

    jaccard = F.pandas_udf(similarity, T.DoubleType())
    close = estimated.where((F.col("est") >= low) & (F.col("est") < high)).select("doc_id", "target")
    needed = _texts_of(spark, texts, close)
    confirmed = (close.join(needed, "doc_id")
                 .join(needed.select(F.col("doc_id").alias("target"), F.col("text").alias("other_text")), "target")
                 .withColumn("j", jaccard(F.struct("text", "other_text")))
                 .where(F.col("j") >= c["threshold"])
                 .select("doc_id", "target", F.lit("near_duplicate").alias("reason"),
                         F.format_string("jaccard=%.3f", "j").alias("how")))
    removed += [on_estimate, confirmed]
    removed = reduce(DataFrame.unionByName, removed).localCheckpoint()

    # a page removed for one that a later step removed points at the page finally kept
    resolved = removed.withColumn("final", F.col("target"))
    for _ in range(2):
        hop = removed.select(F.col("doc_id").alias("final"), F.col("target").alias("next"))
        resolved = resolved.join(hop, "final", "left").select(
            "doc_id", "target", "reason", "how", F.coalesce("next", "final").alias("final"))
    value = F.concat_ws(" ", "final", "how",
                        F.when(F.col("final") != F.col("target"), F.concat(F.lit("via "), F.col("target"))))
    dropped = resolved.select("doc_id", F.lit(False).alias("keep"), "reason", value.alias("value"),
                              F.lit(None).cast("string").alias("cluster_id"),
                              F.lit(None).cast("long").alias("cluster_size"))
    sizes = resolved.groupBy(F.col("final").alias("doc_id")).agg(F.count(F.lit(1)).alias("copies"))
    kept = (new.select("doc_id").join(resolved.select("doc_id"), "doc_id", "left_anti")
            .join(sizes, "doc_id", "left")
            .select("doc_id", F.lit(True).alias("keep"), F.lit(None).cast("string").alias("reason"),
                    F.lit(None).cast("string").alias("value"), F.col("doc_id").alias("cluster_id"),
                    (F.coalesce("copies", F.lit(0)) + 1).cast("long").alias("cluster_size")))
    return kept.unionByName(dropped)


def _index_scheme(spark: SparkSession, warehouse: str, cfg: dict, full: bool) -> tuple[dict, dict]:
    """(what this config makes, what `minhash_index` records). A run over part of the input compares its pages
    with the index's, so the two must agree: ConfigError, naming the key, when they do not. A run over every
    document (`full`) rebuilds the whole index and may change them."""
    wanted = {PROPERTY + k: v for k, v in options(cfg).scheme().items()}
    recorded = ({k: v for k, v in tables.properties(spark, warehouse, "minhash_index").items() if k in wanted}
                if tables.exists(spark, warehouse, "minhash_index") else None)
    if recorded is None or full:
        return wanted, recorded or {}
    rebuild = "rebuild it by running `webmath dedup` over all documents (no --input)"
    where = tables.path(warehouse, "minhash_index")
    for key, value in wanted.items():
        name, old = key[len(PROPERTY):], recorded.get(key)
        if old == value:
            continue
        if name == "keys_version":
            raise ConfigError(f"{where}: its signatures are of dedup keys version {old or '1'} and this webmath "
                              f"makes version {value}; {rebuild}")
        raise ConfigError(f"dedup.{name}: {value} here, but {where} was built with {old or 'no record of it'}, and "
                          f"signatures of the two do not compare; set it back or {rebuild}")
    return wanted, recorded


def run(spark: SparkSession, cfg: dict, paths: list[str] | None = None) -> dict:
    warehouse, run_id = cfg["run"]["warehouse"], cfg["run"]["run_id"]
    filtering.require_source(spark, warehouse, STAGE)
    wanted, recorded = _index_scheme(spark, warehouse, cfg, full=paths is None)
    owned = tables.in_list("warc_path", paths) if paths is not None else "true"
    everything = tables.read(spark, warehouse, tables.source_of(STAGE))
    source = everything.where(owned)
    new = keyed(filtering.spread(spark, source), cfg).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        if tables.exists(spark, warehouse, "minhash_index"):
            published = tables.read(spark, warehouse, "minhash_index").where(f"NOT ({owned})")
        else:
            published = spark.createDataFrame([], tables.MINHASH_INDEX)
        decisions = deduplicate(spark, new, published, everything.select("doc_id", "text"), cfg).localCheckpoint()
        index = new.join(decisions.where("keep").select("doc_id"), "doc_id").withColumn("run_id", F.lit(run_id))
        decided = decisions.select("doc_id", "cluster_id", "cluster_size", *[
            F.col(part).alias(filtering.decision_column(STAGE, part)) for part in ("keep", "reason", "value")])
        slices, rejected, counted = filtering.outputs(spark, cfg, [DECIDED], source.join(decided, "doc_id"), owned)
        tables.replace_slices(warehouse, [*slices, (rejected, "rejected", f"stage = '{STAGE}' AND ({owned})"),
                                          (index, "minhash_index", owned), stats.stages_slice(spark, run_id, counted)])
        if recorded != wanted:
            tables.set_properties(spark, warehouse, "minhash_index", wanted)
        return filtering.summary(counted[STAGE], DECIDED.kept_counters)
    finally:
        new.unpersist()
