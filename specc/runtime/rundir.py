"""The run folder: created up front (so an unwritable place fails before training), locked
for the whole run (:mod:`specc.core.lock`), written atomically.

Layout: ``spec.yaml``, ``model.keras``, ``best.keras``, ``vocab.txt``, ``tokenizer.json``,
``summary.txt``, ``history.csv``, ``metrics.json``, ``report.md``, ``*.png``.
``metrics.json`` is written once the results are, before the report (a report that fails
cannot lose a run): a folder without it is not a finished run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from specc.core.files import remove
from specc.core.lock import LOCK_FILE, locked
from specc.errors import RunError


def default_run_dir(name: str, root: str | Path = "runs") -> Path:
    """``runs/<name>-<UTC timestamp>`` (``YYYYmmdd-HHMMSS``)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{name}-{stamp}"


def _entries(path: Path) -> list[str]:
    """The names in folder ``path``, the lock file left out."""
    return [name for name in os.listdir(path) if name != LOCK_FILE]


def _make(path: Path) -> None:
    """``mkdir -p path``. Raises RunError (not a folder, or cannot be created)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RunError(f"run folder {path} already exists and is not a folder; choose "
                       "another --out") from None
    except OSError as e:
        raise RunError(f"cannot write the run folder {path}: {e.strerror or e}") from None


def create_run_dir(path: str | Path) -> Path:
    """Create the (empty) folder ``path`` for a run's output and check it is writable.

    Raises:
        RunError: it exists and is not empty (an earlier run is never overwritten), or it
            cannot be created or written.
    """
    with new_run_dir(path) as folder:
        return folder


@contextlib.contextmanager
def new_run_dir(path: str | Path) -> Iterator[Path]:
    """Create the run folder ``path`` (or take an empty one) and hold its lock
    (:func:`specc.core.lock.locked`) while in the block; the emptiness check is made under
    the lock, so of two processes given one ``--out`` exactly one gets it.

    Raises:
        RunError: it exists and is not empty, or it cannot be created or written.
        UsageError: another process holds its lock.
    """
    path = Path(path)
    _make(path)
    with locked(path):
        if _entries(path):
            raise RunError(f"run folder {path} already exists and is not empty; choose "
                           f"another --out or remove it")
        yield path


def clear_run_dir(folder: str | Path) -> None:
    """Delete everything in the run folder ``folder`` but its lock file (a run restarted
    from scratch). Call it holding the lock, after
    :func:`specc.core.files.check_own_files`.

    Raises:
        RunError: something cannot be deleted.
    """
    folder = Path(folder)
    try:
        for name in _entries(folder):
            remove(folder / name)
    except OSError as e:
        raise RunError(f"cannot clear the run folder {folder}: {e.strerror or e}") from None


def remove_temporaries(folder: str | Path) -> None:
    """Delete the temporary files a killed run left in ``folder`` and its ``checkpoint/``
    (``.<name>.tmp...``, :mod:`specc.core.files`'s atomic writes cut short). Call it
    holding the lock."""
    for parent in (Path(folder), Path(folder) / "checkpoint"):
        if not parent.is_dir() or parent.is_symlink():
            continue
        for path in parent.iterdir():
            if path.name.startswith(".") and ".tmp" in path.name:
                with contextlib.suppress(OSError):
                    remove(path)
