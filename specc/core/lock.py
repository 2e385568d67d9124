"""An exclusive lock on a run folder for the whole life of a run, so two processes never
write one folder (two ``specc train --out X``, two ``--resume X``, a ``specc report`` while
the run trains).

The lock is ``fcntl.flock`` on ``<folder>/.specc-lock`` (the lock file holds the holder's
pid, for the message the second process shows). The kernel drops a flock when its process
ends, however it ends, so a killed run never leaves a stale lock. The file stays in the
folder; opening it never follows a symbolic link (``O_NOFOLLOW``). Locks are re-entrant
within one process (resume restarting a run takes the lock it already holds).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from specc.errors import RunError, UsageError

LOCK_FILE = ".specc-lock"

_held: set[str] = set()
"""Folders (resolved) whose lock this process holds."""


def _holder(fd: int) -> str:
    """The pid written in an open lock file, or ``"unknown"``."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


@contextlib.contextmanager
def locked(folder: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of the existing run folder ``folder`` while in the block.

    Raises:
        UsageError: another process holds it (exit status 2; the message names its pid),
            or the lock file is a symbolic link or not a regular file.
        RunError: the lock file cannot be created or written (an unwritable folder).
    """
    folder = Path(folder)
    key = str(folder.resolve())
    if key in _held:
        yield folder
        return
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as e:
        if os.path.islink(path):
            raise UsageError(f"{path} is a symbolic link; refused (a run folder's files must "
                             "be its own)") from None
        raise RunError(f"cannot write the run folder {folder}: {e.strerror or e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _holder(fd)
        os.close(fd)
        raise UsageError(f"{folder} is in use by another specc process (pid {pid}); wait "
                         "for it to finish or choose another folder") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError as e:
        os.close(fd)
        raise RunError(f"cannot write the run folder {folder}: {e.strerror or e}") from None
    _held.add(key)
    try:
        yield folder
    finally:
        _held.discard(key)
        os.close(fd)  # closing the descriptor releases the flock
