"""Reading the user's own data files: CSV, TSV, JSON Lines and folder-per-class trees.

Formats (the ``format`` key of the data section, else inferred from the path):

- ``csv`` (``.csv``): a header row, then one record per row; RFC-4180 quoting
  (``"a, b"``, doubled ``""``), read strictly with the stdlib ``csv`` module.
- ``tsv`` (``.tsv``): a header row, tab-separated, quoted like CSV where a field needs
  it (what ``pandas.DataFrame.to_csv(sep="\t")`` writes: a field holding a tab, a quote
  or a newline is in ``"..."`` with ``""`` for a quote); a ``"`` inside an unquoted
  field is an ordinary character.
- ``jsonl`` (``.jsonl``, ``.json``): one JSON object per line. A ``.json`` file
  whose first character is ``[`` is read as one JSON array of objects.
- ``folder`` (any directory): every subfolder is a class named after it, and every
  ``*.txt`` file below it (recursively, sorted by path) is one sample, as in keras'
  ``text_dataset_from_directory``. Files outside class subfolders are ignored.

All text must be UTF-8 (a leading byte-order mark is allowed) without NUL bytes.
Every error is a :class:`~specc.errors.DataError` naming the file and, where one
applies, the row (data rows count from 1, the header excluded) and the line in the file.

This module reads a data file by its format, checks the text and label columns and builds
the dataset; one file's bytes and text are read by :mod:`specc.data.datafile`, CSV/TSV
parsed by :mod:`specc.data.delimited`, JSON by :mod:`specc.data.jsonfiles`, into
:mod:`specc.data.records`.

Limits, so that no file can exhaust memory or hang a run:

- only regular files are read (a symbolic link is followed when it ends at one); a
  device (``/dev/zero``), a named pipe, a socket is refused before any byte is read;
- a file holds at most :func:`max_data_bytes` bytes (:data:`MAX_DATA_BYTES`, 4 GiB,
  or the environment variable ``SPECC_MAX_DATA_BYTES``), a folder-per-class tree as
  much in all its files together;
- a CSV/TSV field, a JSON Lines line or a JSON array element holds at most
  :data:`MAX_FIELD_CHARS` characters;
- JSON is read strictly: ``NaN``/``Infinity``, a key twice in one object, an integer
  of more digits than Python converts (``sys.get_int_max_str_digits()``, 4,300),
  nesting deeper than Python's recursion limit, and a string holding a NUL
  (``"\\u0000"``) or a lone UTF-16 surrogate (``"\\ud800"``, half a character: not
  text) are errors naming the row;
- a CSV/TSV header naming a column twice is an error (the row dict would silently
  keep the last one), as is an empty label.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from specc.core.bounded import reason
from specc.data.base import TextDataset
from specc.data.datafile import (
    MAX_DATA_BYTES,
    MAX_DATA_BYTES_ENV,
    MAX_FIELD_CHARS,
    decode_text,
    max_data_bytes,
    open_regular,
    read_bytes,
    read_text,
    shown_path,
)
from specc.data.delimited import read_delimited as _read_delimited
from specc.data.jsonfiles import read_json as _read_json
from specc.data.jsonfiles import shown_json
from specc.data.labels import Origin, class_names_of, encode_classes, encode_floats, shown, where
from specc.data.records import Labelled, Records, shown_columns
from specc.errors import DataError

__all__ = [
    "FORMATS",
    "MAX_DATA_BYTES",
    "MAX_DATA_BYTES_ENV",
    "MAX_FIELD_CHARS",
    "Labelled",
    "Records",
    "decode_text",
    "infer_format",
    "max_data_bytes",
    "open_regular",
    "read_bytes",
    "read_corpus",
    "read_labelled",
    "read_records",
    "read_series_column",
    "read_text",
    "read_text_column",
    "text_dataset",
]

FORMATS = ("csv", "tsv", "jsonl", "json", "folder")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json"}


def infer_format(path: Path, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` when given, ``folder`` for a directory, else by extension.

    Raises:
        DataError: unknown format or extension, a folder format given for a file, or a
            path that cannot be looked at.
    """
    info = _stat(path)
    if info is not None and stat.S_ISDIR(info.st_mode):
        if fmt not in (None, "folder"):
            raise DataError(f"{shown_path(path)} is a folder, but format {fmt!r} was given; "
                            "a folder is read as one subfolder per class (format: folder)")
        return "folder"
    if fmt is not None:
        if fmt not in FORMATS:
            raise DataError(f"{shown_path(path)}: unknown format {shown(str(fmt))}; use one of "
                            f"{', '.join(FORMATS)}")
        if fmt == "folder":
            raise DataError(f"{shown_path(path)}: format 'folder' needs a folder, but this is "
                            "a file")
        return fmt
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise DataError(f"{shown_path(path)}: cannot tell the format from the extension "
                        f"{shown(path.suffix)}; "
                        f"name it .csv/.tsv/.jsonl/.json or set format "
                        f"({', '.join(FORMATS)})") from None


def _stat(path: Path) -> os.stat_result | None:
    """``os.stat(path)`` (links followed), or None when nothing is there.

    Raises:
        DataError: the path cannot be looked at (too long, a link loop, a NUL byte, no
            permission); names it and the reason.
    """
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {shown_path(path)}: {reason(exc)}") from None


def read_records(path: Path, fmt: str | None = None,
                 columns: list[str] | None = None, what: str = "data file") -> Records:
    """Read a CSV, TSV or JSONL/JSON file into :class:`Records`.

    Args:
        path: the file.
        fmt: ``csv``, ``tsv``, ``jsonl`` or ``json``; inferred from the extension if None.
        columns: for CSV/TSV files without a header row, the column names; the first
            row is then data.
        what: what the file is, for messages ("data file", "input file").

    Raises:
        DataError: see :func:`read_text`; a header naming a column twice; a row with the
            wrong number of fields; bad CSV quoting; a field, line or element over
            :data:`MAX_FIELD_CHARS`; invalid or refused JSON (see the module docstring) or
            a JSON row that is not an object; no data rows; not enough memory.
    """
    fmt = infer_format(path, fmt)
    try:
        text = read_text(path, what=what)
        if fmt in ("csv", "tsv"):
            records = _read_delimited(path, text, fmt, columns)
        else:
            records = _read_json(path, text, fmt)
    except MemoryError:
        raise DataError(f"{shown_path(path)}: not enough memory to read the {what}; use a smaller "
                        "file") from None
    if not records.rows:
        raise DataError(f"{shown_path(path)}: no data rows (only a header: "
                        f"{shown_columns(records.columns)})")
    return records


def _as_label(value: Any, origin: Origin) -> str:
    """A label value (a CSV string or a JSON scalar) as a string.

    Raises:
        DataError: true/false, null, an array or object, or a JSON number beyond float range.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where(origin)}: label {shown_json(value)} must be a string or a "
                        "number")
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(f"{where(origin)}: label is a JSON number beyond float range; write "
                        "it as a string, or a smaller number")
    return str(value)


def _check_texts(texts: list[Any], origins: list[Origin], allow_blank: bool) -> None:
    """Raise DataError naming the row of the first text that is not a string (or, unless
    ``allow_blank``, is empty or only whitespace)."""
    for text, origin in zip(texts, origins):
        if not isinstance(text, str):
            raise DataError(f"{where(origin)}: text {shown_json(text)} is not a string")
        if not allow_blank and (not text or text.isspace()):
            raise DataError(f"{where(origin)}: the text is empty; remove the row or fill it in")


def read_labelled(path: Path, fmt: str | None = None, text_column: str = "text",
                  label_column: str = "label") -> Labelled:
    """Texts and raw label strings from a tabular file or a folder-per-class tree.

    Raises:
        DataError: any reading error (see :func:`read_records`), a missing column, a
            text that is not a string or is empty (blank), a label that is empty (blank),
            true/false, null, an array or object; a folder with no class subfolders or no
            ``.txt`` files, or over :func:`max_data_bytes` in all.
    """
    if _stat(path) is None:
        raise DataError(f"data file not found: {shown_path(path)}")
    if infer_format(path, fmt) == "folder":
        return _read_folder(path)
    records = read_records(path, fmt)
    texts = records.column(text_column, "text column")
    _check_texts(texts, records.origins, allow_blank=False)
    labels = []
    for value, origin in zip(records.column(label_column, "label column"), records.origins):
        label = _as_label(value, origin)
        if not label or label.isspace():
            raise DataError(f"{where(origin)}: the label is empty; fill it in or remove the row")
        labels.append(label)
    return Labelled(texts, labels, records.origins)


def read_text_column(path: Path, fmt: str | None = None, text_column: str = "text",
                     what: str = "data file") -> list[str]:
    """The texts of one column of a tabular file, every row in order (other columns,
    labels included, unread).

    Raises:
        DataError: no such file (``what`` names it: "corpus file", "input file"); see
            :func:`read_records`; a missing column; a text that is not a string.
    """
    if _stat(path) is None:
        raise DataError(f"{what} not found: {shown_path(path)}")
    records = read_records(path, fmt, what=what)
    texts = records.column(text_column, "text column")
    _check_texts(texts, records.origins, allow_blank=True)
    return texts


def read_corpus(path: Path, fmt: str | None = None, text_column: str = "text") -> list[str]:
    """The texts of a tabular file (:func:`read_text_column`) for ``task: masked_lm``.
    Blank texts are skipped: a corpus has no row to keep aligned."""
    return [t for t in read_text_column(path, fmt, text_column, "corpus file")
            if t and not t.isspace()]


def _read_folder(path: Path) -> Labelled:
    """Every ``*.txt`` below each class subfolder of ``path``, labelled by the subfolder.

    Raises:
        DataError: the folder cannot be listed, has no class subfolders or no ``.txt``
            files, or its files hold more than :func:`max_data_bytes` bytes together; see
            :func:`read_bytes` and :func:`decode_text` for each file.
    """
    limit, total = max_data_bytes(), 0
    try:
        classes = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
        if not classes:
            raise DataError(f"{shown_path(path)}: a data folder needs one subfolder per class "
                            "(e.g. pos/ and neg/) holding .txt files; found no subfolders")
        out = Labelled([], [], [])
        for folder in classes:
            for file in sorted(folder.rglob("*.txt")):
                if file.is_dir():
                    continue  # a device, a pipe or a broken link is refused by the read
                raw = read_bytes(file, limit)
                total += len(raw)
                if total > limit:
                    raise DataError(f"{shown_path(path)}: the .txt files of this folder hold more "
                                    f"than {limit:,} bytes together, the limit for a data "
                                    f"file; set {MAX_DATA_BYTES_ENV} to a larger number of "
                                    "bytes if they are meant to be read")
                out.texts.append(decode_text(file, raw))  # an empty file: an error naming it
                out.labels.append(folder.name)
                out.origins.append((str(folder) + "/", 0, 0))
    except OSError as exc:
        raise DataError(f"cannot read the data folder {shown_path(path)}: {reason(exc)}") from None
    except MemoryError:
        raise DataError(f"{shown_path(path)}: not enough memory to read the data folder") from None
    if not out.texts:
        raise DataError(f"{shown_path(path)}: no .txt files in the class subfolders "
                        f"({', '.join(shown(d.name) for d in classes[:20])})")
    return out


def read_series_column(path: Path, column: str, fmt: str | None = None) -> np.ndarray:
    """A numeric column of a CSV/TSV/JSONL file as a ``float64`` array of shape ``(rows,)``.

    Raises:
        DataError: reading errors, a missing column, or a value that is not a finite
            number (names the row).
    """
    if _stat(path) is None:
        raise DataError(f"series file not found: {shown_path(path)}")
    records = read_records(path, fmt, what="series file")
    values = records.column(column, "series column")
    strings = [_as_label(v, o) for v, o in zip(values, records.origins)]
    return encode_floats(strings, records.origins).astype(np.float64)


def text_dataset(splits: dict[str, Labelled], classification: bool, source: str) -> TextDataset:
    """Build a :class:`TextDataset` from raw splits ``train``, ``test`` and optional ``dev``.

    For classification the class names come from train (see :mod:`specc.data.labels`) and
    labels become ``int64`` ids; for regression they are parsed as ``float32``.

    Raises:
        DataError: a dev/test label that train lacks (names it and its row), or a
            regression target that is not a number.
    """
    train = splits["train"]
    if classification:
        names = class_names_of(train.labels)
        encode = lambda s: encode_classes(s.labels, names, s.origins)  # noqa: E731
    else:
        names = None
        encode = lambda s: encode_floats(s.labels, s.origins)  # noqa: E731
    dev = splits.get("dev")
    return TextDataset(
        train_texts=train.texts, train_labels=encode(train),
        test_texts=splits["test"].texts, test_labels=encode(splits["test"]),
        class_names=names,
        dev_texts=dev.texts if dev else None, dev_labels=encode(dev) if dev else None,
        source=source,
        notes={f"{k}_rows": len(v.texts) for k, v in splits.items()})
