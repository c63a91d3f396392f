"""A mutex held as one object in an S3 bucket, for writers on different machines.

S3 applies conditional writes atomically: taking the lock is a create with `If-None-Match: *`,
so one writer wins; the holder renews its lease by a compare-and-swap on the object's ETag
(`If-Match`), every third of the lease and whenever it calls `renew()`, and each renewal
changes the ETag. A waiter that sees one ETag last a whole lease, timed on its own monotonic
clock (machines' clocks need not agree), takes the lock over by the same compare-and-swap: a
holder that crashed blocks the others for one lease. So `renew()` is a fence: when it succeeds
before and after a publish, no other writer held the lock in between. Release is a delete
conditional on the holder's ETag, so it never removes a lock taken over meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # s3fs is the optional `s3` extra
    from s3fs import S3FileSystem

log = logging.getLogger(__name__)


class LockLost(RuntimeError):
    """Another writer took the lock over (this holder's lease ran out): it must not publish."""


def _lost_race(err: OSError) -> bool:
    """412 (the precondition failed), 409 (a concurrent conditional write won) or 404 (gone):
    the object is not the one this holder wrote."""
    if isinstance(err, (FileExistsError, FileNotFoundError)):
        return True
    code = getattr(err.__cause__, "response", {}).get("Error", {}).get("Code")
    return code in ("PreconditionFailed", "ConditionalRequestConflict")


class ObjectLock:
    """`with ObjectLock(fs, "bucket/prefix/.lock") as lock:` holds the lock for the block."""

    def __init__(
        self, fs: S3FileSystem, path: str, lease_s: float = 30.0, timeout_s: float = 600.0, poll_s: float = 0.2
    ) -> None:
        if min(lease_s, timeout_s, poll_s) <= 0:
            raise ValueError(f"lock {path}: lease_s, timeout_s and poll_s must be > 0")
        self.fs = fs
        self.path = path
        self.lease_s = lease_s
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._etag: str | None = None
        self._mutex = threading.Lock()  # the renewer thread and `renew()` both swap the ETag
        self._lost = False
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _put(self, **condition: str) -> str:
        """Write a fresh body (a new token, so a new ETag) under `condition`; returns the ETag."""
        body = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "lease_s": self.lease_s, "token": uuid.uuid4().hex}
        ).encode()
        return self.fs.pipe_file(self.path, body, **condition)["ETag"]

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        seen, seen_since = None, 0.0
        while True:
            try:
                self._etag = self._put(mode="create")
                break
            except OSError as err:
                if not _lost_race(err):
                    raise
            try:
                etag = self.fs.info(self.path, refresh=True)["ETag"]  # never a cached listing's
            except FileNotFoundError:
                continue  # released meanwhile: try again at once
            now = time.monotonic()
            if etag != seen:
                seen, seen_since = etag, now
            elif now - seen_since >= self.lease_s:
                try:
                    self._etag = self._put(IfMatch=etag)
                    log.warning(f"took over lock {self.path}: its holder did not renew it for {self.lease_s:.0f} s")
                    break
                except OSError as err:
                    if not _lost_race(err):
                        raise
            if now > deadline:
                raise TimeoutError(f"lock {self.path} still held after {self.timeout_s:.0f} s, by {self._holder()}")
            time.sleep(self.poll_s)
        self._lost = False
        self._stop.clear()
        self._renewer = threading.Thread(target=self._keep_renewing, name=f"lease {self.path}", daemon=True)
        self._renewer.start()

    def _holder(self) -> str:
        try:
            return self.fs.cat_file(self.path).decode()
        except FileNotFoundError:
            return "nobody (released)"

    def renew(self) -> None:
        """Extend the lease now; raises LockLost when another writer has taken the lock over."""
        with self._mutex:
            if self._etag is None:
                raise RuntimeError(f"lock {self.path} is not held: acquire() it before renewing it")
            if not self._lost:
                try:
                    self._etag = self._put(IfMatch=self._etag)
                    return
                except OSError as err:
                    if not _lost_race(err):
                        raise
                    self._lost = True
        raise LockLost(
            f"lock {self.path} was taken over by another writer: this holder did not "
            f"renew its {self.lease_s:.0f} s lease in time"
        )

    def _keep_renewing(self) -> None:
        """A failed request is retried next period (the lease leaves two more)."""
        while not self._stop.wait(self.lease_s / 3):
            try:
                self.renew()
            except LockLost as err:
                log.error(str(err))
                return
            except OSError as err:
                log.warning(f"renewing lock {self.path} failed, retrying: {err}")

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        if self._lost:
            return
        bucket, key, _ = self.fs.split_path(self.path)
        try:
            self.fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=self._etag)
        except OSError as err:
            if not _lost_race(err):
                raise

    def __enter__(self) -> ObjectLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
