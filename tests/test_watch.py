"""The progress line of a running stage: its text, ETA and pace (pure), and the line a real Spark job makes."""
from __future__ import annotations

import io
import re
import threading
import time

import pytest

from jobs import watch
from jobs.watch import Snapshot
from tests.conftest import ONE_FILE, make_config


def test_duration_is_hours_minutes_seconds():
    assert watch.duration(0) == "0:00:00"
    assert watch.duration(451) == "0:07:31"
    assert watch.duration(59.6) == "0:01:00"
    assert watch.duration(27 * 3600 + 5) == "27:00:05"
    assert watch.duration(-3) == "0:00:00"


def test_eta_is_the_pace_so_far_times_what_is_left():
    assert watch.eta(12, 40, 60.0) == 140.0
    assert watch.eta(40, 40, 60.0) == 0.0
    assert watch.eta(41, 40, 60.0) == 0.0     # a file counted twice (a task run again) never makes it negative
    assert watch.eta(0, 40, 60.0) is None     # nothing done yet: no pace
    assert watch.eta(3, 0, 60.0) is None


def test_line_of_the_extract_pass():
    s = Snapshot(elapsed=59.4, tasks_done=12, tasks_total=40, files_done=12, files_total=40, pages=3456)
    assert watch.line("extract", s) == ("[extract] files 12/40 · tasks 12/40 · 3,456 pages · 58.2 pages/s · "
                                        "elapsed 0:00:59 · ETA 0:02:19")
    big = Snapshot(elapsed=7200.0, tasks_done=1500, tasks_total=1520, files_done=1500, files_total=6000,
                   pages=48_000_000)
    assert watch.line("extract", big) == ("[extract] files 1,500/6,000 · tasks 1,500/1,520 · 48,000,000 pages · "
                                          "6,666.7 pages/s · elapsed 2:00:00 · ETA 6:00:00")


def test_line_without_counted_files_has_no_eta():
    assert watch.line("language", Snapshot(elapsed=12.2, tasks_done=3, tasks_total=8, files_total=40)) == \
        "[language] 40 files · tasks 3/8 · elapsed 0:00:12"
    assert watch.line("dedup", Snapshot(elapsed=0.0)) == "[dedup] tasks 0/0 · elapsed 0:00:00"
    assert watch.line("extract", Snapshot(elapsed=0.0, files_done=0, files_total=40, pages=0)) == \
        "[extract] files 0/40 · tasks 0/0 · 0 pages · elapsed 0:00:00"


def test_a_log_gets_a_line_at_most_every_30_seconds():
    assert watch.interval(5, tty=True) == 5
    assert watch.interval(5, tty=False) == 30
    assert watch.interval(60, tty=False) == 60
    assert watch.interval(0.2, tty=False, log_seconds=0) == 0.2


def test_render_rewrites_in_place_on_a_terminal_only():
    assert watch.render("[x] tasks 1/2", tty=False) == "[x] tasks 1/2\n"
    assert watch.render("[x] tasks 1/2", tty=False, previous=40, final=True) == "[x] tasks 1/2\n"
    assert watch.render("abc", tty=True) == "\rabc"
    assert watch.render("abc", tty=True, previous=6) == "\rabc   "    # blanks over the longer line before
    assert watch.render("abc", tty=True, previous=2, final=True) == "\rabc\n"
    assert watch.render("abcdef", tty=True, previous=9, width=5) == "\rabcd"   # no wrap on a narrow terminal


def test_ui_line():
    assert watch.ui_line("http://host:4040") == "Spark UI: http://host:4040"
    assert watch.ui_line(None) == "Spark UI: off (spark.ui.enabled=false)"


def test_progress_seconds_zero_watches_nothing(capsys):
    with watch.progress(None, "extract", 3, make_config("run.progress_seconds=0"), count=True) as watching:
        assert watching is None
    assert capsys.readouterr().err == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def sleepy_job(spark, tasks: int, seconds: float) -> int:
    def nap(x):
        time.sleep(seconds)
        return x
    return spark.sparkContext.parallelize(range(tasks), tasks).map(nap).count()


def test_a_real_job_counts_its_tasks_up_to_the_total(spark, capsys):
    cfg = make_config("run.progress_seconds=0.2")
    sc = spark.sparkContext
    sleepy_job(spark, 4, 0)    # a job before the block is not counted in it
    with watch.progress(spark, "sleepy", 8, cfg, log_seconds=0) as watching:
        assert sleepy_job(spark, 8, 0.4) == 8
    assert watching.counter is None
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 3, lines
    assert all(re.fullmatch(r"\[sleepy\] 8 files · tasks \d+/\d+ · elapsed \d:\d\d:\d\d", x) for x in lines), lines
    done = [int(re.search(r"tasks (\d+)/", x).group(1)) for x in lines]
    assert done == sorted(done) and any(0 < d < 8 for d in done), lines
    assert "tasks 8/8" in lines[-1]
    assert sc.getLocalProperty("spark.jobGroup.id") is None          # the job group is the block's only

    # on a terminal one line is rewritten in place and ends with a newline; an error in the block goes through
    terminal = Terminal()
    with pytest.raises(ZeroDivisionError):
        with watch.progress(spark, "sleepy", None, cfg, stream=terminal):
            sleepy_job(spark, 4, 0.4)
            1 / 0
    out = terminal.getvalue()
    assert out.startswith("\r[sleepy] tasks ") and out.endswith("\n") and out.count("\n") == 1, out
    assert out.rstrip().rsplit("\r", 1)[1].startswith("[sleepy] tasks 4/4 · ")
    assert not [t for t in threading.enumerate() if t.name.startswith("progress-")]
    assert sc.getLocalProperty("spark.jobGroup.id") is None


def test_extract_tasks_count_their_files_and_pages(spark, capsys):
    from jobs import extract
    cfg = make_config("run.progress_seconds=0.2")
    with watch.progress(spark, "extract", 1, cfg, count=True, log_seconds=0) as watching:
        rows = extract.extracted(spark, cfg, [str(ONE_FILE)], counter=watching.counter).where("kind = 'file'").collect()
    assert watching.counter.files.value == 1
    assert watching.counter.pages.value == rows[0]["responses"] > 0
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"[extract] files 1/1 · tasks 1/1 · {rows[0]['responses']:,} pages · "), last
