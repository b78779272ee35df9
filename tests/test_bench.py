"""bench.stages's process-tree measurement, on real processes: the CPU of a process that nobody accounts for at
its exit still counts (Spark's Python daemon ignores SIGCHLD, so the kernel discards its workers' times)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from bench.stages import ROOT

# A parent that ignores SIGCHLD, as pyspark's daemon does, and a child that burns 1 s of CPU and exits before
# the stage line is printed: no cutime anywhere ever holds the child's second. The child idles 0.6 s before it
# exits, so the watcher's samples (every 0.2 s) see its whole second however loaded the machine is; the parent
# prints once the child is gone (with SIGCHLD ignored, waitpid returns when it has exited, reaped by the kernel).
BURN = textwrap.dedent("""
    import os, signal, time
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        end = time.process_time() + 1.0
        while time.process_time() < end:
            pass
        time.sleep(0.6)
        os._exit(0)
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        pass
    print("[burn] 1.8s: input 1, kept 1", flush=True)
""")

# watch() runs in a process of its own: it reaps whatever children its process has, and pytest's may have a JVM
WATCH = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from bench import stages
    run = stages.watch([sys.executable, "-c", sys.argv[1]], Path(sys.argv[2]))
    print(json.dumps(run))
""")


def test_watch_counts_the_cpu_of_a_process_whose_exit_nobody_accounts_for(tmp_path):
    out = subprocess.run([sys.executable, "-c", WATCH, BURN, str(tmp_path / "run.log")], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=120)
    run = json.loads(out.stdout.strip().splitlines()[-1])
    assert run["returncode"] == 0
    [stage] = run["stages"]
    assert stage["stage"] == "burn" and stage["counts"] == {"input": 1, "kept": 1}
    assert 1.0 <= stage["cpu_seconds"] <= 1.5           # the child's second
    assert 0 <= run["finish"]["cpu_seconds"] < 0.5
    assert run["total"]["cpu_seconds"] >= stage["cpu_seconds"]
    assert (tmp_path / "run.log").read_text() == "[burn] 1.8s: input 1, kept 1\n"


# The shipped sample crawl: pages with some text out of its first file (webmath's extract) and out of all three
# (the floor: FastWARC + Resiliparse, status 200 and an HTML content type)
FIRST_FILE_DOCS = 153
FLOOR_DOCS = 458


def test_pipeline_benchmark_runs_the_pipeline_at_1x_and_2x(spark, tmp_path, models_dir):
    """`webmath bench --stage pipeline` on the shipped sample crawl's three files: the whole pipeline on one
    file (1x), then on all three (2x), each on an empty warehouse; documents are those extract kept, and the
    marginal row is the difference of the two runs."""
    from bench.stages import pipeline_runs
    from jobs import inputs
    from tests.conftest import SAMPLE, make_config

    paths = inputs.resolve(str(SAMPLE / "warc.paths"))
    warehouse = tmp_path / "wh"
    cfg = make_config(f'run.warehouse="{warehouse}"', f'classifier.model_dir="{models_dir}"')
    results, note = pipeline_runs(spark, paths, cfg, warm_up=False)
    assert list(results) == ["floor", "pipeline-1x", "pipeline-2x", "marginal"]
    assert results["pipeline-2x"]["docs"] == 458 and results["pipeline-1x"]["docs"] == FIRST_FILE_DOCS
    assert results["marginal"]["docs"] == 458 - FIRST_FILE_DOCS
    assert results["marginal"]["seconds"] == results["pipeline-2x"]["seconds"] - results["pipeline-1x"]["seconds"]
    assert results["floor"] == {"docs": FLOOR_DOCS, "seconds": results["floor"]["seconds"], "cores": 1}
    assert {r["cores"] for name, r in results.items() if name != "floor"} == {2}
    assert note.startswith(f"1x: {FIRST_FILE_DOCS:,} documents in ") and "marginal rate " in note
    # the warehouse holds the 2x run, whole
    from jobs import stats
    funnel = stats.funnel(spark, str(warehouse))
    assert funnel[0] == "bench-2x" and ("decontaminate", "kept", 143) in funnel[1]
