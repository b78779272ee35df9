"""bench.stages's process-tree measurement, on real processes: the CPU of a process that nobody accounts for at
its exit still counts (Spark's Python daemon ignores SIGCHLD, so the kernel discards its workers' times)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from bench.stages import ROOT

# A parent that ignores SIGCHLD, as pyspark's daemon does, and a child that burns 1 s of CPU and exits before
# the stage line is printed: no cutime anywhere ever holds the child's second.
BURN = textwrap.dedent("""
    import os, signal, time
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    if os.fork() == 0:
        end = time.process_time() + 1.0
        while time.process_time() < end:
            pass
        os._exit(0)
    time.sleep(1.8)
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
    assert 0.75 <= stage["cpu_seconds"] <= 1.5          # the child's second, less at most one 0.2 s sample
    assert 0 <= run["finish"]["cpu_seconds"] < 0.5
    assert run["total"]["cpu_seconds"] >= stage["cpu_seconds"]
    assert (tmp_path / "run.log").read_text() == "[burn] 1.8s: input 1, kept 1\n"
