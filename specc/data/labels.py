"""Turning label strings read from files into class ids or regression targets.

Rule for classification: the class names are the distinct label strings of the
*train* split, sorted; when every train label is an integer (ASCII digits with an
optional sign: "0", "-1", "10"), they are sorted numerically and written canonically
(``"01"`` becomes ``"1"``, ``"+5"`` becomes ``"5"``), however many digits they have.
Labels are stripped of surrounding whitespace. Every other split is mapped with
the train classes, so a label never seen in train is an error.

Rule for regression: a target is a decimal number in ASCII (``1``, ``-2.5``, ``3e1``,
``.5``) within float32 range; ``nan``, ``inf``, ``1_000``, non-ASCII digits and
numbers too large for float32 (``1e39``) are errors naming the file and row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from specc.errors import DataError, one_line

_INT = re.compile(r"[+-]?[0-9]+")  # ASCII only: "\d" would take "١" (Arabic-Indic one) as 1
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_COMPLEMENT = str.maketrans("0123456789", "9876543210")
SHOWN_CHARS = 60
"""Longest label or value quoted in full in an error message; longer ones are cut."""

# Where a label came from, for messages: (file, row, line); line 0 = unknown.
Origin = tuple[str, int, int]


def where(origin: Origin) -> str:
    """Format an origin as ``file, row R (line L)`` for error messages (row 0: just the file).
    Control characters of the file name are escaped, so the result is one line."""
    file, row, line = origin
    file = one_line(str(file))
    if not row:
        return file
    text = f"{file}, row {row}"
    return f"{text} (line {line})" if line else text


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters (then ``...`` and the
    full length follow), so a huge or multi-line label keeps the message short and on
    one line."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value):,} characters)"


def _canonical_int(label: str) -> str:
    """An integer label (matching ``_INT``) without sign ``+`` or leading zeros, computed
    on the string: no ``int()``, so a label of any length works (Python refuses to
    convert more than 4,300 digits)."""
    digits = label.lstrip("+-").lstrip("0") or "0"
    return "-" + digits if label.startswith("-") and digits != "0" else digits


def _int_order(label: str) -> tuple:
    """Sort key putting canonical integer labels in numeric order."""
    if label.startswith("-"):
        digits = label[1:]
        return (0, -len(digits), digits.translate(_COMPLEMENT))
    return (1, len(label), label)


def _all_ints(labels: Sequence[str]) -> bool:
    return bool(labels) and all(_INT.fullmatch(s) for s in labels)


def class_names_of(train_labels: Sequence[str]) -> list[str]:
    """Sorted distinct class names of the train labels (see the module rule).

    Returns a list of ``str``; integer labels are sorted numerically.
    """
    stripped = [s.strip() for s in train_labels]
    if _all_ints(stripped):
        return sorted({_canonical_int(s) for s in stripped}, key=_int_order)
    return sorted(set(stripped))


def shown_names(class_names: Sequence[str], most: int = 20) -> str:
    """The first ``most`` class names for a message, each :func:`shown`, then ``...``."""
    text = ", ".join(shown(n) for n in class_names[:most])
    return text + (", ..." if len(class_names) > most else "")


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
            label = _canonical_int(label)
        if label not in index:
            raise DataError(
                f"{where(origin)}: label {shown(raw.strip())} does not occur in {known_from} "
                f"(classes: {shown_names(class_names)})")
        ids[k] = index[label]
    return ids


def encode_floats(labels: Sequence[str], origins: Sequence[Origin]) -> np.ndarray:
    """Parse regression targets as ``float32``, shape ``(n,)`` (see the module rule).

    Raises:
        DataError: a label is not a decimal number, or not finite in float32; names the
            value, file and row.
    """
    out = np.empty(len(labels), dtype=np.float32)
    for k, (raw, origin) in enumerate(zip(labels, origins)):
        text = raw.strip()
        if not _FLOAT.fullmatch(text):
            raise DataError(f"{where(origin)}: value {shown(text)} is not a finite number "
                            "(a regression target must be numeric)")
        value = float(text)
        if abs(value) > _FLOAT32_MAX:  # inf too: "1e400" is beyond float64
            raise DataError(f"{where(origin)}: value {shown(text)} is too large for a "
                            f"float32 target (at most {_FLOAT32_MAX:.3g} in magnitude)")
        out[k] = value
    return out
