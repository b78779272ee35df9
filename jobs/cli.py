"""The `webmath` command: one subcommand per stage, each with --conf, --set, --input and --warehouse.

Configuration and input are checked before Spark starts: a bad key, a wrong type or a missing input prints
one line naming it and exits 2 with nothing written. Every command that writes to the warehouse holds its
lease (jobs.lease) from before Spark starts to the end; exit 3 with one line when another writer holds it for
longer than `run.lease_wait_seconds`, when this run's lease was taken over, or when a commit kept losing to
another writer's; exit 4 with one line when not one record could be read from the input's WARC files.
The same `main` is the entry point for spark-submit:
`spark-submit --py-files dist/webmath.zip dist/main.py run --conf dist/conf/cluster.toml ...` with the folder
of `make package`, or `spark-submit jobs/cli.py ...` in a checkout whose Python has the project installed.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

from jobs import config, tables
from udfs import storage as udfs_storage

STAGES = {stage.name: stage.help for stage in tables.REGISTRY}
# Stages `webmath run` executes, in pipeline order.
PIPELINE = tables.PIPELINE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webmath", description="Build a math pre-training corpus from WARC files.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--conf", default=str(config.CONF_DIR / "local.toml"),
                       help="profile in conf/ (default: conf/local.toml; on a cluster: conf/cluster.toml)")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override one config key, e.g. --set extract.max_html_bytes=2097152")
        p.add_argument("--warehouse", help="warehouse root: one Delta folder per table (run.warehouse)")

    for name, help_text in STAGES.items():
        p = sub.add_parser(name, help=help_text)
        common(p)
        p.add_argument("--input", help="warc.paths file, glob, folder or WARC file (input.path); for the stages "
                                        "after extract it limits them to those WARC files' documents")
        p.add_argument("--run-id", help="run id recorded on every row (run.run_id)")
    p = sub.add_parser("train-classifier", help="train a fastText math classifier, with a held-out evaluation")
    common(p)
    p.add_argument("--name", default="math_recall", help="model name: MODEL_DIR/<name>.bin (default math_recall)")
    p.add_argument("--labelled", help="JSONL with 'text' and 'label' (default: the seed text in classifier.*)")
    p = sub.add_parser("sample", help="export a stratified sample of a stage's table (score bucket, domain) as JSONL")
    common(p)
    p.add_argument("--table", default="math_recall", help="stage table to sample (default math_recall)")
    p.add_argument("--score-column", default="math_score_recall", help="score that defines the strata")
    p.add_argument("--n", type=int, default=400, help="rows to export (default 400)")
    p.add_argument("--out", required=True, help="JSONL file to write")
    p = sub.add_parser("expand-seeds", help="math domains (DeepSeekMath) and their unkept pages as candidate seeds")
    common(p)
    p.add_argument("--out", required=True, help="folder for candidates.jsonl and math_domains.json")
    p = sub.add_parser("evaluate", help="precision and recall of the math selection per stage against labels")
    common(p)
    p.add_argument("--truth", required=True, help="JSONL with record_id and label per response (truth.jsonl)")
    p.add_argument("--split", help="measure only the pages of this split of the truth file (e.g. measured)")
    p = sub.add_parser("run", help="every stage in order on an input: " + " -> ".join(PIPELINE))
    common(p)
    p.add_argument("--input", help="warc.paths file, glob, folder or WARC file (input.path)")
    p.add_argument("--run-id", help="run id recorded on every row (run.run_id)")
    p = sub.add_parser("refresh", help="carry the input's WARC files that are not through the pipeline yet through "
                                       "every stage (new files, failed files, a run that was killed)")
    common(p)
    p.add_argument("--input", help="warc.paths file, glob, folder or WARC file (input.path)")
    p.add_argument("--run-id", help="run id recorded on every row (run.run_id)")
    p = sub.add_parser("sql", help="run Spark SQL with every table of the warehouse registered by its name")
    common(p)
    p.add_argument("query", help="e.g. \"SELECT reason, count(*) FROM rejected GROUP BY 1 ORDER BY 2 DESC\"")
    p.add_argument("--limit", type=int, default=50, help="rows printed at most (default 50)")
    p = sub.add_parser("maintain", help="Delta housekeeping of every table: compaction (OPTIMIZE), then VACUUM")
    common(p)
    p = sub.add_parser("export", help="write the corpus table as training shards (Parquet, JSONL) with a manifest")
    common(p)
    p.add_argument("--out", required=True, help="export folder (local or fsspec URL): data/, jsonl/, manifest.json")
    p = sub.add_parser("report", help="an HTML page with charts of a run: funnel, score histograms with the "
                                      "thresholds, rejection reasons, languages, sampled documents")
    common(p)
    p.add_argument("--run-id", help="run to report on (default: the latest)")
    p.add_argument("--out", help="folder for index.html and the charts, local or on S3 (default: WAREHOUSE/report)")
    p = sub.add_parser("funnel", help="print the funnel of a run from stage_stats")
    common(p)
    p.add_argument("--run-id", help="run to show (default: the latest)")
    p = sub.add_parser("warm", help="start Spark once so the Delta jars (and spark.packages) are resolved and cached")
    common(p)
    return parser


def _config(args: argparse.Namespace) -> dict:
    cfg = config.load(args.conf, args.overrides)
    if args.warehouse:
        cfg["run"]["warehouse"] = args.warehouse
    if getattr(args, "input", None):
        cfg["input"]["path"] = args.input
    if getattr(args, "run_id", None):
        cfg["run"]["run_id"] = args.run_id
    return cfg


# Stages whose tasks count the files and pages they finish (jobs.watch.Counter) for the progress line.
COUNTED = ("extract",)


def _module(name: str):
    import importlib
    return importlib.import_module(f"jobs.{name}")


def per_page(name: str):
    """The stage's FilterStage when it judges one page at a time (it can run in a pass with others), else None."""
    from jobs import filtering
    stage = getattr(_module(name), "STAGE", None)
    return stage if isinstance(stage, filtering.FilterStage) else None


def passes(plan: list[tuple[str, list[str] | None]]) -> list[list[tuple[str, list[str] | None]]]:
    """`plan` cut into passes: a per-page stage joins the pass of the stage before it when that one is extract
    or per-page too and both run on the same files; dedup, which needs all pages at once, is a pass alone."""
    out: list[list[tuple[str, list[str] | None]]] = []
    for name, todo in plan:
        if out and per_page(name) and (out[-1][-1][0] == "extract" or per_page(out[-1][-1][0])) \
                and out[-1][-1][1] == todo:
            out[-1].append((name, todo))
        else:
            out.append([(name, todo)])
    return out


def run_pass(spark, cfg: dict, names: list[str], paths: list[str] | None, counter=None) -> dict[str, dict]:
    """Run consecutive stages as one pass: extract with the per-page stages after it, a chain of per-page stages
    (jobs.filtering), or a stage alone (a module with `run(spark, cfg, paths)`); {stage: counts}. Extract's
    tasks add the files and pages they finish to `counter` (jobs.watch.Counter) when one is given."""
    from jobs import filtering
    head, chain = names[0], tuple(per_page(name) for name in names[1:])
    if head == "extract":
        from jobs import extract
        out = extract.run(spark, cfg, paths, chain, counter)
        return out if chain else {head: out}
    if per_page(head):
        return filtering.run_chain(spark, cfg, [per_page(head), *chain], paths)
    return {head: _module(head).run(spark, cfg, paths)}


def run_stage(spark, cfg: dict, name: str, paths: list[str] | None) -> dict:
    """Run one stage alone; its counts."""
    return run_pass(spark, cfg, [name], paths)[name]


class NothingRead(RuntimeError):
    """Not one record could be read from the input's WARC files; the message is one line."""


def nothing_read(spark, warehouse: str, paths: list[str]) -> NothingRead:
    """The error of a run whose every input file failed or held no record, with the first file's reason."""
    from pyspark.sql import functions as F
    failed = (tables.read(spark, warehouse, "ingest_log").where(tables.in_list("warc_path", paths))
              .where(F.col("status") != "ok").orderBy("warc_path").select("warc_path", "status", "error").first())
    example = f"; e.g. {failed['warc_path']}: {failed['status']}" + (f", {failed['error']}" if failed["error"] else "") \
        if failed is not None else ""
    return NothingRead(f"nothing was read: not one record from the {len(paths)} input WARC file(s) (each is in "
                       f"ingest_log){example[:400]}")


def run_pipeline(spark, cfg: dict, stages: list[str], paths: list[str] | None, resume: bool = False,
                 lease=None) -> bool:
    """Run `stages` in order on `paths` (None: every document of the tables), in passes (`passes`), a line per
    stage with its counts and the pass's time. With WARC paths every pass records the files its stages
    finished (jobs.progress); `resume` runs each stage only on the files it has not finished yet (and on those
    an earlier stage ran on). While a pass runs, a progress line on stderr (jobs.watch). Before each pass the
    warehouse's `lease` (jobs.lease), when one is held, is checked to be still this run's. When extract read
    not one record of its files and no later stage has other files due (a resumed run may), the run stops
    after recording them: NothingRead. False when there was nothing to do."""
    from jobs import progress, watch
    warehouse, run_id = cfg["run"]["warehouse"], cfg["run"]["run_id"]
    plan = [(name, paths) for name in stages]
    if resume:
        plan = progress.plan(spark, warehouse, paths, stages)
        if not plan[-1][1]:
            print(f"refresh {run_id}: all {len(paths)} WARC file(s) are through the pipeline already", flush=True)
            return False
    scope = f"{len(plan[-1][1])} WARC file(s)" if paths is not None else "all documents"
    print(f"run {run_id}: {scope} -> {warehouse}", flush=True)
    watch.print_ui(spark)
    for group in passes(plan):
        names, todo = [name for name, _ in group], group[0][1]
        if todo is not None and not todo:
            for name in names:
                print(f"[{name}] done before: all {len(paths)} file(s)", flush=True)
            continue
        if lease is not None:
            lease.check()
        started = time.time()
        with watch.progress(spark, names[0], len(todo) if todo is not None else None, cfg,
                            count=names[0] in COUNTED) as watching:
            summaries = run_pass(spark, cfg, names, todo, watching.counter if watching else None)
        if todo is not None:
            progress.record(spark, warehouse, run_id, names, todo, PIPELINE[PIPELINE.index(names[-1]) + 1:])
        for i, name in enumerate(names):
            took = f"{time.time() - started:.1f}s" if i == 0 else "same pass"
            print(f"[{name}] {took}: " + ", ".join(f"{k} {v:,}" for k, v in summaries[name].items()), flush=True)
        if names[0] == "extract" and todo and summaries["extract"]["records_read"] == 0 \
                and set(todo) >= set(plan[-1][1]):    # no other file is due at a later stage either
            raise nothing_read(spark, warehouse, todo)
    return True


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("run-%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def run_bench(argv: list[str]) -> int:
    """`webmath bench ...` and `webmath bench compare ...`: the benchmarks are the top-level `bench` package of a
    checkout, beside `jobs/` (found there when this `jobs` is the checkout's); webmath.zip and the image have none."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "bench" / "__init__.py").is_file() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        from bench import compare, stages
    except ModuleNotFoundError as exc:
        if exc.name != "bench":
            raise
        print("webmath bench: the benchmarks run from a checkout of the repository (bench/ beside jobs/); "
              "this installation has none", file=sys.stderr)
        return 2
    return compare.main(argv[1:]) if argv[:1] == ["compare"] else stages.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:   # its own options: `webmath bench --help`, `webmath bench compare --help`
        return run_bench(argv[1:])
    args = _parser().parse_args(argv)
    try:
        cfg = _config(args)
        from jobs import storage
        udfs_storage.apply(storage.options(cfg))   # s3:// reads and writes of this process (the driver)
        if args.command not in ("warm", "train-classifier"):
            storage.check(cfg["run"]["warehouse"], "warehouse")
        if args.command == "export":
            storage.check(args.out, "export folder")
        paths = None
        if args.command in ("extract", "run", "refresh") or (args.command in STAGES and cfg["input"]["path"]):
            from jobs import inputs
            paths = inputs.resolve(cfg["input"]["path"], cfg["input"]["prefix"])
        if not cfg["run"]["run_id"]:
            cfg["run"]["run_id"] = new_run_id()
        stages = PIPELINE if args.command in ("run", "refresh") else [args.command]
        for stage in ("math_recall", "math_precision"):
            if stage in stages:
                from jobs import classify
                classify.model_path(cfg, cfg[stage]["model"])
        if "decontaminate" in stages:
            from jobs import decontaminate
            decontaminate.load_texts(cfg)   # every registered benchmark file readable, every line an item
        if args.command == "report":
            from jobs import report
            storage.check(report.out_dir(cfg["run"]["warehouse"], args.out), "report folder")
        truth = None
        if args.command == "evaluate":
            from jobs import evaluate
            truth = evaluate.load_truth(args.truth)
        if args.command == "train-classifier":
            from jobs import train_classifier
            print(train_classifier.format_report(train_classifier.run(cfg, args.name, args.labelled)))
            return 0
    except config.ConfigError as exc:
        print(f"webmath: error: {exc}", file=sys.stderr)
        return 2

    from jobs import lease
    writes = args.command in lease.WRITERS or args.command in STAGES
    try:
        with lease.held(cfg, args.command, log=lambda line: print(line, file=sys.stderr, flush=True)) \
                if writes else nullcontext() as held:
            return _session_command(args, cfg, paths, stages, truth, held)
    except config.ConfigError as exc:
        print(f"webmath: error: {exc}", file=sys.stderr)
        return 2
    except (lease.LeaseHeld, lease.LeaseLost, tables.ConcurrentWriteError) as exc:
        print(f"webmath: error: {exc}", file=sys.stderr)
        return 3
    except NothingRead as exc:
        print(f"webmath: error: {exc}", file=sys.stderr)
        return 4


def _session_command(args, cfg: dict, paths, stages, truth, held) -> int:
    """The part of `main` that runs on a Spark session (the warehouse's lease `held` by writing commands)."""
    from jobs import session, stats
    spark = session.build(cfg, args.command)
    try:
        warehouse = cfg["run"]["warehouse"]
        if args.command == "warm":
            print(f"spark {spark.version} with delta ready")
            return 0
        if args.command == "funnel":
            print(stats.format_funnel(*stats.funnel(spark, warehouse, args.run_id)))
            return 0
        if args.command == "sample":
            from jobs import sample
            result = sample.run(spark, cfg, args.table, args.score_column, args.n, args.out)
            print(f"{result['rows']} rows -> {result['out']} (per score bucket: {result['per_bucket']})")
            return 0
        if args.command == "expand-seeds":
            from jobs import expand_seeds
            result = expand_seeds.run(spark, cfg, args.out)
            print(f"{result['math_domains']} math domains, {result['candidates']} candidate pages -> {result['out']}")
            return 0
        if args.command == "evaluate":
            from jobs import evaluate
            print(evaluate.format_report(evaluate.run(spark, cfg, truth, args.split), cfg["evaluate"]["listed"]))
            return 0
        if args.command == "export":
            from jobs import export
            print(export.format_manifest(export.run(spark, cfg, args.out), args.out))
            return 0
        if args.command == "sql":
            from jobs import sql
            print(sql.run(spark, warehouse, args.query, args.limit))
            return 0
        if args.command == "report":
            from jobs import report
            result = report.run(spark, cfg, args.run_id, args.out)
            print(f"report: {result['index']} ({len(result['charts'])} charts, "
                  f"{len(result['report'].samples)} sampled documents)")
            return 0
        if args.command == "maintain":
            from jobs import maintain
            print(maintain.format_report(maintain.run(spark, cfg)))
            return 0
        if run_pipeline(spark, cfg, stages, paths, resume=args.command == "refresh", lease=held):
            print(stats.format_funnel(*stats.funnel(spark, warehouse, cfg["run"]["run_id"])))
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
