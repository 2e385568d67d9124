"""Atomic file writes: a temporary file in the same folder, then a rename, so a reader
never sees a half-written file and a failed write leaves the old file (or none).

Every failure is a :class:`specc.errors.RunError` naming the file (never an ``OSError``
traceback).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from specc.errors import RunError


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename)."""
    write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, with the permissions a plain ``open`` would
    give (``0o666`` less the umask). Raises RunError on I/O failure."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None


def save_model(model, path: Path) -> None:
    """``model.save(path)`` (a ``.keras`` file) atomically: saved under a temporary
    ``.keras`` name in the same folder, then renamed. Raises RunError on I/O failure."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None


def check_regular_file(path: Path, max_bytes: int, what: str = "run file") -> Path:
    """``path`` if it is a regular file (not a link, device or folder) of at most
    ``max_bytes`` bytes; files of a run folder are read only after this check, so a
    planted link to ``/dev/zero`` or outside the folder is never followed.

    Raises:
        UsageError: missing, not a regular file, or too large (naming the file).
    """
    import stat

    from specc.errors import UsageError
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError:
        raise UsageError(f"{path}: {what} missing") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise UsageError(f"{path}: {what} is {kind}; refused")
    if info.st_size > max_bytes:
        raise UsageError(f"{path}: {what} is {info.st_size} bytes (limit {max_bytes}); refused")
    return path
