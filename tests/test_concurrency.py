"""Delta's optimistic concurrency on a local file system, forced: two writers replace the same slice of a table
at the same time. The one whose commit comes second finds the other's commit, writes again and both finish,
leaving what the two writes one after the other leave; with no attempts left it stops with one line, which
`webmath` turns into exit code 3."""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import tables

NOW = datetime(2026, 12, 6, tzinfo=timezone.utc)


def rows(spark, run_id, gate=None):
    """The `progress` slice of stage 'x' as written by `run_id`; with `gate` (a file), the write's one task waits
    until that file exists before it hands its rows on, so the write's commit comes after that moment (one task:
    the session's other core stays free for the other writer's tasks)."""
    df = spark.createDataFrame([(f"f{i}", "x", run_id, NOW) for i in range(3)], tables.PROGRESS)
    if gate is None:
        return df

    def wait(value):
        import os
        import time
        open(gate + ".reached", "w").close()
        deadline = time.time() + 120
        while not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.05)
        return value

    held = F.udf(wait, T.StringType())
    return df.coalesce(1).withColumn("run_id", held("run_id"))


def contents(spark, warehouse):
    return sorted(tuple(r) for r in tables.read(spark, warehouse, "progress").select("warc_path", "stage", "run_id")
                  .collect())


def race(spark, warehouse, gate, attempts):
    """Writer `slow` starts first and is held at its gate; writer `fast` commits to the same slice meanwhile and
    then opens the gate. Returns what `slow` raised (None if it finished)."""
    outcome = {}

    def slow():
        try:
            tables.replace_slice(rows(spark, "slow", gate), warehouse, "progress", "stage = 'x'", attempts)
        except Exception as exc:      # noqa: BLE001 (handed to the test)
            outcome["error"] = exc

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.time() + 120
    while not os.path.exists(gate + ".reached") and time.time() < deadline:
        time.sleep(0.05)              # the slow write's tasks run: its transaction has read the table
    tables.replace_slice(rows(spark, "fast"), warehouse, "progress", "stage = 'x'")
    open(gate, "w").close()
    thread.join()
    return outcome.get("error")


def test_the_writer_that_commits_second_writes_again_and_both_finish(spark, tmp_path, capfd):
    warehouse = str(tmp_path / "wh")
    tables.replace_slice(rows(spark, "first"), warehouse, "progress", "stage = 'x'")
    assert race(spark, warehouse, str(tmp_path / "gate"), attempts=5) is None
    err = capfd.readouterr().err
    assert f"table {tables.path(warehouse, 'progress')}: another writer committed to the same rows first (" in err
    assert "writing again, attempt 2 of 5" in err
    # the same rows as the two writes one after the other: the slow one's, once
    serial = str(tmp_path / "serial")
    for run_id in ("first", "fast", "slow"):
        tables.replace_slice(rows(spark, run_id), serial, "progress", "stage = 'x'")
    assert contents(spark, warehouse) == contents(spark, serial) == [(f"f{i}", "x", "slow") for i in range(3)]
    ops = [r["operation"] for r in spark.sql(f"DESCRIBE HISTORY delta.`{tables.path(warehouse, 'progress')}`")
           .orderBy("version").collect()]
    assert ops == ["WRITE", "WRITE", "WRITE"]          # first, fast, slow: no commit lost, none twice


def test_a_writer_out_of_attempts_stops_with_one_line(spark, tmp_path):
    warehouse = str(tmp_path / "wh")
    tables.replace_slice(rows(spark, "first"), warehouse, "progress", "stage = 'x'")
    error = race(spark, warehouse, str(tmp_path / "gate"), attempts=1)
    assert isinstance(error, tables.ConcurrentWriteError)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"table {tables.path(warehouse, 'progress')}: another run committed to the same rows "
                              f"1 times while this one was writing (")
    assert message.endswith("); run it again")
    assert contents(spark, warehouse) == [(f"f{i}", "x", "fast") for i in range(3)]   # the winner's rows, whole
