"""Atomic file writes: a temporary file in the same folder, then a rename, so a reader
never sees a half-written file and a failed write leaves the old file (or none).

Every failure is a :class:`specc.errors.RunError` naming the file (never an ``OSError``
traceback).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from specc.core.bounded import Reader
from specc.errors import RunError, UsageError


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename)."""
    write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_write`).

    Raises:
        RunError: I/O failure (the temporary file is removed; on a full disk the message
            says how many bytes were needed and how many are free).
    """
    try:
        atomic_write(path, lambda f: f.write(data))
    except OSError as e:
        raise write_error(path, e, len(data)) from None


def atomic_write(path: Path, write) -> None:
    """``write(f)`` into a temporary file beside ``path`` (binary), then rename it to
    ``path``, with the permissions a plain ``open`` would give (``0o666`` less the umask):
    a reader never sees a half-written file, and a link at ``path`` is replaced, never
    written through.

    Raises:
        OSError: the write or the rename failed; the temporary file is removed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_error(path: Path, error: OSError, needed: int | None = None) -> RunError:
    """The RunError for a failed write of ``path``: its reason, and on a full disk
    (``ENOSPC``, ``EDQUOT``) the bytes ``needed`` (when known) and the bytes free there."""
    import errno
    import shutil
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        try:
            free = f"{shutil.disk_usage(Path(path).parent).free:,} bytes free"
        except OSError:
            free = "free space unknown"
        need = f"needs {needed:,} bytes, " if needed is not None else ""
        reason = f"{reason} ({need}{free})"
    return RunError(f"cannot write {path}: {reason}")


def _saved(path: Path, tmp: Path, save, needed: int | None) -> None:
    """``save(tmp)`` then rename ``tmp`` to ``path``; any failure removes ``tmp`` and is a
    :func:`write_error` (Keras and h5py report a full disk as OSError, or as RuntimeError
    or ValueError wrapping it: those are read as a failed write too)."""
    try:
        save(tmp)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, e, needed) from None
    except (RuntimeError, ValueError) as e:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, OSError(_errno_in(e), str(e)), needed) from None


def _errno_in(error: BaseException) -> int | None:
    """The ``errno`` an exception wraps (its own, or one in its ``__cause__``/``__context__``
    chain, or ENOSPC when its text says "No space left"), else None."""
    import errno
    seen = error
    while seen is not None:
        if getattr(seen, "errno", None):
            return seen.errno
        if "No space left" in str(seen):
            return errno.ENOSPC
        seen = seen.__cause__ or seen.__context__
    return None


def save_model(model, path: Path) -> None:
    """``model.save(path)`` (a ``.keras`` file) atomically: saved under a temporary
    ``.keras`` name in the same folder, then renamed.

    Raises:
        RunError: I/O failure, naming the file (on a full disk with the bytes the weights
            need and the bytes free).
    """
    path = Path(path)
    _saved(path, path.with_name(f".{path.stem}.tmp.keras"), model.save, weights_bytes(model))


def save_weights(model, path: Path) -> None:
    """``model.save_weights(path)`` (a ``.weights.h5`` file) atomically, as
    :func:`save_model`."""
    path = Path(path)
    stem = path.name[:-len(".weights.h5")]
    _saved(path, path.with_name(f".{stem}.tmp.weights.h5"), model.save_weights,
           weights_bytes(model))


def save_folder(path: Path, save, needed: int | None = None) -> None:
    """``save(tmp)`` into a new temporary folder beside ``path``, then renamed to ``path``
    (which must not exist), so ``path`` appears whole or not at all (a keras-hub preset).

    Raises:
        RunError: as :func:`write_error` (the temporary folder is removed).
    """
    import shutil
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)

    def save_into(folder: Path) -> None:
        folder.mkdir()
        save(folder)
    try:
        _saved(path, tmp, save_into, needed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def weights_bytes(model) -> int:
    """About the bytes of a Keras model's variables (weights and optimizer slots), 4 per
    value (float32): roughly the size of a file that saves them."""
    import math
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(getattr(optimizer, "variables", []))
    return 4 * sum(math.prod(int(d) for d in v.shape) for v in variables)


def check_regular_file(path: Path, max_bytes: int, what: str = "run file") -> Path:
    """``path`` if it is a regular file (not a link, device or folder) of at most
    ``max_bytes`` bytes; files of a run folder are read only after this check, so a
    planted link to ``/dev/zero`` or outside the folder is never followed (nothing is
    opened: :meth:`specc.core.bounded.Reader.check`).

    Raises:
        UsageError: missing (``<path>: <what> missing``), not a regular file (naming what
            it is), too large, or a path that cannot be looked at (naming the file).
    """
    path = Path(path)
    Reader(UsageError, what).check(path, max_bytes)
    return path


def check_own_files(folder: str | Path) -> None:
    """Check that everything inside the run folder ``folder`` (recursively) is a regular
    file or a folder of its own: a symbolic link, device or FIFO planted in it would make
    specc read or write outside the folder.

    Raises:
        UsageError: names the first such entry.
    """
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise UsageError(f"{path} is a symbolic link; refused (a run folder's files "
                                 "must be its own)")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UsageError(f"{path} is not a regular file; refused")


def remove(path: Path) -> None:
    """Delete ``path``: a folder with its contents, or a file or link (a link itself, never
    what it points to); nothing there is fine.

    Raises:
        OSError: it cannot be deleted.
    """
    import shutil
    try:
        folder = stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return
    if folder:
        shutil.rmtree(path)
    else:
        Path(path).unlink(missing_ok=True)
