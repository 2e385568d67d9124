"""Bounded reads: a file is read only when it is a regular file of at most a given number
of bytes, and never past that number.

A :class:`Reader` says how one kind of file is refused: the exception raised (a
:class:`~specc.errors.DataError` for the user's data files, a
:class:`~specc.errors.UsageError` for a run folder's files), whether a symbolic link is
followed, the noun naming the file in messages and the hint after a too-large message.
Every read:

- opens the file without blocking (``O_NONBLOCK``) and without making it the controlling
  terminal (``O_NOCTTY``); when links are not followed the path is ``lstat``-checked
  first and opened with ``O_NOFOLLOW``, so a planted link is refused without opening
  what it points to;
- checks the open descriptor (``fstat``), so a folder, a device (``/dev/zero``), a named
  pipe or a socket is refused, naming what it is, before a byte is read (also one
  swapped in after a check), and so is a file over the limit;
- reads at most the limit, also from a file that grows while it is read.

Every refusal is one line naming the file (control characters escaped).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from specc.errors import one_line

_KINDS = ((stat.S_ISREG, "a regular file"), (stat.S_ISLNK, "a symbolic link"),
          (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"))
_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
          | getattr(os, "O_BINARY", 0))


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words: ``"a regular file"``, ``"a
    symbolic link"``, ``"a folder"``, ``"a character device"``, ``"a named pipe (FIFO)"``
    ... (``"not a regular file"`` for anything else)."""
    return next((text for test, text in _KINDS if test(mode)), "not a regular file")


def reason(error: BaseException) -> str:
    """Why an ``OSError`` (its ``strerror``) or a ``ValueError`` (an embedded NUL byte in a
    path: its text) happened, for a message."""
    return getattr(error, "strerror", None) or str(error)


@dataclass(frozen=True)
class Reader:
    """How one kind of file is read and refused.

    Attributes:
        error: the exception class raised with the one-line message (``DataError``,
            ``UsageError``).
        noun: names the file in messages: ``"<file>: <noun> is a folder, not a regular
            file; refused"`` (``"the data file"``, ``"run file"``; ``"<file>: data file
            missing"``, without the article).
        follow_links: a symbolic link is followed when it ends at a regular file; False:
            a link is refused without opening what it points to.
        hint: ends the too-large message (how to raise the limit, or ``"; refused"``).
    """

    error: type[Exception]
    noun: str = "file"
    follow_links: bool = False
    hint: str = "; refused"

    def failure(self, path: str | Path, text: str) -> Exception:
        """The exception ``<path>: <text>`` (on one line)."""
        return self.error(one_line(f"{path}: {text}"))

    def _unreadable(self, path: str | Path, error: BaseException) -> Exception:
        return self.error(one_line(f"cannot read {path}: {reason(error)}"))

    def _missing(self, path: str | Path) -> Exception:
        return self.failure(path, f"{self.noun.removeprefix('the ')} missing")

    def _check(self, path: str | Path, info: os.stat_result, limit: int) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise self.failure(path, f"{self.noun} is {kind_of(info.st_mode)}, not a regular "
                                     "file; refused")
        if info.st_size > limit:
            raise self.failure(path, f"{self.noun} is {info.st_size:,} bytes, over the limit "
                                     f"of {limit:,} bytes{self.hint}")

    def check(self, path: str | Path, limit: int) -> os.stat_result:
        """The ``os.lstat`` of ``path`` (``os.stat`` when links are followed), which must be
        a regular file of at most ``limit`` bytes; nothing is opened.

        Raises:
            error: missing (``<noun> missing``), a path that cannot be looked at, not a
                regular file (naming what it is), or over ``limit`` bytes.
        """
        try:
            info = os.stat(path) if self.follow_links else os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(path) from None
        except (OSError, ValueError) as e:
            raise self._unreadable(path, e) from None
        self._check(path, info, limit)
        return info

    def open(self, path: str | Path, limit: int) -> tuple[int, os.stat_result]:
        """``(descriptor, its fstat)`` of the regular file ``path`` of at most ``limit``
        bytes, open for reading; the caller closes the descriptor.

        Raises:
            error: see :meth:`check` (checked on the open descriptor, and on the path first
                when links are not followed); an open that fails.
        """
        if not self.follow_links:
            self.check(path, limit)
        flags = _FLAGS | (0 if self.follow_links else getattr(os, "O_NOFOLLOW", 0))
        try:
            fd = os.open(path, flags)
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(path) from None
        except (OSError, ValueError) as e:
            raise self._unreadable(path, e) from None
        try:
            info = os.fstat(fd)
            self._check(path, info, limit)
        except BaseException:
            os.close(fd)
            raise
        return fd, info

    @contextlib.contextmanager
    def opened(self, path: str | Path, limit: int) -> Iterator[BinaryIO]:
        """The regular file ``path`` of at most ``limit`` bytes open for reading (binary),
        closed on leaving the ``with`` block.

        Raises:
            error: see :meth:`open`.
        """
        fd, _ = self.open(path, limit)
        with os.fdopen(fd, "rb") as f:
            yield f

    def read(self, path: str | Path, limit: int) -> bytes:
        """The content of the regular file ``path``: at most ``limit`` bytes, also when it
        grows while it is read.

        Raises:
            error: see :meth:`open`; a read that fails; a file that grew past ``limit``.
        """
        fd, info = self.open(path, limit)
        try:
            data = _read_fd(fd, info.st_size, limit)
        except OSError as e:
            raise self._unreadable(path, e) from None
        finally:
            os.close(fd)
        if data is None:
            raise self.failure(path, f"{self.noun} grew past the limit of {limit:,} bytes "
                                     f"while it was read{self.hint}")
        return data


def _read_fd(fd: int, size: int, limit: int) -> bytes | None:
    """Up to ``limit`` bytes from ``fd`` (``size``: the expected length, for one read);
    None when there are more."""
    parts, total = [], 0
    while chunk := os.read(fd, min(max(size - total, 1 << 16), limit - total) + 1):
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)  # a single part is returned as is, not copied
