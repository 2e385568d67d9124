"""On-disk cache of computed arrays (tokenized splits, frozen BERT features), keyed by
content hashes.

Entries live in ``$SPECC_CACHE_DIR`` (default ``~/.cache/specc``) as ``<kind>/<key>.npz``.
The key is a SHA-256 over everything the array depends on (the texts, the preset's
files, the settings), so a changed input can never hit a stale entry.

The cache is disposable: an entry is a zip of ``.npy`` members (``numpy.load`` opens it)
whose zip comment is a SHA-256 over the members' names and bytes. Writes are atomic
(temp file + rename; a failed write leaves no temp file). A read refuses links, devices,
folders and oversized files without opening them, verifies the checksum and lets the
caller validate the arrays (names, shapes, ranges); a damaged entry costs one warning
line on the ``specc.cache`` logger, is deleted and recomputed. A cache that cannot be
written (read-only or full disk) costs one warning line and the saving, never the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import zipfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from specc.core.bounded import Reader
from specc.core.files import atomic_write, remove
from specc.errors import one_line

ENV_VAR = "SPECC_CACHE_DIR"

MAX_ENTRY_BYTES = 8 << 30
"""Largest entry read or written (8 GiB); a larger file is treated as damaged."""

log = logging.getLogger("specc.cache")
"""Where the one-line cache warnings go (with no logging set up: stderr, the line alone)."""

Validate = Callable[[dict[str, np.ndarray]], "str | None"]
"""A caller's check of a read entry: None when the arrays are fine, else what is wrong."""


def cache_dir() -> Path:
    """The cache root: ``$SPECC_CACHE_DIR`` or ``~/.cache/specc``."""
    return Path(os.environ.get(ENV_VAR) or "~/.cache/specc").expanduser()


def texts_digest(texts: Iterable[str]) -> str:
    """SHA-256 (hex) of a sequence of texts, order and boundaries included."""
    h = hashlib.sha256()
    n = 0
    for t in texts:
        data = t.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
        n += 1
    h.update(n.to_bytes(8, "little"))
    return h.hexdigest()


@lru_cache(maxsize=8)
def folder_digest(folder: str) -> str:
    """SHA-256 (hex) over the names and contents of every file in ``folder`` (recursive)."""
    h = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def cache_key(**parts) -> str:
    """SHA-256 (hex) of ``parts`` as canonical JSON."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def cached_array(kind: str, key: str, compute: Callable[[], np.ndarray],
                 validate: Callable[[np.ndarray], str | None] | None = None
                 ) -> tuple[np.ndarray, bool]:
    """``(array, hit)``: the cached array for ``key``, or ``compute()`` stored under it.

    ``validate(array)`` (optional) returns None for a usable cached array, else what is
    wrong with it (the entry is then damaged). Failure rules as :func:`cached_arrays`.
    """
    def check(arrays: dict[str, np.ndarray]) -> str | None:
        if set(arrays) != {"array"}:
            return f"arrays {sorted(arrays)}, expected ['array']"
        return None if validate is None else validate(arrays["array"])

    arrays, hit = cached_arrays(kind, key, lambda: {"array": compute()}, check)
    return arrays["array"], hit


def cached_arrays(kind: str, key: str, compute: Callable[[], dict[str, np.ndarray]],
                  validate: Validate | None = None) -> tuple[dict[str, np.ndarray], bool]:
    """``(arrays, hit)``: the named arrays cached for ``key`` (one ``.npz``), or
    ``compute()`` stored under it.

    ``validate(arrays)`` (optional) returns None when a read entry's arrays are usable,
    else a short reason (wrong names, shapes, dtypes, ids out of range). An entry that is
    not a regular file, is over :data:`MAX_ENTRY_BYTES`, cannot be read, fails its
    checksum or its validation is damaged: one warning line naming the file and the
    reason, the entry deleted, ``compute()`` stored in its place. A cache that cannot be
    written (read-only home, full disk) costs a warning line and the saving: the
    computed arrays are still returned. ``compute``'s own errors propagate.
    """
    path = cache_dir() / kind / f"{key}.npz"
    arrays, damage = _lookup(path, validate)
    if arrays is not None:
        return arrays, True
    writable = damage is None or _discard(path, damage)
    arrays = compute()
    if writable:
        _store(path, arrays)
    return arrays, False


def _lookup(path: Path, validate: Validate | None
            ) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """``(arrays, None)`` for a sound entry at ``path``, ``(None, None)`` when there is
    none, ``(None, what is wrong)`` for a damaged one. Never follows a link nor opens
    anything but a regular file of at most :data:`MAX_ENTRY_BYTES`."""
    try:
        info = os.lstat(path)
    except OSError:
        return None, None  # no entry (or no readable cache folder): a plain miss
    if not stat.S_ISREG(info.st_mode):
        return None, ("a symbolic link" if stat.S_ISLNK(info.st_mode)
                      else "not a regular file")
    if info.st_size > MAX_ENTRY_BYTES:
        return None, f"{info.st_size} bytes, over the {MAX_ENTRY_BYTES}-byte limit"
    try:
        arrays = _read(path)
    except _Damaged as e:
        return None, str(e)
    except Exception as e:  # noqa: BLE001 - whatever a corrupt file makes zipfile/numpy raise
        detail = one_line(str(e))[:120]
        return None, f"unreadable: {type(e).__name__}" + (f": {detail}" if detail else "")
    problem = None if validate is None else validate(arrays)
    return (arrays, None) if problem is None else (None, problem)


class _Hashing:
    """A file-like wrapper that feeds every byte read or written through ``digest``."""

    def __init__(self, f, digest):
        self.f, self.digest = f, digest

    def write(self, data) -> int:
        self.digest.update(data)
        return self.f.write(data)

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.digest.update(data)
        return data


class _Damaged(Exception):
    """An entry that parses but is not what :func:`_write` wrote (the reason)."""


_ENTRY = Reader(_Damaged, "the entry")
"""How an entry is opened: never through a link, never blocking on a FIFO swapped in after
:func:`_lookup`'s checks, re-checked on the open descriptor."""


def _read(path: Path) -> dict[str, np.ndarray]:
    """The arrays stored at ``path``.

    Raises:
        _Damaged: no checksum, or one that does not match the members.
        Exception: whatever zipfile/numpy raise on a malformed file.
    """
    digest, arrays = hashlib.sha256(), {}
    with _ENTRY.opened(path, MAX_ENTRY_BYTES) as f, zipfile.ZipFile(f) as zf:
        if not zf.comment:
            raise _Damaged("no checksum: written by an older specc?")
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED:  # what _write never writes
                raise _Damaged(f"compressed member {info.filename!r}")
            digest.update(info.filename.encode("utf-8", "surrogatepass") + b"\0")
            with zf.open(info) as member:
                hashing = _Hashing(member, digest)
                arrays[info.filename.removesuffix(".npy")] = np.lib.format.read_array(
                    hashing, allow_pickle=False)
                hashing.read()  # any bytes after the array count in the checksum
        if zf.comment != digest.hexdigest().encode():
            raise _Damaged("checksum mismatch")
        return arrays


def _write(f, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to the binary file ``f`` as :func:`_read` reads them (an ``.npz``
    with the SHA-256 of its members' names and bytes as the zip comment)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(f, "w") as zf:
        for name, array in arrays.items():
            filename = f"{name}.npy"
            digest.update(filename.encode("utf-8", "surrogatepass") + b"\0")
            with zf.open(filename, "w", force_zip64=True) as member:
                np.lib.format.write_array(_Hashing(member, digest), np.asanyarray(array),
                                          allow_pickle=False)
        zf.comment = digest.hexdigest().encode()


def _discard(path: Path, reason: str) -> bool:
    """Warn (one line) that the entry at ``path`` is damaged and delete it (a folder in
    its place too, never what a link points to). Returns whether it is gone, so the
    recomputed arrays can be stored."""
    try:
        remove(path)
    except OSError as e:
        log.warning(f"{path}: warning: damaged cache entry ({reason}); cannot delete it "
                    f"({e.strerror or e}), recomputed without the cache")
        return False
    log.warning(f"{path}: warning: damaged cache entry ({reason}); deleted and recomputed")
    return True


def _store(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Save ``arrays`` at ``path`` atomically; an ``OSError`` (read-only folder, full
    disk) is one warning line and leaves no temp file. Arrays over
    :data:`MAX_ENTRY_BYTES` are not stored."""
    if sum(np.asarray(a).nbytes for a in arrays.values()) > MAX_ENTRY_BYTES:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: _write(f, arrays))
    except OSError as e:
        log.warning(f"{path}: warning: cannot store the cache entry ({e.strerror or e}); "
                    f"continuing without it")
