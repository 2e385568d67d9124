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
Every file is read and checked by :mod:`specc.reports.runfolder_schema` (a damaged or
planted file is one line naming the file and the field, before anything is drawn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specc.errors import UsageError
from specc.reports.runfolder_layout import (
    EXAMPLES,
    HISTORY,
    MAX_SPEC_BYTES,
    METRICS,
    PREDICTIONS,
    REPRESENTATIONS,
    SPEC_RESOLVED,
    SPEC_SOURCE,
    SUMMARY,
)
from specc.reports.runfolder_read import present
from specc.reports.runfolder_schema import (
    check_metrics,
    read_examples,
    read_history,
    read_metrics,
    read_optional_text,
    read_predictions,
    read_representations,
    read_spec_yaml,
)

__all__ = [
    "EXAMPLES",
    "HISTORY",
    "METRICS",
    "PREDICTIONS",
    "REPRESENTATIONS",
    "SPEC_RESOLVED",
    "SPEC_SOURCE",
    "SUMMARY",
    "RunRecord",
    "load_run",
    "read_history",
    "read_metrics",
]


@dataclass
class RunRecord:
    """Everything a report shows about one finished run (optional parts may be None).

    ``spec_data`` is the parsed, schema-checked ``spec.yaml`` (``{}`` without one)."""

    folder: Path
    metrics: dict
    history: dict[str, list[float]]
    summary: str
    spec_source: str | None
    spec_resolved: str | None
    predictions: dict | None
    representations: dict | None
    examples: list[dict] | None
    spec_data: dict = field(default_factory=dict)

    @property
    def resolved(self) -> dict:
        """The resolved spec (``spec.yaml``) as a dict; ``{}`` when the run has none."""
        return self.spec_data


def load_run(folder: str | Path, metrics: dict | None = None) -> RunRecord:
    """Read and check a run folder; ``metrics`` (when given) is used instead of
    ``metrics.json`` (checked the same way), which lets the trainer render before writing
    that file last.

    Raises:
        UsageError: not a finished run; a pretraining run (its report is written by
            ``specc pretrain``); a damaged or refused run file (one line naming the file
            and the field, :mod:`specc.reports.runfolder_schema`).
    """
    folder = Path(folder)
    if metrics is None:
        metrics = read_metrics(folder)
    else:
        check_metrics(metrics, folder / METRICS)
    from specc.compiler.tasks import get_task
    if get_task(metrics["task"]).pretraining:
        raise UsageError(f"{folder / METRICS}: $.task: a pretraining run ({metrics['task']}); "
                         "its report.md was written by specc pretrain")
    names = metrics.get("class_names") if get_task(metrics["task"]).classification else None
    spec = read_spec_yaml(folder) if present(folder / SPEC_RESOLVED) else None
    predictions = read_predictions(folder, names)
    n = None if predictions is None else len(predictions["y_true"])
    return RunRecord(folder, metrics, read_history(folder / HISTORY),
                     read_optional_text(folder, SUMMARY) or "",
                     read_optional_text(folder, SPEC_SOURCE, MAX_SPEC_BYTES),
                     None if spec is None else spec.text, predictions,
                     read_representations(folder, n), read_examples(folder, names, n),
                     {} if spec is None else spec.data)
