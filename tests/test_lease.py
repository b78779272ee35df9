"""One writer per warehouse (jobs.lease) on a local file system: the lease is exclusive, renewed while held,
released at the end, taken over from a holder killed with SIGKILL by exactly one of the writers waiting, and
a holder whose lease was taken over finds out. `webmath` exits 3 with one line naming the holder, having
written nothing."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from jobs import cli, lease
from tests.conftest import ROOT


def make(root, run_id, seconds=2.0, wait=0.0, log=None):
    lines = [] if log is None else log
    return lease.Lease(lease.LocalStore(str(root)), run_id, "run", seconds, wait, poll_seconds=0.1,
                       log=lines.append), lines


def test_the_lease_is_exclusive_names_its_holder_and_is_released(tmp_path):
    first, _ = make(tmp_path / "wh", "night")
    first.acquire()
    held = json.loads((tmp_path / "wh" / lease.NAME).read_text())
    assert (held["run_id"], held["host"], held["pid"], held["command"]) == ("night", socket.gethostname(),
                                                                             os.getpid(), "run")
    assert held["expires"] > time.time()
    second, _ = make(tmp_path / "wh", "backfill", wait=0.3)
    started = time.monotonic()
    with pytest.raises(lease.LeaseHeld) as caught:
        second.acquire()
    assert 0.3 <= time.monotonic() - started < 2.0
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the warehouse is being written by run night (webmath run) on host "
                              f"{socket.gethostname()}, pid {os.getpid()}, started {held['started']}, ")
    assert message.endswith("waited 0.3 s (run.lease_wait_seconds)")
    first.release()
    assert not (tmp_path / "wh" / lease.NAME).exists()
    second.acquire()
    assert json.loads((tmp_path / "wh" / lease.NAME).read_text())["run_id"] == "backfill"
    second.release()


def test_a_held_lease_is_renewed_and_a_waiting_writer_gets_it_when_released(tmp_path):
    first, _ = make(tmp_path, "a", seconds=0.6)
    first.acquire()
    expires = json.loads((tmp_path / lease.NAME).read_text())["expires"]
    time.sleep(1.5)                           # longer than lease_seconds: only renewals keep it
    renewed = json.loads((tmp_path / lease.NAME).read_text())["expires"]
    assert renewed > expires + 0.9
    second, lines = make(tmp_path, "b", seconds=0.6, wait=10)
    threading.Timer(0.5, first.release).start()
    started = time.monotonic()
    second.acquire()
    assert 0.4 < time.monotonic() - started < 3
    assert len(lines) == 1 and lines[0].startswith("lease: waiting for run a (webmath run)")
    first.check()                             # released, not taken over
    second.release()


def test_the_lease_of_a_killed_holder_is_taken_over_by_exactly_one_writer(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from jobs import lease; "
         "l = lease.Lease(lease.LocalStore(sys.argv[1]), 'killed', 'refresh', 1.0, 0); l.acquire(); "
         "print('held', flush=True); time.sleep(600)", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    dead = json.loads((tmp_path / lease.NAME).read_text())
    assert dead["run_id"] == "killed"
    # two writers wait for it at once: one takes it over once it runs out, the other waits for that one
    waiting = [make(tmp_path, f"resume{i}", seconds=1.0, wait=3.0 + 5 * i) for i in (0, 1)]
    outcome = {}

    def take(i):
        try:
            waiting[i][0].acquire()
            outcome[i] = "held"
        except lease.LeaseHeld as exc:
            outcome[i] = str(exc)

    threads = [threading.Thread(target=take, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = [i for i in (0, 1) if outcome[i] == "held"]
    assert len(winner) == 1, outcome
    winner = winner[0]
    loser = 1 - winner
    logged = waiting[winner][1]
    assert logged[-1].startswith("lease: took over the warehouse from run killed (webmath refresh)")
    assert outcome[loser].startswith(f"the warehouse is being written by run resume{winner} (webmath run)")
    assert json.loads((tmp_path / lease.NAME).read_text())["run_id"] == f"resume{winner}"
    assert (tmp_path / f"{lease.NAME}.takeover-{dead['token']}").is_file()
    waiting[winner][0].release()


def test_a_holder_whose_lease_was_taken_over_stops_before_it_writes_again(tmp_path):
    stalled, _ = make(tmp_path, "stalled", seconds=0.6)
    stalled.acquire()
    taker = dict(json.loads((tmp_path / lease.NAME).read_text()), token="other", run_id="taker")
    (tmp_path / lease.NAME).write_text(json.dumps(taker))
    time.sleep(0.5)                           # the next renewal finds another token
    with pytest.raises(lease.LeaseLost) as caught:
        stalled.check()
    assert str(caught.value).startswith("this run's lease on the warehouse was taken over by run taker")
    stalled.release()                         # leaves the other's lease alone
    assert json.loads((tmp_path / lease.NAME).read_text())["run_id"] == "taker"


def test_a_warehouse_on_another_file_system_needs_the_lease_turned_off():
    from jobs.config import ConfigError
    with pytest.raises(ConfigError, match="run.lease: no lease for a hdfs:// warehouse .* set run.lease=false"):
        lease.store_for("hdfs://namenode/warehouse")


def test_webmath_exits_3_naming_the_holder_and_writes_nothing(tmp_path, capsys):
    """A second writer on a held warehouse: one line, exit code 3, before Spark starts; no table written."""
    warehouse = tmp_path / "wh"
    holder, _ = make(warehouse, "nightly", seconds=30)
    holder.acquire()
    try:
        code = cli.main(["extract", "--input", str(ROOT / "data/sample-crawl/warc.paths"), "--warehouse", str(warehouse),
                         "--run-id", "backfill", "--set", "run.lease_wait_seconds=0.5"])
    finally:
        holder.release()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1].startswith(f"webmath: error: the warehouse is being written by run nightly (webmath run) on host "
                              f"{socket.gethostname()}")
    assert [line for line in err if not line.startswith("lease: waiting for run nightly")] == err[-1:]
    assert sorted(p.name for p in warehouse.iterdir()) == []


def test_the_lease_on_s3_is_a_conditional_put(s3, capsys):
    """On S3 (moto's server) the lease is an object created with If-None-Match: *: a second writer is refused
    while it is held, waits and stops naming the holder; a dead holder's lease is taken over; release deletes
    it. `webmath` on an s3a:// warehouse that is held exits 3 before anything is written."""
    from jobs import storage
    from tests import s3server
    from tests.conftest import make_config
    from udfs import storage as udfs_storage

    udfs_storage.apply(storage.options(make_config(*s3.settings())))
    s3.make_bucket("lease-bucket")
    root = "s3a://lease-bucket/wh"
    first = lease.Lease(lease.store_for(root), "night", "refresh", 30.0, 0, poll_seconds=0.1, log=print)
    first.acquire()
    assert s3.keys("lease-bucket") == [f"wh/{lease.NAME}"]
    assert json.loads(s3.client().get_object(Bucket="lease-bucket", Key=f"wh/{lease.NAME}")["Body"].read())[
        "run_id"] == "night"
    code = cli.main(["extract", "--input", str(ROOT / "data/sample-crawl/warc.paths"), "--warehouse", root,
                     "--run-id", "backfill", "--set", "run.lease_wait_seconds=0.3", *(
                         arg for setting in s3.settings() for arg in ("--set", setting))])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1].startswith("webmath: error: the warehouse is being written by run night (webmath refresh) on host ")
    assert s3.keys("lease-bucket") == [f"wh/{lease.NAME}"]          # nothing written
    # the holder dies (its lease is not renewed and runs out): one waiting writer takes it over
    first._stop.set()
    first._thread.join()
    dead = json.loads(s3.client().get_object(Bucket="lease-bucket", Key=f"wh/{lease.NAME}")["Body"].read())
    s3.client().put_object(Bucket="lease-bucket", Key=f"wh/{lease.NAME}",
                           Body=json.dumps({**dead, "expires": time.time() - 1}).encode())
    lines = []
    taker = lease.Lease(lease.store_for(root), "resume", "refresh", 30.0, 5, poll_seconds=0.1, log=lines.append)
    taker.acquire()
    assert lines == [f"lease: took over the warehouse from run night (webmath refresh) on host "
                     f"{socket.gethostname()}, pid {os.getpid()}, started {dead['started']}, lease valid until "
                     f"{lines[0].split('lease valid until ')[1]}"]
    assert s3.keys("lease-bucket") == [f"wh/{lease.NAME}", f"wh/{lease.NAME}.takeover-{dead['token']}"]
    taker.release()
    first.release()                      # its lease is gone: it deletes nothing of anybody's
    assert s3.keys("lease-bucket") == [f"wh/{lease.NAME}.takeover-{dead['token']}"]
    assert s3server.CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in "\n".join(err + lines)


def test_an_unreadable_lease_is_taken_over_each_time(tmp_path):
    """A lease object this version cannot read counts as dead; its takeover marker is named by its content, so a
    second unreadable lease later is taken over as well."""
    for garbage in (b"{not json", b"[1, 2]"):
        (tmp_path / lease.NAME).write_bytes(garbage)
        taker, lines = make(tmp_path, "after", wait=2)
        taker.acquire()
        assert lines[-1].startswith("lease: took over the warehouse from run ? ")
        taker.release()
    assert len(list(tmp_path.glob(f"{lease.NAME}.takeover-unreadable-*"))) == 2
