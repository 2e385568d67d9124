"""SHA-256 verification of dataset files, cached per file state in-process.

Hashing the IMDB tarball (28.6 MB) costs a fraction of a second; the cache
keyed on ``(path, size, mtime_ns)`` makes a second load in the same process
free, while any change to a file (new size or modification time) re-hashes it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from specc.data.files import open_regular
from specc.errors import DataError

_CHUNK = 1 << 20  # bytes read per hashing step
_verified: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """Hex SHA-256 digest (64 lowercase characters) of the file at ``path``.

    Raises:
        DataError: the file is missing, cannot be read, or is not a regular file (a link
            to ``/dev/zero`` or a named pipe would never end; see
            :func:`specc.data.files.open_regular`).
    """
    digest = hashlib.sha256()
    fd, _ = open_regular(path, "dataset file", limit=sys.maxsize)
    try:
        with os.fdopen(fd, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def verify_file(path: Path, expected: str) -> None:
    """Check that ``path`` has SHA-256 digest ``expected`` (hex, case-insensitive).

    A file already verified in this process with the same size and
    modification time is not hashed again.

    Raises:
        DataError: the digest differs; the message names the file and both digests.
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    actual = _verified.get(key) or sha256_file(path)
    if actual != expected.lower():
        raise DataError(
            f"checksum mismatch for {path}: expected sha256 {expected.lower()}, "
            f"got {actual}; the file is corrupt or a different version, replace it "
            "with the copy from the offline data mirror")
    _verified[key] = actual


def clear_cache() -> None:
    """Forget every verified file (for tests that rewrite files in place)."""
    _verified.clear()
