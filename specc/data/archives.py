"""Streaming reads of dataset archives (``.tar.gz``, ``.tar.xz``) without unpacking to disk."""

from __future__ import annotations

import lzma
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from specc.errors import DataError


def iter_tar(path: Path, pattern: str | re.Pattern) -> Iterator[tuple[re.Match, bytes]]:
    """Yield ``(match, content)`` for each regular file in the tar at ``path`` whose
    member name fully matches ``pattern``, in archive order.

    ``content`` is the member's raw bytes; decoding is the caller's business
    (IMDB is UTF-8, Reuters-21578 latin-1). Compression is detected from the file.

    Raises:
        DataError: the archive is truncated or not a tar file (names the file).
    """
    regex = re.compile(pattern)
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                match = regex.fullmatch(member.name)
                if match is None:
                    continue
                fh = tar.extractfile(member)
                yield match, fh.read() if fh is not None else b""
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise DataError(f"cannot read archive {path}: {exc}") from exc
