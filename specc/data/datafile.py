"""One data file's bytes and text, read within specc's limits.

A data file is read only when it is a regular file (a symbolic link is followed when it
ends at one) of at most :func:`max_data_bytes` bytes, through
:class:`specc.core.bounded.Reader` (a device or a named pipe is refused before a byte is
read), and its text must be UTF-8 without NUL bytes. Every error is a
:class:`~specc.errors.DataError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from specc.core.bounded import Reader
from specc.data.labels import shown
from specc.errors import DataError, one_line

MAX_DATA_BYTES = 4 * 2**30
"""Largest data file read, in bytes (4 GiB), unless ``SPECC_MAX_DATA_BYTES`` says
otherwise: a file is held in memory whole (bytes, text and rows, several times its size)."""
MAX_DATA_BYTES_ENV = "SPECC_MAX_DATA_BYTES"
MAX_FIELD_CHARS = 2**24
"""Longest CSV/TSV field, JSON Lines line or JSON array element, in characters (16 Mi)."""
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_HINT = (f"; set {MAX_DATA_BYTES_ENV} to a larger number of bytes if it is meant to be "
         "read")


def max_data_bytes() -> int:
    """The largest data file read, in bytes: ``SPECC_MAX_DATA_BYTES`` when it is set, else
    :data:`MAX_DATA_BYTES` (4 GiB).

    Raises:
        DataError: the variable is set but is not a positive whole number.
    """
    value = os.environ.get(MAX_DATA_BYTES_ENV, "").strip()
    if not value:
        return MAX_DATA_BYTES
    if not (value.isascii() and value.isdigit() and len(value) <= 20 and int(value) > 0):
        raise DataError(f"{MAX_DATA_BYTES_ENV}={shown(value)} must be a positive whole number "
                        "of bytes (the largest data file specc reads)")
    return int(value)


def shown_path(path: Path) -> str:
    """The path for a message, on one line (control characters escaped)."""
    return one_line(str(path))


def _reader(what: str) -> Reader:
    """The bounded reader of a data file called ``what`` in messages ("data file")."""
    return Reader(DataError, f"the {what}", follow_links=True, hint=_HINT)


def open_regular(path: Path, what: str = "data file", limit: int | None = None
                 ) -> tuple[int, os.stat_result]:
    """Open the regular file ``path`` for reading: ``(descriptor, its stat)``; the caller
    closes the descriptor.

    The file is opened without blocking and checked on the open descriptor, so a named pipe
    or a device (``/dev/zero``, a link to it) is refused before a byte is read, and a file
    swapped after a check is not read either. A link to a regular file is followed.

    Raises:
        DataError: missing, unreadable, not a regular file (naming what it is), or larger
            than ``limit`` bytes (default :func:`max_data_bytes`; names the file, its size
            and the limit).
    """
    return _reader(what).open(path, max_data_bytes() if limit is None else limit)


def read_bytes(path: Path, limit: int | None = None, what: str = "data file") -> bytes:
    """The contents of the regular file ``path`` (see :func:`open_regular`), at most
    ``limit`` bytes (default :func:`max_data_bytes`), also when it grows while read.

    Raises:
        DataError: see :func:`open_regular`; a read error; a file that grew past the limit.
    """
    return _reader(what).read(path, max_data_bytes() if limit is None else limit)


def decode_text(path: Path, raw: bytes, allow_empty: bool = False) -> str:
    """``raw`` (the bytes of ``path``) decoded as UTF-8, a leading byte-order mark dropped.

    Raises:
        DataError: bytes that are not UTF-8 (names the line and byte offset of the first,
            and says so when the file is UTF-16 or UTF-32), a NUL character (names its
            line: a binary file, or UTF-16 without a byte-order mark), or an empty file
            (only whitespace, unless ``allow_empty``).
    """
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = str(memoryview(raw)[bom:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        hint = ("the file is UTF-16 or UTF-32 (it starts with that byte-order mark); "
                if raw.startswith(_UTF16_32_BOMS) else "")
        raise DataError(f"{shown_path(path)}: line {line} (byte offset {offset}): byte "
                        f"0x{raw[offset]:02x} is not valid UTF-8; {hint}save the file as UTF-8"
                        ) from None
    nul = text.find("\0")
    if nul >= 0:
        raise DataError(f"{shown_path(path)}: line {text.count(chr(10), 0, nul) + 1}: a NUL byte "
                        "(0x00), which text files do not hold; is it UTF-16 (save it as UTF-8) "
                        "or not a text file?")
    if not allow_empty and (not text or text.isspace()):
        raise DataError(f"{shown_path(path)}: the file is empty")
    return text


def read_text(path: Path, allow_empty: bool = False, what: str = "data file",
              limit: int | None = None) -> str:
    """The whole regular file decoded as UTF-8 (BOM dropped): :func:`read_bytes` then
    :func:`decode_text`.

    Raises:
        DataError: see :func:`read_bytes` and :func:`decode_text`.
    """
    return decode_text(path, read_bytes(path, limit, what), allow_empty)

