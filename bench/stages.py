"""`webmath bench`: docs/s per core of the extract stage on embedded Spark, next to the floor.

    webmath bench [--records 4000] [--files 8] [--crawl DIR] [--out bench-out]

Makes a crawl with ../shared/tools/make_crawl.py (or takes `--crawl DIR` holding a warc.paths), then measures
on the same files, one after the other:
  floor     FastWARC + Resiliparse `extract_plain_text(main_content=True)` in a plain Python loop, no Spark;
  udf-loop  webmath's own `extract_file` (robust reader, charset, math and images) in a plain loop, no Spark;
  spark-compute  the same extraction as Spark tasks (one per WARC file) into a no-op sink: Spark's own cost;
  spark-stage    `webmath extract` on embedded Spark with all cores, Delta writes and stage_stats included.
Per core = documents / seconds / cores used (1 for the loops). Prints a table and writes JSON.

`--stage pipeline` runs the whole pipeline (`webmath run`: its three passes) on half the WARC files (1x) and on
all of them (2x), one after the other in one session after a warm-up run, each on an empty warehouse, and
prints its rate at each and the marginal rate between them (the extra documents over the extra seconds, per
core) next to the floor's.

`--stage math_recall`, `--stage dedup` and `--stage decontaminate` measure those stages against the same
function in a plain loop; dedup also at 1x and 2x input, with peak memory. Decontamination runs over every extracted document (all four test sets indexed), and when the crawl
folder has a truth.jsonl that labels leaks, also reports how many leak records were caught.

`webmath bench compare` (bench/compare.py, `make bench`): the whole pipeline against datatrove's and the
floor, per stage, at 1x, 2x and 4x input; it measures its runs with `watch` below.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE_CRAWL = ROOT.parent / "shared" / "tools" / "make_crawl.py"


def make_crawl(out: Path, records: int, files: int) -> Path:
    crawl_dir = out / f"crawl-{records}"
    listing = next(crawl_dir.glob("crawl-data/*/warc.paths"), None) if crawl_dir.exists() else None
    if listing is None:
        if not MAKE_CRAWL.exists():
            sys.exit(f"webmath bench: {MAKE_CRAWL} not found; pass --crawl DIR with a warc.paths")
        subprocess.run([sys.executable, str(MAKE_CRAWL), "--records", str(records), "--files", str(files),
                        "--out", str(crawl_dir), "--seed", "1"], check=True)
        listing = next(crawl_dir.glob("crawl-data/*/warc.paths"))
    return listing


def floor_loop(paths: list[str]) -> tuple[int, float]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    docs = 0
    start = time.process_time()
    for path in paths:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.response):
                ctype = rec.http_content_type or ""
                if rec.http_headers.status_code != 200 or "html" not in ctype:
                    continue
                body = rec.reader.read()
                text = extract_plain_text(bytes_to_str(body, detect_encoding(body)), main_content=True)
                docs += bool(text)
    return docs, time.process_time() - start


def udf_loop(paths: list[str], cfg: dict) -> tuple[int, float]:
    from jobs import extract
    from udfs.extract import extract_file

    opts = extract.options(cfg, "bench")
    docs = 0
    start = time.process_time()
    for path in paths:
        docs += sum(1 for row in extract_file(path, opts) if row["kind"] == "document")
    return docs, time.process_time() - start


def spark_runs(paths: list[str], cfg: dict) -> dict:
    """The extract stage twice on one warm session: its compute alone (mapInArrow into Spark's `noop` sink),
    then the whole stage (Delta writes of documents, rejected, ingest_log and stage_stats included)."""
    from jobs import extract, session

    spark = session.build(cfg, "bench")
    cores = spark.sparkContext.defaultParallelism
    try:
        spark.range(cores).count()   # the JVM is up; Python workers start inside the timed runs
        start = time.time()
        extract.extracted(spark, cfg, paths).write.format("noop").mode("overwrite").save()
        compute = time.time() - start
        start = time.time()
        summary = extract.run(spark, cfg, paths)
        stage = time.time() - start
        return {"spark-compute": {"docs": summary["kept"], "seconds": compute, "cores": cores},
                "spark-stage": {"docs": summary["kept"], "seconds": stage, "cores": cores}}
    finally:
        spark.stop()


def classifier_runs(paths: list[str], cfg: dict, loop_docs: int) -> dict:
    """The math_recall stage on the crawl's `language` table (extract and language run first), next to the same
    model scoring the same texts in a plain Python loop."""
    from jobs import classify, filtering, math_recall, session, tables, train_classifier
    from jobs.cli import run_stage
    from jobs.config import ConfigError
    from udfs import mathclass

    try:
        model = classify.model_path(cfg, cfg["math_recall"]["model"])
    except ConfigError:   # no model yet: train the bootstrap one
        train_classifier.run(cfg, cfg["math_recall"]["model"])
        model = classify.model_path(cfg, cfg["math_recall"]["model"])
    spark = session.build(cfg, "bench")
    cores = spark.sparkContext.defaultParallelism
    try:
        for name in ("extract", "language"):
            run_stage(spark, cfg, name, paths)
        texts = [r["text"] for r in tables.read_text(spark, cfg["run"]["warehouse"], "language")
                 .select("text").limit(loop_docs).collect()]
        scorer = mathclass.load(str(model))
        start = time.process_time()
        for i in range(0, len(texts), 256):
            mathclass.math_probability(scorer, texts[i:i + 256], cfg["classifier"]["max_chars"])
        loop = {"docs": len(texts), "seconds": time.process_time() - start, "cores": 1}
        start = time.time()
        summary = filtering.run(spark, cfg, math_recall.STAGE, paths)
        stage = {"docs": summary["input"], "seconds": time.time() - start, "cores": cores}
        return {"loop": loop, "spark-stage": stage}
    finally:
        spark.stop()


def _documents_as_source(spark, cfg: dict, stage: str) -> None:
    """Every document as the table `stage` reads, with the columns of the stages in between left empty, so a late
    stage is measured on the whole crawl rather than on what the filters before it keep."""
    from pyspark.sql import functions as F

    from jobs import tables
    warehouse = cfg["run"]["warehouse"]
    source = tables.source_of(stage)
    if source == "documents":
        return
    docs = tables.read(spark, warehouse, "documents")
    schema = tables.stage_schema(source)
    filled = docs.select(*[F.col(f.name) if f.name in docs.columns else F.lit(None).cast(f.dataType).alias(f.name)
                           for f in schema.fields])
    tables.replace_slice(filled, warehouse, source, "true")


def _leak_report(spark, cfg: dict, truth_path: Path) -> str:
    """How many of the leak records labelled in `truth_path` the stage flagged (rejected, or cut), how many
    documents without a leak it flagged, and for the leaks it missed whether their item is in the extracted
    text at all (main-content extraction drops sidebars)."""
    from jobs import tables
    from udfs import decontam

    warehouse = cfg["run"]["warehouse"]
    truth = [json.loads(line) for line in open(truth_path, encoding="utf-8")]
    leaked = {t["record_id"]: t["leaked_benchmark"] for t in truth if t.get("leaked_benchmark")}
    rejected = tables.read(spark, warehouse, "rejected").where("stage = 'decontaminate'")
    cut = tables.read(spark, warehouse, "corpus").where("size(contamination) > 0")
    flagged = {r[0] for r in rejected.select("warc_record_id").union(cut.select("warc_record_id")).collect()}
    missed = [rid for rid in leaked if rid not in flagged]
    texts = {r[0]: r[1] for r in tables.read(spark, warehouse, "documents")
             .where(tables.in_list("warc_record_id", missed)).select("warc_record_id", "text").collect()}
    registry = cfg["decontaminate"]["benchmarks"]
    absent = 0
    for rid in missed:
        leak = leaked[rid]
        entry = registry.get(leak["name"])
        if rid not in texts or entry is None:
            continue
        with open(entry["file"], encoding="utf-8") as fh:
            item = json.loads(fh.readlines()[leak["line"]])
        grams = lambda toks: set(zip(*[toks[i:] for i in range(cfg["decontaminate"]["ngram"])]))
        question = "\n".join(str(item.get(f)) for f in entry["question"])
        absent += not grams(decontam.tokens(question)) & grams(decontam.tokens(texts[rid]))
    return (f"leaks ({truth_path}): {len(leaked) - len(missed)} of {len(leaked)} leak records caught; of the "
            f"{len(missed)} others, {len(missed) - len(texts)} are not documents and {absent} have no n-gram of "
            f"the item in their extracted text; {len(flagged - set(leaked))} documents without a leak flagged")


def _process_tree() -> dict[int, list[str]]:
    """pid -> the fields of /proc/pid/stat after the command name, for this process and its descendants (the
    JVM, Spark's Python workers); empty where /proc is not there."""
    stats = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    tree, grown = {os.getpid()}, True
    while grown:
        more = {pid for pid, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= more
        grown = bool(more)
    return {pid: stats[pid] for pid in tree if pid in stats}


def decontaminate_runs(paths: list[str], cfg: dict, loop_docs: int, truth_path: Path | None) -> tuple[dict, str]:
    """Decontamination (drop policy, all four test sets) over every extracted document: the same function in a
    plain loop, then the stage on Spark, index build and broadcast included."""
    import pandas as pd

    from jobs import decontaminate, filtering, session, tables
    from jobs.cli import run_stage
    from udfs import decontam

    spark = session.build(cfg, "bench")
    cores = spark.sparkContext.defaultParallelism
    try:
        run_stage(spark, cfg, "extract", paths)
        _documents_as_source(spark, cfg, "decontaminate")
        docs = tables.read(spark, cfg["run"]["warehouse"], "documents").select("warc_record_id", "text", "images")
        rows = [r.asDict(recursive=True) for r in docs.limit(loop_docs).collect()]
        start = time.process_time()
        index = decontaminate.build_index(cfg)
        built = time.process_time() - start
        opts = decontaminate.options(cfg)
        frame = pd.DataFrame(rows)
        start = time.process_time()
        for i in range(0, len(frame), 256):
            decontam.score_frame(frame.iloc[i:i + 256], index, opts)
        loop = {"docs": len(frame), "seconds": time.process_time() - start, "cores": 1}
        start = time.time()
        filtering.scored(spark, cfg, decontaminate.STAGE).write.format("noop").mode("overwrite").save()
        compute = {"docs": docs.count(), "seconds": time.time() - start, "cores": cores}
        decontaminate._INDEXES.clear()   # the stage builds its index as a real run does
        load = os.getloadavg()[0]
        _, stage, used, _ = _measured(lambda: filtering.run(spark, cfg, decontaminate.STAGE, paths), cores)
        results = {"loop": loop, "spark-compute": compute, "spark-stage": stage}
        if used is not None:
            results["spark-stage-cpu"] = used
        leaks = _leak_report(spark, cfg, truth_path) if truth_path is not None else ""
        note = (f"index: {index.size:,} n-grams of {len(index.texts):,} benchmark texts, built in {built:.1f} s "
                f"(inside the stage's time)\n"
                "spark-compute: the stage's UDF into a no-op sink; spark-stage: the whole stage, Delta writes and "
                "stage_stats included;\nspark-stage-cpu: the same run per CPU second of the driver, the JVM and "
                "the Python workers (not slowed by other load on the machine)"
                f"\nload average before the stage: {load:.1f}\n{leaks}")
        return results, note
    finally:
        spark.stop()


class TreeMonitor:
    """Samples this process (unless `itself` is False) and its descendants (the JVM, Spark's Python workers)
    every 0.2 s while in use: resident memory, as the largest single process and the largest sum, over the
    whole use and, with `lap()`, since the last lap; and CPU seconds (`cpu_seconds()`).

    CPU is each process's own user + system time as last sampled, summed over every process seen. Reaped
    children's times (cutime) are not used: Spark's Python daemon ignores SIGCHLD, so the kernel discards its
    workers' times when they exit and no parent ever accounts for them. A process loses at most the CPU of
    its last 0.2 s; one that lives less than that may be missed."""

    def __init__(self, itself: bool = True) -> None:
        import threading
        self.itself = itself
        self.largest = self.total = 0
        self._lap = (0, 0)
        self._cpu: dict[tuple[int, str], float] = {}      # (pid, start time) -> CPU seconds last seen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample_once(self) -> None:
        tree = {pid: fields for pid, fields in _process_tree().items() if self.itself or pid != os.getpid()}
        page, ticks = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
        sizes = [int(fields[21]) * page for fields in tree.values()]           # rss, in pages
        largest, total = max(sizes, default=0), sum(sizes)
        with self._lock:
            self.largest, self.total = max(self.largest, largest), max(self.total, total)
            self._lap = (max(self._lap[0], largest), max(self._lap[1], total))
            for pid, fields in tree.items():                                    # utime + stime
                self._cpu[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / ticks

    def cpu_seconds(self) -> float | None:
        """CPU seconds of every process seen so far, this moment included; None where /proc is not there.
        The difference of two calls is the CPU used between them."""
        if not Path("/proc/self/stat").exists():
            return None
        self._sample_once()
        with self._lock:
            return sum(self._cpu.values())

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self._sample_once()

    def lap(self) -> tuple[int, int]:
        """(largest process, largest sum) in bytes since the last lap (or the start), this moment included."""
        if Path("/proc/self/statm").exists():
            self._sample_once()
        with self._lock:
            peaks, self._lap = self._lap, (0, 0)
        return peaks

    def __enter__(self) -> "TreeMonitor":
        if Path("/proc/self/statm").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _measured(stage, cores: int) -> tuple[dict, dict, dict | None, TreeMonitor]:
    """Run `stage()` (it returns the stage's summary) under a TreeMonitor: (the summary, its row on wall time
    over `cores`, its row on CPU time or None where /proc is not there, the monitor with the peaks)."""
    with TreeMonitor() as monitor:
        cpu, start = monitor.cpu_seconds(), time.time()
        summary = stage()
        wall = {"docs": summary["input"], "seconds": time.time() - start, "cores": cores}
        used = None if cpu is None else {"docs": summary["input"], "seconds": monitor.cpu_seconds() - cpu,
                                         "cores": 1}
    return summary, wall, used, monitor


def _adopt_orphans() -> None:
    """Make this process the parent of its descendants' orphans (PR_SET_CHILD_SUBREAPER; Linux), so that the
    CPU time of a process that outlives its parent (the JVM outlives the Python driver that started it) is
    still counted when it is reaped."""
    import ctypes
    try:
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def watch(cmd: list[str], log: Path, env: dict | None = None) -> dict:
    """Run `cmd` (its output to `log`, its stderr to `log`.err) and measure it per stage: the stages are the
    lines `[stage] 12.3s: counter N, ...` it prints (webmath's own per-stage lines), each measured from the line
    before it (or from a `run ...` line, which ends the `startup`). Returns {"stages": [{stage, seconds (the
    line's own), interval, cpu_seconds, peak_largest, peak_total, counts}], "startup", "finish": the same
    without counts, "total": wall, CPU and peaks of the whole run, "returncode"}. CPU seconds are those of the
    command's whole process tree, exited processes included (see TreeMonitor); peaks are resident memory in
    bytes."""
    from bench.figures import parse_stage_line

    _adopt_orphans()
    with TreeMonitor(itself=False) as monitor, open(log, "w") as out:
        started = last = time.time()
        cpu_start = cpu_mark = monitor.cpu_seconds() or 0.0
        with open(f"{log}.err", "w") as err:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                                    bufsize=1)
        stages, startup = [], None
        for line in proc.stdout:
            out.write(line)
            out.flush()
            parsed = parse_stage_line(line)
            if parsed is None and not (startup is None and line.startswith("run ")):
                continue
            now, cpu = time.time(), monitor.cpu_seconds() or 0.0
            largest, total = monitor.lap()
            segment = {"interval": now - last, "cpu_seconds": cpu - cpu_mark, "peak_largest": largest,
                       "peak_total": total}
            if parsed is None:
                startup = {"seconds": now - last, **segment}
            else:
                name, seconds, counts = parsed
                stages.append({"stage": name, "seconds": seconds, **segment, "counts": counts})
            last, cpu_mark = now, cpu
        proc.wait()
        deadline = time.time() + 60   # the orphans it left (the JVM) exit in a moment: reap them
        while time.time() < deadline:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    time.sleep(0.1)
            except ChildProcessError:
                break
        largest, total = monitor.lap()
        after, cpu = time.time(), monitor.cpu_seconds() or 0.0
    finish = {"seconds": after - last, "interval": after - last, "cpu_seconds": cpu - cpu_mark,
              "peak_largest": largest, "peak_total": total}
    return {"stages": stages, "startup": startup, "finish": finish, "returncode": proc.returncode,
            "total": {"seconds": after - started, "cpu_seconds": cpu - cpu_start, "peak_largest": monitor.largest,
                      "peak_total": monitor.total}}


def dedup_runs(paths: list[str], cfg: dict, loop_docs: int) -> tuple[dict, str]:
    """Dedup over every extracted document (as the table it reads), on half the WARC files (1x) and on all of
    them (2x), each from empty dedup tables; next to the same key function (shingles, MinHash, bands) in a plain
    loop. Peak memory is sampled over the 2x run."""
    import pandas as pd

    from jobs import dedup, session, tables
    from jobs.cli import run_stage
    from udfs import dedup as dedup_udf

    spark = session.build(cfg, "bench")
    cores = spark.sparkContext.defaultParallelism
    warehouse = cfg["run"]["warehouse"]
    try:
        run_stage(spark, cfg, "extract", paths)
        _documents_as_source(spark, cfg, "dedup")
        frame = pd.DataFrame([r.asDict() for r in tables.read(spark, warehouse, "documents")
                              .select("url", "text").limit(loop_docs).collect()])
        opts = dedup.options(cfg)
        tracking = frozenset(cfg["dedup"]["tracking_params"])
        start = time.process_time()
        for i in range(0, len(frame), 256):
            dedup_udf.key_frame(frame.iloc[i:i + 256], opts, tracking)
        results = {"key-loop": {"docs": len(frame), "seconds": time.process_time() - start, "cores": 1}}
        notes = []
        for label, part in (("1x", paths[:max(1, len(paths) // 2)]), ("2x", paths)):
            for table in ("deduped", "minhash_index", "rejected"):
                shutil.rmtree(tables.path(warehouse, table), ignore_errors=True)
            summary, results[f"spark-stage-{label}"], used, memory = _measured(
                lambda: dedup.run(spark, cfg, part), cores)
            if used is not None:
                results[f"stage-cpu-{label}"] = used
            notes.append(f"{label}: {len(part)} files, {summary['input']:,} documents, {summary['rejected']:,} "
                         f"removed; peak memory: largest process {memory.largest / 2**20:,.0f} MiB, all "
                         f"processes {memory.total / 2**20:,.0f} MiB")
        one, two = results["spark-stage-1x"], results["spark-stage-2x"]
        notes.append(f"2x input ({two['docs'] / one['docs']:.2f}x documents) took {two['seconds'] / one['seconds']:.2f}x "
                     f"the time of 1x (target <= 2.2x)")
        notes.append("stage-cpu: the same runs per CPU second of the driver, the JVM and the Python workers")
        return results, "\n".join(notes)
    finally:
        spark.stop()


def pipeline_runs(spark, paths: list[str], cfg: dict, warm_up: bool = True) -> tuple[dict, str]:
    """`webmath run` over half the files (1x) and all of them (2x), one after the other on `spark` and each on
    an empty warehouse, next to the floor over all of them; documents are those extract kept. With `warm_up`
    the 1x run goes once before the measured ones: the first run of a session pays for the JIT, the Python
    workers' start and their compiled kernels, which would otherwise count against 1x and flatter the
    marginal rate."""
    from jobs import cli, stats

    results = {}
    docs, cpu = floor_loop(paths)
    results["floor"] = {"docs": docs, "seconds": cpu, "cores": 1}
    cores = spark.sparkContext.defaultParallelism
    warehouse = cfg["run"]["warehouse"]
    spark.range(cores).count()   # the JVM is up; Python workers start inside the timed runs
    half = paths[:max(1, len(paths) // 2)]
    for label, part in ((("warm-up", half),) if warm_up else ()) + (("1x", half), ("2x", paths)):
        shutil.rmtree(warehouse, ignore_errors=True)
        cfg["run"]["run_id"] = f"bench-{label}"
        start = time.time()
        cli.run_pipeline(spark, cfg, cli.PIPELINE, part)
        seconds = time.time() - start
        if label == "warm-up":
            continue
        kept = sum(v for stage, counter, v in stats.funnel(spark, warehouse, cfg["run"]["run_id"])[1]
                   if (stage, counter) == ("extract", "kept"))
        results[f"pipeline-{label}"] = {"docs": kept, "seconds": seconds, "cores": cores}
    one, two = results["pipeline-1x"], results["pipeline-2x"]
    results["marginal"] = {"docs": two["docs"] - one["docs"], "seconds": two["seconds"] - one["seconds"],
                           "cores": cores}
    rate = lambda r: r["docs"] / r["seconds"] / r["cores"]
    floor = rate(results["floor"])
    note = "\n".join([
        f"1x: {one['docs']:,} documents in {one['seconds']:.1f} s; 2x: {two['docs']:,} in {two['seconds']:.1f} s "
        f"({two['seconds'] / one['seconds']:.2f}x the time for {two['docs'] / one['docs']:.2f}x the documents)",
        f"marginal rate {rate(results['marginal']):.1f} docs/s per core = {rate(results['marginal']) / floor:.2f}x the "
        f"floor (target >= 0.5x); the rate at 2x {rate(two):.1f} = {rate(two) / floor:.2f}x (target >= 0.3x)",
        "the floor's seconds are CPU seconds of one core; the pipeline's are wall seconds on all cores"])
    return results, note


def report(title: str, results: dict, baseline: str, target: str, out: Path) -> None:
    for r in results.values():
        r["docs_per_s_per_core"] = r["docs"] / r["seconds"] / r["cores"]
    base = results[baseline]["docs_per_s_per_core"]
    print(title)
    print(f"{'run':<15}{'docs':>8}{'seconds':>10}{'cores':>7}{'docs/s/core':>13}{'vs ' + baseline:>14}")
    for name, r in results.items():
        print(f"{name:<15}{r['docs']:>8}{r['seconds']:>10.1f}{r['cores']:>7}{r['docs_per_s_per_core']:>13.1f}"
              f"{r['docs_per_s_per_core'] / base:>13.0%}")
    print("seconds: CPU seconds for the loops (one core), wall seconds for Spark (all cores)")
    print(target)
    out.write_text(json.dumps(results, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="webmath bench", epilog="webmath bench compare --help: the whole "
                                     "pipeline against datatrove's, per stage, at 1x, 2x and 4x input")
    parser.add_argument("--stage", choices=("extract", "pipeline", "math_recall", "dedup", "decontaminate"),
                        default="extract")
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--crawl", help="a folder with a warc.paths (default: make one)")
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(args.crawl) if args.crawl else out / f"crawl-{args.records}"
    listing = next(root.rglob("warc.paths")) if args.crawl else make_crawl(out, args.records, args.files)
    from jobs import config, inputs
    # make_crawl.py writes paths relative to its output folder, as Common Crawl's are to the bucket root
    paths = inputs.resolve(str(listing), prefix=str(root.resolve()))
    # a fresh warehouse each time: a stage replacing its slice of a big old table is not what is measured
    warehouse = out / f"warehouse-{args.stage}"
    shutil.rmtree(warehouse, ignore_errors=True)
    cfg = config.load(config.CONF_DIR / "local.toml", [f'run.warehouse="{warehouse}"', 'run.run_id="bench"'])
    where = f"{len(paths)} WARC files from {listing.parent}, {os.cpu_count()} cores on the machine"

    if args.stage == "decontaminate":
        truth = next((p for p in (root / "truth.jsonl", listing.parent / "truth.jsonl") if p.is_file()), None)
        results, note = decontaminate_runs(paths, cfg, loop_docs=5000, truth_path=truth)
        report(f"decontaminate benchmark: {where}", results, "loop",
               "target: the Spark stage close to the plain loop per core", out / "bench-decontaminate.json")
        print(note)
        return 0
    if args.stage == "pipeline":
        from jobs import session
        spark = session.build(cfg, "bench")
        try:
            results, note = pipeline_runs(spark, paths, cfg)
        finally:
            spark.stop()
        report(f"pipeline benchmark: {where}", results, "floor",
               "target: the marginal rate >= 0.5x the floor's, the rate at 2x >= 0.3x", out / "bench-pipeline.json")
        print(note)
        return 0
    if args.stage == "dedup":
        results, note = dedup_runs(paths, cfg, loop_docs=5000)
        report(f"dedup benchmark: {where}", results, "key-loop",
               "target: the whole stage >= 500 docs/s per core", out / "bench-dedup.json")
        print(note)
        return 0
    if args.stage == "math_recall":
        results = classifier_runs(paths, cfg, loop_docs=5000)
        report(f"math_recall benchmark: {where}", results, "loop",
               "target: the Spark stage close to the plain loop per core", out / "bench-math_recall.json")
        return 0
    results = {}
    docs, cpu = floor_loop(paths)
    results["floor"] = {"docs": docs, "seconds": cpu, "cores": 1}
    docs, cpu = udf_loop(paths, cfg)
    results["udf-loop"] = {"docs": docs, "seconds": cpu, "cores": 1}
    results.update(spark_runs(paths, cfg))
    report(f"extract benchmark: {where}", results, "udf-loop",
           f"target: the Spark stage >= 60% of the plain loop per core "
           f"(floor = bare FastWARC + Resiliparse: {results['floor']['docs'] / results['floor']['seconds']:.0f} docs/s)",
           out / "bench-extract.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
