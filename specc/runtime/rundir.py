"""The run folder: created up front (so an unwritable place fails before training), written atomically.

Layout: ``spec.yaml``, ``model.keras``, ``best.keras``, ``vocab.txt``, ``tokenizer.json``,
``summary.txt``, ``history.csv``, ``metrics.json``, ``report.md``, ``*.png``.
``metrics.json`` is written last: a folder without it is not a finished run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from specc.errors import RunError


def default_run_dir(name: str, root: str | Path = "runs") -> Path:
    """``runs/<name>-<UTC timestamp>`` (``YYYYmmdd-HHMMSS``)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{name}-{stamp}"


def create_run_dir(path: str | Path) -> Path:
    """Create the run folder and check it is writable.

    Raises:
        RunError: it exists and is not empty (an earlier run is never overwritten), or it
            cannot be created or written.
    """
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RunError(f"run folder {path} already exists and is not empty; choose another "
                       f"--out or remove it")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        raise RunError(f"cannot write the run folder {path}: {e.strerror or e}") from None
    return path
