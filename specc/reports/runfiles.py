"""The files of a run folder that reports are drawn from, and reading them back.

A finished run folder holds (see :mod:`specc.runtime.rundir`): ``metrics.json``,
``history.csv``, ``summary.txt``, ``spec.yaml`` (resolved) and ``spec.source.yaml``
(as written), plus the per-example data the plots need:

- ``predictions.npz``: ``y_true`` ``(n,)``, ``y_pred`` ``(n,)``, ``scores`` (model outputs,
  ``(n, 1)``, ``(n, k)`` or ``(n,)``) for the test split; for series data also ``series``
  and ``test_start`` (index of the first test target);
- ``representations.npz``: ``index`` ``(m,)`` test rows and ``vectors`` ``(m, d)`` float32,
  the vectors the output layer reads, and ``what`` (a description);
- ``examples.json``: the most confident misclassified test examples
  (``index``, ``text``, ``true``, ``predicted``, ``confidence``).

:func:`load_run` reads them into a :class:`RunRecord`; ``specc report`` re-renders from it.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specc.core.files import check_regular_file
from specc.errors import UsageError

MAX_METRICS_BYTES = 64 << 20
"""Largest ``metrics.json`` read."""

METRICS = "metrics.json"
HISTORY = "history.csv"
SUMMARY = "summary.txt"
SPEC_RESOLVED = "spec.yaml"
SPEC_SOURCE = "spec.source.yaml"
PREDICTIONS = "predictions.npz"
REPRESENTATIONS = "representations.npz"
EXAMPLES = "examples.json"


@dataclass
class RunRecord:
    """Everything a report shows about one finished run (optional parts may be None)."""

    folder: Path
    metrics: dict
    history: dict[str, list[float]]
    summary: str
    spec_source: str | None
    spec_resolved: str | None
    predictions: dict | None
    representations: dict | None
    examples: list[dict] | None

    @property
    def resolved(self) -> dict:
        """The resolved spec (``spec.yaml``) as a dict; ``{}`` when missing or unreadable."""
        from specc.core.yaml_source import parse_spec
        from specc.errors import SpeccError
        try:
            data = parse_spec(self.spec_resolved or "").data
        except SpeccError:
            return {}
        return data if isinstance(data, dict) else {}


def read_history(path: Path) -> dict[str, list[float]]:
    """``history.csv`` -> ``{metric: [value per epoch]}`` (the ``epoch`` column dropped)."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows] for k in keys}


def _npz(path: Path) -> dict | None:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def read_metrics(folder: str | Path) -> dict:
    """``metrics.json`` of a finished run.

    Raises:
        UsageError: ``folder`` is not a folder, or holds no ``metrics.json`` (not a finished
            run; ``error.txt`` says why when the run failed), or the file is not JSON.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a run folder (no such directory)")
    path = folder / METRICS
    if not path.is_file():
        why = _text(folder / "error.txt")
        raise UsageError(f"{folder}: not a finished run (no {METRICS})"
                         + (f"; it failed: {why.strip()}" if why else ""))
    check_regular_file(path, MAX_METRICS_BYTES, METRICS)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from None


def load_run(folder: str | Path, metrics: dict | None = None) -> RunRecord:
    """Read a run folder; ``metrics`` (when given) is used instead of ``metrics.json``,
    which lets the trainer render before writing that file last.

    Raises:
        UsageError: see :func:`read_metrics`; a damaged ``.npz``/``.json`` file.
    """
    folder = Path(folder)
    if metrics is None:
        metrics = read_metrics(folder)
    try:
        examples = _text(folder / EXAMPLES)
        return RunRecord(folder, metrics, read_history(folder / HISTORY),
                         _text(folder / SUMMARY) or "", _text(folder / SPEC_SOURCE),
                         _text(folder / SPEC_RESOLVED), _npz(folder / PREDICTIONS),
                         _npz(folder / REPRESENTATIONS),
                         None if examples is None else json.loads(examples))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise UsageError(f"{folder}: a run file cannot be read ({e})") from None
