"""Every report file of a finished run folder, read through one validated reader.

A run folder may come from someone else, so each of its files is read the same way:

1. The file must be a regular file in the folder (not a link, device, FIFO or folder) of
   at most a size limit (:mod:`specc.reports.runfolder_layout`), read without following a
   link and never past that limit (:mod:`specc.reports.runfolder_read`).
2. Text must be UTF-8. JSON files are parsed (nesting too deep for Python's parser is
   refused) and checked against a Draft-07 JSON Schema of that file
   (:mod:`specc.reports.runfolder_jsonschemas`). ``history.csv`` is parsed by :mod:`csv`;
   ``.npz`` archives are opened without pickles after every array's header was checked.
3. Facts the schemas cannot express are checked here afterwards: the confusion matrix is
   ``k x k`` for the ``k`` class names, the prediction arrays have one length ``n``, the
   representation rows index ``[0, n)``, a sweep's runs are its own sub-folders.

This module holds those per-file readers of what reports show (``metrics.json``,
``history.csv``, the ``.npz`` arrays, ``examples.json``, ``spec.yaml``, the saved text
encoder, ``learning_curve.json``); what resuming reads is in
:mod:`specc.reports.runfolder_resume`. Any defect is one :class:`~specc.errors.UsageError`
line ``<file>: <field>: <what is wrong>``, the field as a JSON path
(``$.confusion_matrix[1]``), an array name (``y_pred``) or a CSV line (``line 3, column
'loss'``). Missing optional files are None (or ``{}``); a file that is present but refused
is always an error.
"""

from __future__ import annotations

import csv
import io
import math
import os
import stat
from pathlib import Path

import numpy as np

from specc.errors import UsageError, one_line
from specc.reports.runfolder_jsonschemas import fail, short, validate
from specc.reports.runfolder_layout import (
    ERROR_FILE,
    EXAMPLES,
    LEARNING_CURVE,
    MAX_SPEC_BYTES,
    MAX_TEXT_BYTES,
    MAX_VOCABULARY_BYTES,
    METRICS,
    PREDICTIONS,
    REPRESENTATIONS,
    SPEC_RESOLVED,
    TOKENIZER,
    VOCABULARY,
)
from specc.reports.runfolder_read import (
    array_field,
    optional,
    present,
    read_json,
    read_npz,
    read_text,
)


# ---------------------------------------------------------------- metrics.json

def check_metrics(doc, path: Path, complete: bool = True) -> dict:
    """``metrics.json``'s content ``doc`` checked: the schema, then the ``k x k`` confusion
    matrix, a report row and a count per class for the ``k`` class names. Returns ``doc``.

    ``complete``: every key a report shows for the run's task must be present; False: only
    ``spec`` and ``task`` (``specc compare`` shows a dash for a missing value), every key
    present still typed and checked.

    Raises:
        UsageError: ``<path>: <field>: <message>``.
    """
    validate(doc, METRICS, path, complete)
    names = doc.get("class_names")
    if names is None:
        return doc
    k = len(names)
    matrix = doc.get("confusion_matrix")
    if matrix is not None:
        if len(matrix) != k:
            raise fail(path, "$.confusion_matrix", f"has {len(matrix)} rows; expected {k}, "
                                                   "one per class in $.class_names")
        for i, row in enumerate(matrix):
            if len(row) != k:
                raise fail(path, f"$.confusion_matrix[{i}]", f"has {len(row)} columns; "
                                                             f"expected {k}")
    report = doc.get("classification_report") or {}
    for name in names:
        if not isinstance(report.get(name), dict):
            raise fail(path, f"$.classification_report.{name}", "missing (a row per class "
                                                                "in $.class_names)")
    for split, counts in (doc.get("class_counts") or {}).items():
        if isinstance(counts, list) and len(counts) != k:
            raise fail(path, f"$.class_counts.{split}", f"has {len(counts)} counts; "
                                                        f"expected {k}")
    return doc


def read_metrics(folder: str | Path, complete: bool = True) -> dict:
    """``metrics.json`` of a finished run, checked (:func:`check_metrics`, ``complete``).

    Raises:
        UsageError: ``folder`` is not a folder, or holds no ``metrics.json`` (not a finished
            run; ``error.txt`` says why when the run failed), or the file is refused.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a run folder (no such directory)")
    path = folder / METRICS
    if not present(path):
        raise UsageError(one_line(f"{folder}: not a finished run (no {METRICS})"
                                  + (f"; it failed: {why}" if (why := _why(folder)) else "")))
    return check_metrics(read_json(path, ""), path, complete)


def _why(folder: Path) -> str | None:
    """The first line of a failed run's ``error.txt`` (None when absent or refused)."""
    try:
        text = optional(folder / ERROR_FILE, lambda p: read_text(p, 64 << 10))
    except UsageError:
        return None
    line = (text or "").strip().split("\n")[0]
    return line[:300] or None


# ---------------------------------------------------------------- history.csv

def read_history(path: str | Path) -> dict[str, list[float]]:
    """``history.csv`` -> ``{metric: [value per epoch]}`` (the ``epoch`` column dropped);
    ``{}`` when there is none. The header is ``epoch`` then unique metric names; each row
    has one field per header name, its epoch number (1, 2, ...) and finite numbers.

    Raises:
        UsageError: a refused file, or ``<file>: line <i>[, column <name>]: <message>``.
    """
    path = Path(path)
    if not present(path):
        return {}
    text = read_text(path, MAX_TEXT_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as e:
        raise fail(path, f"line {reader.line_num}", f"not CSV ({e})") from None
    if not rows:
        raise fail(path, None, "empty; expected a header line 'epoch,<metric>,...'")
    header = rows[0][1]
    if header[0] != "epoch" or not all(header[1:]) or len(set(header)) != len(header):
        raise fail(path, "line 1", "the header must be 'epoch' then distinct metric names, "
                                   f"not {short(','.join(header))}")
    history: dict[str, list[float]] = {k: [] for k in header[1:]}
    for epoch, (line, row) in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise fail(path, f"line {line}", f"{len(row)} fields; the header has "
                                             f"{len(header)}")
        if row[0].strip() != str(epoch):
            raise fail(path, f"line {line}, column 'epoch'",
                       f"expected {epoch}, not {short(row[0])}")
        for name, value in zip(header[1:], row[1:]):
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise fail(path, f"line {line}, column {name!r}",
                           f"not a finite number: {short(value)}")
            history[name].append(number)
    return history


# ---------------------------------------------------------------- arrays

def _rows(path: Path, arrays: dict, key: str, ndim: tuple[int, ...], n: int, of: str
          ) -> np.ndarray:
    """``arrays[key]`` checked by :func:`~specc.reports.runfolder_read.array_field`
    (``ndim``), with ``n`` rows, as the array ``of`` has."""
    a = array_field(path, arrays, key, ndim)
    if len(a) != n:
        raise fail(path, key, f"has {len(a)} rows; {of} has {n}")
    return a


def _class_ids(path: Path, key: str, a: np.ndarray, k: int) -> None:
    if a.dtype.kind not in "iu":
        raise fail(path, key, f"holds {a.dtype}; expected class ids (integers)")
    if len(a) and (a.min() < 0 or a.max() >= k):
        raise fail(path, key, f"holds class id {int(a.min() if a.min() < 0 else a.max())}; "
                              f"expected 0 to {k - 1} (the {k} class names)")


def read_predictions(folder: str | Path, class_names: list[str] | None = None
                     ) -> dict[str, np.ndarray] | None:
    """``predictions.npz`` checked (None when absent): ``y_true`` and ``y_pred`` ``(n,)``
    (class ids in ``[0, k)`` with ``k`` class names, else finite numbers), ``scores``
    ``(n,)`` or ``(n, c)`` finite; series runs add ``series`` ``(s,)`` and ``test_start``
    (an integer with ``test_start + n <= s``).

    Raises:
        UsageError: a refused file, or ``<file>: <array>: <message>``.
    """
    path = Path(folder) / PREDICTIONS
    if (arrays := optional(path, read_npz)) is None:
        return None
    y_true = array_field(path, arrays, "y_true", (1,))
    n = len(y_true)
    y_pred = _rows(path, arrays, "y_pred", (1,), n, "y_true")
    _rows(path, arrays, "scores", (1, 2), n, "y_true")
    if class_names is not None:
        _class_ids(path, "y_true", y_true, len(class_names))
        _class_ids(path, "y_pred", y_pred, len(class_names))
    if "series" in arrays or "test_start" in arrays:
        series = array_field(path, arrays, "series", (1,))
        start = array_field(path, arrays, "test_start", (0,), kinds="iu")
        if not 0 <= int(start) <= len(series) - n:
            raise fail(path, "test_start", f"is {int(start)}; with {n} test targets it must "
                                           f"be between 0 and {len(series) - n}")
    return arrays


def read_representations(folder: str | Path, n: int | None = None
                         ) -> dict[str, np.ndarray] | None:
    """``representations.npz`` checked (None when absent): ``index`` ``(m,)`` test rows
    (in ``[0, n)`` given the ``n`` test predictions), ``vectors`` ``(m, d)`` finite numbers
    with ``d >= 1``, ``what`` a text.

    Raises:
        UsageError: a refused file, or ``<file>: <array>: <message>``.
    """
    path = Path(folder) / REPRESENTATIONS
    if (arrays := optional(path, read_npz)) is None:
        return None
    index = array_field(path, arrays, "index", (1,), kinds="iu")
    vectors = _rows(path, arrays, "vectors", (2,), len(index), "index")
    if vectors.shape[1] < 1:
        raise fail(path, "vectors", "has no columns")
    array_field(path, arrays, "what", (0,), kinds="U")
    top = n if n is not None else np.iinfo(np.int64).max
    if len(index) and (index.min() < 0 or index.max() >= top):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise fail(path, "index", f"holds row {bad}; expected 0 to {top - 1} (the rows of "
                                  f"{PREDICTIONS})")
    return arrays


def read_examples(folder: str | Path, class_names: list[str] | None = None,
                  n: int | None = None) -> list[dict] | None:
    """``examples.json`` checked (None when absent): its schema, and each ``index`` below
    the ``n`` test predictions, ``true``/``predicted`` among ``class_names``.

    Raises:
        UsageError: ``<file>: <json path>: <message>``.
    """
    path = Path(folder) / EXAMPLES
    examples = optional(path, read_json)
    for i, e in enumerate(examples or []):
        if n is not None and e["index"] >= n:
            raise fail(path, f"$[{i}].index", f"is {e['index']}; there are {n} test examples")
        for key in ("true", "predicted"):
            if class_names is not None and e[key] not in class_names:
                raise fail(path, f"$[{i}].{key}", f"{short(e[key])} is not a class name")
    return examples


# ---------------------------------------------------------------- text files

def read_optional_text(folder: str | Path, name: str, limit: int = MAX_TEXT_BYTES
                       ) -> str | None:
    """The UTF-8 text of the run file ``name`` (``summary.txt``, ``spec.source.yaml``),
    or None when absent.

    Raises:
        UsageError: a refused file (see :func:`read_text`).
    """
    return optional(Path(folder) / name, lambda p: read_text(p, limit))


def read_spec_yaml(folder: str | Path):
    """The run's resolved spec ``spec.yaml``: read (UTF-8, at most :data:`MAX_SPEC_BYTES`),
    parsed (YAML tags and alias bombs refused) and checked against specc's JSON Schema
    (types and keys; the data and presets it names need not exist here).

    Returns:
        The :class:`specc.core.yaml_source.SpecSource` (``.data`` a dict, ``.text``).

    Raises:
        UsageError: missing, refused, not YAML, or not a schema-valid spec
            (``<file>:<line>:<col>: <path>: <message>``).
    """
    from specc.core.yaml_source import parse_spec
    from specc.errors import SpecError
    from specc.loader.validate import schema_issues
    path = Path(folder) / SPEC_RESOLVED
    text = read_text(path, MAX_SPEC_BYTES)
    try:
        parsed = parse_spec(text, str(path))
        issues = schema_issues(parsed)
    except SpecError as e:
        raise UsageError(str(e.issues[0])) from None
    except RecursionError:
        raise fail(path, "$", "nested too deeply") from None
    if issues:
        raise UsageError(str(issues[0]))
    if not isinstance(parsed.data, dict):
        raise fail(path, "$", "not a spec mapping")
    return parsed


def read_tokenizer(folder: str | Path) -> dict:
    """The saved text encoder's ``tokenizer.json`` (checked against its schema) after
    checking ``vocab.txt``: a UTF-8 file of at least ``vocabulary_size`` lines.

    Raises:
        UsageError: a missing or refused file, ``<file>: <field>: <message>``.
    """
    folder = Path(folder)
    config = read_json(folder / TOKENIZER, limit=1 << 20)
    path = folder / VOCABULARY
    lines = read_text(path, MAX_VOCABULARY_BYTES).count("\n") + 1
    if lines < config["vocabulary_size"]:
        raise fail(path, None, f"has {lines} lines; {TOKENIZER} gives vocabulary_size "
                               f"{config['vocabulary_size']}")
    return config


def read_learning_curve(folder: str | Path) -> dict | None:
    """A sweep folder's ``learning_curve.json`` (None when absent), checked: each point's
    ``run`` is the name of a real sub-folder (no path, no link).

    Raises:
        UsageError: ``<file>: <json path>: <message>``.
    """
    path = Path(folder) / LEARNING_CURVE
    doc = optional(path, read_json)
    for i, point in enumerate((doc or {}).get("points", [])):
        run = Path(folder) / point["run"]
        if not (present(run) and stat.S_ISDIR(os.lstat(run).st_mode)):
            raise fail(path, f"$.points[{i}].run", f"{short(point['run'])} is not a "
                                                   "folder in the sweep folder")
    return doc
