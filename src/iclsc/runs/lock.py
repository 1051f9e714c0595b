"""One run at a time: an OS lock (flock) on lock files, with the holder's details inside them.

The kernel releases a flock when the last descriptor of the open file closes, so a run that
dies, even by SIGKILL, never leaves the lock held. The run hands the descriptors to its dbt
subprocess, so the lock stays held while a child of a dead run still writes to the warehouse.

Each lock file holds the JSON details of its holder (pid, host, start, run, release), for the
message that refuses a second run. A clean release empties the file (it is never deleted: a
process that opened the old file would lock an inode nobody else sees). Details found in a
file whose lock was free were left by a run that ended without releasing it: a crash. The
new holder reports them (`stale`) and overwrites them; the caller cleans what that run left.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path

LOCK_SUFFIX = ".iclsc-run.lock"
# A holder writes its details right after taking the lock; a reader that finds the file empty
# or half written waits this long for them before saying the details are unknown.
DETAILS_WAIT_SECONDS = 1.0


def lock_in(directory: Path) -> Path:
    """The lock file of a directory the run owns (the publish directory): hidden, inside it."""
    return Path(os.path.abspath(directory)) / LOCK_SUFFIX


def lock_beside(path: Path) -> Path:
    """The lock file of a path something else may empty (dbt clean, a new warehouse file)."""
    path = Path(os.path.abspath(path))
    return path.parent / f".{path.name}{LOCK_SUFFIX}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe(details: dict | None) -> str:
    """The holder in words, saying whether its process is still alive when it can tell."""
    if not details:
        return "a run whose details are not written yet"
    pid, host = details.get("pid"), details.get("host")
    state = ""
    if host == socket.gethostname() and isinstance(pid, int):
        state = " (alive)" if pid_alive(pid) else " (no longer alive)"
    parts = [
        f"run {details.get('run_id', '?')}",
        f"pid {pid}{state} on {host}",
        f"started {details.get('started_at', '?')}",
    ]
    if details.get("release_dir"):
        parts.append(f"release {details['release_dir']}")
    if details.get("command"):
        parts.append(f"command {details['command']}")
    return ", ".join(parts)


class LockHeld(RuntimeError):
    def __init__(self, path: Path, holder: dict | None):
        self.path = path
        self.holder = holder
        message = f"another run holds {path}: {describe(holder)}"
        if holder and holder.get("host") == socket.gethostname():
            pid = holder.get("pid")
            if isinstance(pid, int) and not pid_alive(pid):
                message += "; its process is gone but a child it started (dbt) still runs"
        super().__init__(message)


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _parse(text: str) -> dict | None:
    if not text.strip():
        return None
    try:
        details = json.loads(text)
    except json.JSONDecodeError:
        return None
    return details if isinstance(details, dict) else None


def _write(fd: int, details: dict | None) -> None:
    os.ftruncate(fd, 0)
    if details:
        os.pwrite(fd, (json.dumps(details, ensure_ascii=False) + "\n").encode("utf-8"), 0)
    os.fsync(fd)


class RunLock:
    """Exclusive, non-blocking locks on several files, taken in one global order.

    Every run takes its lock files sorted by path, so two runs that share any of them cannot
    each hold one and refuse each other: the first to take the first shared file wins.
    """

    def __init__(self, paths: Iterable[Path], details: dict):
        self.paths = sorted({Path(os.path.abspath(p)) for p in paths})
        self.details = details
        self.stale: list[dict] = []
        self._held: list[tuple[Path, int]] = []

    @property
    def fds(self) -> tuple[int, ...]:
        """Descriptors to hand to child processes, so the lock outlives no child."""
        return tuple(fd for _, fd in self._held)

    def acquire(self) -> RunLock:
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_RDWR without O_TRUNC: opening must not erase the holder's details.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    self.release()
                    raise
                holder = self._holder_details(fd)
                os.close(fd)
                self.release()
                raise LockHeld(path, holder) from None
            self._held.append((path, fd))
            left = _parse(_read(fd))
            if left:
                self.stale.append({"lock": str(path), **left})
            _write(fd, self.details)
        return self

    @staticmethod
    def _holder_details(fd: int) -> dict | None:
        deadline = time.monotonic() + DETAILS_WAIT_SECONDS
        while True:
            details = _parse(_read(fd))
            if details or time.monotonic() >= deadline:
                return details
            time.sleep(0.05)

    def update(self, **fields) -> None:
        """Adds to the details every holder's file shows (for example the step running)."""
        self.details.update(fields)
        for _, fd in self._held:
            _write(fd, self.details)

    def release(self) -> None:
        while self._held:
            _, fd = self._held.pop()
            with contextlib.suppress(OSError):
                _write(fd, None)
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def stale_message(stale: dict) -> str:
    return (
        f"cleared the lock {stale['lock']} left by {describe(stale)}: "
        "that run ended without releasing it (a crash or a kill)"
    )
