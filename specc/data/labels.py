"""Turning label strings read from files into class ids or regression targets.

Rule for classification: the class names are the distinct label strings of the
*train* split, sorted; when every train label is an integer ("0", "-1", "10"),
they are sorted numerically and written canonically (``"01"`` becomes ``"1"``).
Labels are stripped of surrounding whitespace. Every other split is mapped with
the train classes, so a label never seen in train is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from specc.errors import DataError

_INT = re.compile(r"[+-]?\d+")

# Where a label came from, for messages: (file, row, line); line 0 = unknown.
Origin = tuple[str, int, int]


def where(origin: Origin) -> str:
    """Format an origin as ``file, row R (line L)`` for error messages (row 0: just the file)."""
    file, row, line = origin
    if not row:
        return file
    text = f"{file}, row {row}"
    return f"{text} (line {line})" if line else text


def _all_ints(labels: Sequence[str]) -> bool:
    return bool(labels) and all(_INT.fullmatch(s) for s in labels)


def class_names_of(train_labels: Sequence[str]) -> list[str]:
    """Sorted distinct class names of the train labels (see the module rule).

    Returns a list of ``str``; integer labels are sorted numerically.
    """
    stripped = [s.strip() for s in train_labels]
    if _all_ints(stripped):
        return [str(v) for v in sorted({int(s) for s in stripped})]
    return sorted(set(stripped))


def encode_classes(labels: Sequence[str], class_names: list[str],
                   origins: Sequence[Origin], known_from: str = "the train split") -> np.ndarray:
    """Map label strings to ``int64`` ids, shape ``(n,)``, using ``class_names``.

    Raises:
        DataError: a label is not one of ``class_names`` (those of ``known_from``); names
            the label, file and row.
    """
    numeric = _all_ints(class_names)
    index = {name: i for i, name in enumerate(class_names)}
    ids = np.empty(len(labels), dtype=np.int64)
    for k, (raw, origin) in enumerate(zip(labels, origins)):
        label = raw.strip()
        if numeric and _INT.fullmatch(label):
            label = str(int(label))
        if label not in index:
            shown = ", ".join(class_names[:20]) + (", ..." if len(class_names) > 20 else "")
            raise DataError(
                f"{where(origin)}: label {raw.strip()!r} does not occur in {known_from} "
                f"(classes: {shown})")
        ids[k] = index[label]
    return ids


def encode_floats(labels: Sequence[str], origins: Sequence[Origin]) -> np.ndarray:
    """Parse regression targets as ``float32``, shape ``(n,)``.

    Raises:
        DataError: a label is not a finite number; names the value, file and row.
    """
    out = np.empty(len(labels), dtype=np.float32)
    for k, (raw, origin) in enumerate(zip(labels, origins)):
        try:
            value = float(raw.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DataError(f"{where(origin)}: value {raw.strip()!r} is not a finite number "
                            "(a regression target must be numeric)")
        out[k] = value
    return out
