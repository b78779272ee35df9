"""A progress line while a stage runs: files done of the total, Spark tasks done, pages, pages/s and an ETA.

`with progress(spark, label, total_files, cfg) as watch:` runs the block's Spark jobs in a job group of their
own and starts a daemon thread that reads Spark's status tracker every `run.progress_seconds` (0: no thread,
no line). Tasks are counted over the stages of the block's jobs that have started (a skipped or pending stage
is not counted), so the count grows as each job of the stage starts. The status tracker counts tasks, not
rows: files and pages come from `watch.counter`, two accumulators the stage's tasks add to (the extract pass
adds one file and its HTTP responses when a WARC file is read to its end, so they move as tasks end) and
`None` when the stage counts nothing. The ETA is the time per file so far times the files left; a stage
that counts no files shows its elapsed time only.

On a terminal the line is rewritten in place (`\\r`) every `progress_seconds`; into a file or a pipe a full
line is written at most every max(progress_seconds, 30) seconds, so a log of a run of hours keeps a line a
half minute. A block shorter than that writes nothing; one that wrote a line ends with a last one (the final
counts; into a log only when they moved since the line before). The thread never raises into the job: a
status tracker that fails stops the line, not the stage.
"""
from __future__ import annotations

import io
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, TextIO

# Into a log file (not a terminal) a line at most this often, whatever `run.progress_seconds` says.
LOG_SECONDS = 30.0


@dataclass(frozen=True)
class Snapshot:
    """What the line shows at one moment: None where it is not known."""
    elapsed: float
    tasks_done: int = 0
    tasks_total: int = 0
    files_done: int | None = None
    files_total: int | None = None
    pages: int | None = None


def duration(seconds: float) -> str:
    """h:mm:ss, as `0:07:31` (hours not capped at 24)."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the pace so far (elapsed per unit done); None before the first unit is done."""
    if done <= 0 or total <= 0:
        return None
    return max(total - done, 0) * elapsed / done


def line(label: str, s: Snapshot) -> str:
    """`[extract] files 12/40 · tasks 12/40 · 3,456 pages · 58.2 pages/s · elapsed 0:00:59 · ETA 0:07:31`."""
    parts = []
    if s.files_done is not None:
        parts.append(f"files {s.files_done:,}/{s.files_total:,}" if s.files_total is not None
                     else f"files {s.files_done:,}")
    elif s.files_total is not None:
        parts.append(f"{s.files_total:,} files")
    parts.append(f"tasks {s.tasks_done:,}/{s.tasks_total:,}")
    if s.pages is not None:
        parts.append(f"{s.pages:,} pages")
        if s.elapsed > 0:
            parts.append(f"{s.pages / s.elapsed:,.1f} pages/s")
    parts.append(f"elapsed {duration(s.elapsed)}")
    left = eta(s.files_done, s.files_total, s.elapsed) if s.files_done is not None and s.files_total else None
    if left is not None:
        parts.append(f"ETA {duration(left)}")
    return f"[{label}] " + " · ".join(parts)


def interval(seconds: float, tty: bool, log_seconds: float = LOG_SECONDS) -> float:
    """Seconds between two lines: `seconds` on a terminal, at least `log_seconds` into a log."""
    return seconds if tty else max(seconds, log_seconds)


def render(text: str, tty: bool, previous: int = 0, final: bool = False, width: int = 0) -> str:
    """What to write for a line: on a terminal a rewrite in place (`\\r`, blanks over the rest of a longer
    `previous` line; a newline after the final one), cut to the terminal's `width` (a wrapped line cannot be
    rewritten in place); into a log the line and a newline."""
    if not tty:
        return text + "\n"
    if width > 1:
        text, previous = text[:width - 1], min(previous, width - 1)
    return "\r" + text.ljust(previous) + ("\n" if final else "")


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0


def ui_line(url: str | None) -> str:
    return f"Spark UI: {url}" if url else "Spark UI: off (spark.ui.enabled=false)"


def print_ui(spark, stream: TextIO | None = None) -> None:
    """The Spark UI's address (jobs, stages, tasks, executors, SQL plans), once, at the start of a run."""
    try:
        url = spark.sparkContext.uiWebUrl
    except Exception:   # noqa: BLE001 - a line of information, never a reason to fail
        return
    print(ui_line(url), file=stream or sys.stderr, flush=True)


class Counter:
    """Files and pages that a stage's tasks add to (`files.add(1)`, `pages.add(n)`); read on the driver."""

    def __init__(self, sc):
        self.files = sc.accumulator(0)
        self.pages = sc.accumulator(0)


class Watch:
    def __init__(self, spark, label: str, total_files: int | None, seconds: float, counter: Counter | None,
                 stream: TextIO, tty: bool, log_seconds: float):
        self.sc = spark.sparkContext
        self.label, self.total_files, self.counter = label, total_files, counter
        self.stream, self.tty = stream, tty
        self.every = interval(seconds, tty, log_seconds)
        self.group = f"webmath-{label}-{uuid.uuid4().hex[:8]}"
        self.started = time.monotonic()
        self.finished: dict[int, tuple[int, int]] = {}   # stage id -> (done, total) once all its tasks are done
        self.previous = 0        # length of the line on the terminal
        self.written = 0         # lines written
        self.counts: tuple | None = None   # what the last line counted
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def snapshot(self) -> Snapshot:
        tracker = self.sc.statusTracker()
        done = total = 0
        for job in tracker.getJobIdsForGroup(self.group):
            info = tracker.getJobInfo(job)
            for stage in (info.stageIds if info else ()):
                if stage in self.finished:
                    d, t = self.finished[stage]
                else:
                    s = tracker.getStageInfo(stage)
                    if s is None or not (s.numCompletedTasks or s.numActiveTasks):
                        continue      # pending, or skipped (its output was there already)
                    d, t = s.numCompletedTasks, s.numTasks
                    if d >= t and not s.numActiveTasks:
                        self.finished[stage] = (d, t)
                done, total = done + d, total + t
        files = pages = None
        if self.counter is not None:
            files, pages = self.counter.files.value, self.counter.pages.value
        return Snapshot(time.monotonic() - self.started, done, total, files, self.total_files, pages)

    def write(self, final: bool = False) -> None:
        snap = self.snapshot()
        counts = (snap.tasks_done, snap.tasks_total, snap.files_done, snap.pages)
        if final and not self.tty and counts == self.counts:
            return          # a log has these counts already, a moment ago
        text = line(self.label, snap)
        self.stream.write(render(text, self.tty, self.previous, final, _width(self.stream) if self.tty else 0))
        self.stream.flush()
        self.previous, self.written, self.counts = len(text), self.written + 1, counts

    def loop(self) -> None:
        try:
            while not self.stopping.wait(self.every):
                self.write()
        except Exception:   # noqa: BLE001 - the status tracker or the stream failed: no more lines, the job goes on
            pass

    def start(self) -> None:
        self.thread = threading.Thread(target=self.loop, name=f"progress-{self.label}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        if self.written:
            try:
                self.write(final=True)
            except Exception:   # noqa: BLE001
                pass


@contextmanager
def progress(spark, label: str, total_files: int | None, cfg: dict, count: bool = False,
             stream: TextIO | None = None, log_seconds: float = LOG_SECONDS) -> Iterator[Watch | None]:
    """Watch the Spark jobs of the block. `count`: the block's tasks add to `watch.counter` (files, pages).
    `stream` (default stderr) and `log_seconds` (the shortest interval into a log) are there for tests.
    Yields None when `run.progress_seconds` is 0."""
    seconds = cfg["run"]["progress_seconds"]
    if seconds <= 0:
        yield None
        return
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except Exception:   # noqa: BLE001
        tty = False
    sc = spark.sparkContext
    watch = Watch(spark, label, total_files, seconds, Counter(sc) if count else None, stream, tty, log_seconds)
    saved = sc.getLocalProperty("spark.jobGroup.id")
    sc.setLocalProperty("spark.jobGroup.id", watch.group)
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()
        sc.setLocalProperty("spark.jobGroup.id", saved)
