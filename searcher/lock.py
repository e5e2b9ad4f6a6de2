"""One writer per index, across processes.

A run that writes (indexing, deleting, rebuilding) holds an exclusive lock on
``revsearch.lock`` in the index folder for its whole length, across its batch
commits. The lock is an OS file lock (``flock``): it goes away with the
process holding it, so a run that crashed or was killed never blocks the next.
Searches take no lock: they read the last commit.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

from .errors import IndexLockedError

LOCK_FILE = "revsearch.lock"
#: Seconds between attempts while waiting for the lock.
POLL = 0.2


class WriteLock:
    """``with WriteLock(folder, wait, on_wait):`` holds the folder's write lock.
    Waits at most ``wait`` seconds for another writer, calling ``on_wait`` once
    with a message; then IndexLockedError naming the lock file."""

    def __init__(self, folder: Path, wait: float = 0.0, on_wait: Callable[[str], None] | None = None):
        self.path = folder / LOCK_FILE
        self.wait, self.on_wait = wait, on_wait
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = f"{self.path} is held by another revsearch process{_pid(fd)} writing this index"
                if time.monotonic() >= deadline:
                    os.close(fd)
                    hint = f"gave up after {self.wait:g} s" if self.wait else "try again when it is done, or pass --wait SECONDS"
                    raise IndexLockedError(f"{holder}: {hint}") from None
                if not told and self.on_wait:
                    self.on_wait(f"{holder}; waiting up to {self.wait:g} s")
                    told = True
                time.sleep(POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _pid(fd: int) -> str:
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {pid})" if pid.isdigit() else ""
