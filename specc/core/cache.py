"""On-disk cache of computed arrays (tokenized splits, frozen BERT features), keyed by
content hashes.

Entries live in ``$SPECC_CACHE_DIR`` (default ``~/.cache/specc``) as ``<kind>/<key>.npz``.
The key is a SHA-256 over everything the array depends on (the texts, the preset's
files, the settings), so a changed input can never hit a stale entry. Writes are
atomic (temp file + rename) and reads use ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

ENV_VAR = "SPECC_CACHE_DIR"


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


def cached_array(kind: str, key: str, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
    """``(array, hit)``: the cached array for ``key``, or ``compute()`` stored under it.

    A cache that cannot be written (read-only home, full disk) only costs the saving:
    the computed array is still returned.
    """
    arrays, hit = cached_arrays(kind, key, lambda: {"array": compute()})
    return arrays["array"], hit


def cached_arrays(kind: str, key: str, compute: Callable[[], dict[str, np.ndarray]]
                  ) -> tuple[dict[str, np.ndarray], bool]:
    """``(arrays, hit)``: the named arrays cached for ``key`` (one ``.npz``), or
    ``compute()`` stored under it. Same failure rules as :func:`cached_array`."""
    path = cache_dir() / kind / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}, True
        except (OSError, ValueError, KeyError):
            pass  # a damaged entry is recomputed and replaced
    arrays = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass
    return arrays, False
