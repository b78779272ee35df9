"""One writer per warehouse: a lease object at the warehouse root that every writing command holds while it runs.

Delta's optimistic concurrency serialises commits on a local or HDFS file system, but its S3 log store is safe
for one driver at a time only (two drivers can both write version N of a table's log; one commit is lost without
an error). So `run`, `refresh`, `maintain` and every stage take the lease `_webmath_lease.json` before they
write anything:

- taken by an exclusive create: `If-None-Match: *` on S3 (a second put of an existing key is refused with
  `PreconditionFailed`), `O_CREAT | O_EXCL` on a local file system;
- it names its holder (run id, host, pid, command, start) and when it runs out; the holder renews it every
  third of `run.lease_seconds` from a background thread, and deletes it when it ends;
- a second writer waits up to `run.lease_wait_seconds`, polling, then stops with one line naming the holder
  (`LeaseHeld`, exit code 3 in `webmath`);
- a lease that was not renewed in time (its holder was killed) is taken over: the taker first creates the
  marker `_webmath_lease.json.takeover-<token of the dead lease>` exclusively, so of several waiting writers
  exactly one takes it; the markers stay behind (one small object per dead holder);
- a holder whose lease was taken over (it stalled longer than `run.lease_seconds`) finds out at its next
  renewal and stops before its next pass writes (`LeaseLost`, exit code 3).

Expiry compares the holder's clock with the taker's: the hosts' clocks must agree to well within
`run.lease_seconds` (NTP does). `run.lease = false` turns the lease off, for warehouses whose Delta tables use
a log store that is safe with several writers (the DynamoDB log store on S3, or HDFS).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

NAME = "_webmath_lease.json"
# commands that write to the warehouse (every stage too)
WRITERS = ("run", "refresh", "maintain")


class LeaseHeld(RuntimeError):
    """Another writer held the warehouse for longer than this one would wait; the message is one line."""


class LeaseLost(RuntimeError):
    """This writer's lease was taken over (it was not renewed in time); the message is one line."""


@dataclass(frozen=True)
class Holder:
    token: str
    run_id: str
    host: str
    pid: int
    command: str
    started: str          # ISO 8601, UTC
    expires: float        # epoch seconds

    def describe(self) -> str:
        until = datetime.fromtimestamp(self.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"run {self.run_id} (webmath {self.command}) on host {self.host}, pid {self.pid}, started "
                f"{self.started}, lease valid until {until}")


def _encode(holder: Holder) -> bytes:
    return json.dumps(asdict(holder), sort_keys=True).encode()


def _decode(data: bytes | None) -> Holder | None:
    if data is None:
        return None
    try:
        return Holder(**json.loads(data))
    except (ValueError, TypeError):     # a lease object this version cannot read: treated as expired, its token
        # (and so its takeover marker) named by its content, so the next unreadable lease can be taken over too
        token = "unreadable-" + hashlib.sha256(data).hexdigest()[:16]
        return Holder(token=token, run_id="?", host="?", pid=0, command="?", started="?", expires=0.0)


# --- where the lease lives ----------------------------------------------------------------------------------

class LocalStore:
    """The lease as a file of a local warehouse folder."""

    def __init__(self, root: str):
        self.root = Path(root[len("file://"):] if root.startswith("file://") else root)
        self.path = self.root / NAME

    def create(self, name: str, data: bytes) -> bool:
        """Create `name` with `data` unless it exists; whether this call created it."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.root / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return True

    def read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, data: bytes) -> None:
        temp = self.root / f".{NAME}.{secrets.token_hex(4)}"
        temp.write_bytes(data)
        os.replace(temp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


class S3Store:
    """The lease as an object of an S3 warehouse (s3://, s3a://), through s3fs; the exclusive create is a
    conditional put (`If-None-Match: *`)."""

    def __init__(self, root: str, storage_options: dict):
        import s3fs

        self.fs = s3fs.S3FileSystem(**storage_options)
        bucket_key = root.split("://", 1)[1].rstrip("/")
        self.bucket, _, prefix = bucket_key.partition("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.key = self.prefix + NAME

    def create(self, name: str, data: bytes) -> bool:
        try:
            self.fs.call_s3("put_object", Bucket=self.bucket, Key=self.prefix + name, Body=data, IfNoneMatch="*")
        except FileExistsError:      # s3fs's translation of 412 PreconditionFailed: the key exists
            return False
        return True

    def read(self) -> bytes | None:
        try:
            return self.fs.cat_file(f"{self.bucket}/{self.key}")
        except FileNotFoundError:
            return None

    def write(self, data: bytes) -> None:
        self.fs.call_s3("put_object", Bucket=self.bucket, Key=self.key, Body=data)

    def delete(self) -> None:
        try:
            self.fs.call_s3("delete_object", Bucket=self.bucket, Key=self.key)
        except FileNotFoundError:
            pass


def store_for(warehouse: str, storage_options: dict | None = None):
    """The lease's store for a warehouse root: a local folder (a path or file://) or S3 (s3://, s3a://)."""
    from jobs.config import ConfigError

    scheme = warehouse.split("://", 1)[0] if "://" in warehouse else "file"
    if scheme == "file":
        return LocalStore(warehouse)
    if scheme in ("s3", "s3a", "s3n"):
        return S3Store(warehouse, storage_options or {})
    raise ConfigError(f"run.lease: no lease for a {scheme}:// warehouse (local folders and S3 only); set "
                      f"run.lease=false if its Delta log store is safe with several writers")


# --- the lease -----------------------------------------------------------------------------------------------

class Lease:
    def __init__(self, store, run_id: str, command: str, seconds: float, wait_seconds: float,
                 poll_seconds: float = 2.0, log=print):
        self.store, self.seconds, self.wait_seconds = store, seconds, wait_seconds
        self.poll_seconds = min(poll_seconds, max(seconds / 3, 0.1))
        self.log = log
        self.holder = Holder(token=secrets.token_hex(8), run_id=run_id, host=socket.gethostname(), pid=os.getpid(),
                             command=command, started=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             expires=0.0)
        self.lost: Holder | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _fresh(self) -> Holder:
        self.holder = Holder(**{**asdict(self.holder), "expires": time.time() + self.seconds})
        return self.holder

    def acquire(self) -> None:
        """Take the lease, waiting for another holder up to `wait_seconds`; LeaseHeld when it does not come free."""
        deadline = time.monotonic() + self.wait_seconds
        told = None                                # the holder last said to be waited for
        while True:
            if self.store.create(NAME, _encode(self._fresh())):
                break
            other = _decode(self.store.read())
            if other is None:                      # released between the two calls
                continue
            if other.expires < time.time():
                # dead holder: exactly one taker creates the takeover marker of its token (the others wait for
                # the lease it then writes)
                if self.store.create(f"{NAME}.takeover-{other.token}", _encode(self.holder)):
                    current = _decode(self.store.read())
                    if current is None or current.token == other.token:
                        self.store.write(_encode(self._fresh()))
                        self.log(f"lease: took over the warehouse from {other.describe()} (not renewed)")
                        break
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"the warehouse is being written by {other.describe()}; waited "
                                f"{self.wait_seconds:g} s (run.lease_wait_seconds)")
            if other.token != told:
                self.log(f"lease: waiting for {other.describe()}")
                told = other.token
            time.sleep(min(self.poll_seconds, max(deadline - time.monotonic(), 0.05)))
        self._thread = threading.Thread(target=self._renew, name="webmath-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            current = _decode(self.store.read())
            if current is None or current.token != self.holder.token:
                self.lost = current or self.holder
                return
            self.store.write(_encode(self._fresh()))

    def check(self) -> None:
        """LeaseLost if another writer took the lease over; called before a pass writes."""
        if self.lost is not None:
            by = self.lost.describe() if self.lost.token != self.holder.token else "nobody (it was deleted)"
            raise LeaseLost(f"this run's lease on the warehouse was taken over by {by}: it was not renewed within "
                            f"{self.seconds:g} s (run.lease_seconds); nothing more is written")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        current = _decode(self.store.read())
        if current is not None and current.token == self.holder.token:
            self.store.delete()


@contextmanager
def held(cfg: dict, command: str, storage_options: dict | None = None, log=print):
    """The warehouse's lease for the duration of the block (None when `run.lease` is off)."""
    run = cfg["run"]
    if not run["lease"]:
        yield None
        return
    lease = Lease(store_for(run["warehouse"], storage_options), run["run_id"], command, run["lease_seconds"],
                  run["lease_wait_seconds"], log=log)
    lease.acquire()
    try:
        yield lease
    finally:
        lease.release()
