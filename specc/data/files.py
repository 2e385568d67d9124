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

All text must be UTF-8 (a leading byte-order mark is allowed). Every error is a
:class:`~specc.errors.DataError` naming the file and, where one applies, the row
(data rows count from 1, the header excluded) and the line in the file.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specc.data.base import TextDataset
from specc.data.labels import Origin, class_names_of, encode_classes, encode_floats, where
from specc.errors import DataError

FORMATS = ("csv", "tsv", "jsonl", "json", "folder")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json"}
_CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


@dataclass
class Records:
    """Rows of a tabular file.

    Attributes:
        path: the file read.
        columns: column names (CSV/TSV header, or the keys of the first JSON object).
        rows: one dict per record, column -> value (``str`` for CSV/TSV, any JSON value for JSONL).
        origins: ``(file, row, line)`` of each record, for error messages.
    """

    path: Path
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)

    def column(self, name: str, role: str = "column") -> list[Any]:
        """Values of column ``name`` in row order.

        Raises:
            DataError: the column is absent (lists the columns found), or missing from a
                JSON row (names the row and the keys it has).
        """
        if name not in self.columns:
            raise DataError(f"{self.path}: no {role} {name!r}; columns found: "
                            f"{', '.join(map(repr, self.columns)) or 'none'}")
        values = []
        for row, origin in zip(self.rows, self.origins):
            if name not in row:
                raise DataError(f"{where(origin)}: no key {name!r}; keys found: "
                                f"{', '.join(map(repr, row)) or 'none'}")
            values.append(row[name])
        return values


@dataclass
class Labelled:
    """Texts with their raw (unparsed) labels as strings, and where each came from."""

    texts: list[str]
    labels: list[str]
    origins: list[Origin]


def infer_format(path: Path, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` when given, ``folder`` for a directory, else by extension.

    Raises:
        DataError: unknown format or extension, or a folder format given for a file.
    """
    if path.is_dir():
        if fmt not in (None, "folder"):
            raise DataError(f"{path} is a folder, but format {fmt!r} was given; "
                            "a folder is read as one subfolder per class (format: folder)")
        return "folder"
    if fmt is not None:
        if fmt not in FORMATS:
            raise DataError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        if fmt == "folder":
            raise DataError(f"{path}: format 'folder' needs a folder, but this is a file")
        return fmt
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise DataError(f"{path}: cannot tell the format from the extension {path.suffix!r}; "
                        f"name it .csv/.tsv/.jsonl/.json or set format "
                        f"({', '.join(FORMATS)})") from None


def read_text(path: Path, allow_empty: bool = False) -> str:
    """The whole file decoded as UTF-8 (BOM dropped).

    Raises:
        DataError: the file is missing, unreadable, empty (only whitespace, unless
            ``allow_empty``), or not UTF-8
            (names the line and byte offset of the first bad byte).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"data file not found: {path}") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        raise DataError(f"{path}: line {line} (byte offset {offset}): byte "
                        f"0x{raw[offset]:02x} is not valid UTF-8; save the file as UTF-8") from None
    if not allow_empty and not text.strip():
        raise DataError(f"{path}: the file is empty")
    return text


def read_records(path: Path, fmt: str | None = None,
                 columns: list[str] | None = None) -> Records:
    """Read a CSV, TSV or JSONL/JSON file into :class:`Records`.

    Args:
        path: the file.
        fmt: ``csv``, ``tsv``, ``jsonl`` or ``json``; inferred from the extension if None.
        columns: for CSV/TSV files without a header row, the column names; the first
            row is then data.

    Raises:
        DataError: see :func:`read_text`; a row with the wrong number of fields; bad CSV
            quoting; invalid JSON or a JSON row that is not an object; no data rows.
    """
    fmt = infer_format(path, fmt)
    text = read_text(path)
    if fmt in ("csv", "tsv"):
        records = _read_delimited(path, text, fmt, columns)
    else:
        records = _read_json(path, text, fmt)
    if not records.rows:
        raise DataError(f"{path}: no data rows (only a header: "
                        f"{', '.join(map(repr, records.columns))})")
    return records


def _read_delimited(path: Path, text: str, fmt: str, columns: list[str] | None) -> Records:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True,
                        delimiter="\t" if fmt == "tsv" else ",")
    records = Records(path, list(columns) if columns else [])
    header = columns is None
    last_line = 0
    try:
        for fields in reader:
            line, last_line = last_line + 1, reader.line_num
            if not fields:  # blank line
                continue
            if header:
                records.columns = [f.strip() for f in fields]
                header = False
                continue
            row_no = len(records.rows) + 1
            if len(fields) != len(records.columns):
                raise DataError(
                    f"{where((str(path), row_no, line))}: {len(fields)} fields, expected "
                    f"{len(records.columns)} ({', '.join(map(repr, records.columns))}); "
                    f"{_field_count_hint(fmt, len(fields) > len(records.columns))}")
            records.rows.append(dict(zip(records.columns, fields)))
            records.origins.append((str(path), row_no, line))
    except csv.Error as exc:
        hint = (f" (a field opened with a quote after line {last_line} is never closed)"
                if "unexpected end of data" in str(exc) else "")
        raise DataError(f"{path}: line {reader.line_num}: malformed {fmt.upper()}: {exc}"
                        f"{hint}") from None
    return records


def _field_count_hint(fmt: str, too_many: bool) -> str:
    """Why a CSV/TSV row has the wrong number of fields, most likely."""
    sep = "tab" if fmt == "tsv" else "comma"
    if too_many:
        return (f"a field holds a {sep}: put that field in double quotes (\"...\", a quote "
                f"inside doubled), as csv and pandas.to_csv write it")
    return (f"a {sep} is missing (an empty field still needs its {sep}), or a quoted field "
            f"holds the rest of the row")


def _read_json(path: Path, text: str, fmt: str) -> Records:
    if fmt == "json" and text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
        entries = [(i + 1, 0, item) for i, item in enumerate(items)]
    else:
        entries = []
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where((str(path), len(entries) + 1, line))}: invalid JSON "
                                f"(column {exc.colno}): {exc.msg}") from None
            entries.append((len(entries) + 1, line, item))
    records = Records(path, [])
    for row_no, line, item in entries:
        if not isinstance(item, dict):
            raise DataError(f"{where((str(path), row_no, line))}: expected a JSON object "
                            f"{{\"text\": ..., \"label\": ...}}, got {type(item).__name__}")
        if not records.columns:
            records.columns = list(item)
        records.rows.append(item)
        records.origins.append((str(path), row_no, line))
    return records


def _as_label(value: Any, origin: Origin) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        raise DataError(f"{where(origin)}: label {json.dumps(value)} must be a string or a number")
    return str(value)


def read_labelled(path: Path, fmt: str | None = None, text_column: str = "text",
                  label_column: str = "label") -> Labelled:
    """Texts and raw label strings from a tabular file or a folder-per-class tree.

    Raises:
        DataError: any reading error (see :func:`read_records`), a missing column, a
            text that is not a string or is empty (blank), a folder with no class
            subfolders or no ``.txt`` files.
    """
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if infer_format(path, fmt) == "folder":
        return _read_folder(path)
    records = read_records(path, fmt)
    texts = records.column(text_column, "text column")
    labels = records.column(label_column, "label column")
    for text, origin in zip(texts, records.origins):
        if not isinstance(text, str):
            raise DataError(f"{where(origin)}: text {json.dumps(text)} is not a string")
        if not text.strip():
            raise DataError(f"{where(origin)}: the text is empty; remove the row or fill it in")
    return Labelled(texts, [_as_label(v, o) for v, o in zip(labels, records.origins)],
                    records.origins)


def read_text_column(path: Path, fmt: str | None = None, text_column: str = "text",
                     what: str = "data file") -> list[str]:
    """The texts of one column of a tabular file, every row in order (other columns,
    labels included, unread).

    Raises:
        DataError: no such file (``what`` names it: "corpus file", "input file"); see
            :func:`read_records`; a missing column; a text that is not a string.
    """
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    records = read_records(path, fmt)
    texts = records.column(text_column, "text column")
    for text, origin in zip(texts, records.origins):
        if not isinstance(text, str):
            raise DataError(f"{where(origin)}: text {json.dumps(text)[:80]} is not a string")
    return texts


def read_corpus(path: Path, fmt: str | None = None, text_column: str = "text") -> list[str]:
    """The texts of a tabular file (:func:`read_text_column`) for ``task: masked_lm``.
    Blank texts are skipped: a corpus has no row to keep aligned."""
    return [t for t in read_text_column(path, fmt, text_column, "corpus file") if t.strip()]


def _read_folder(path: Path) -> Labelled:
    classes = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(f"{path}: a data folder needs one subfolder per class "
                        "(e.g. pos/ and neg/) holding .txt files; found no subfolders")
    out = Labelled([], [], [])
    for folder in classes:
        for file in sorted(folder.rglob("*.txt")):
            if file.is_file():
                out.texts.append(read_text(file))  # an empty file is an error naming it
                out.labels.append(folder.name)
                out.origins.append((str(folder) + "/", 0, 0))
    if not out.texts:
        raise DataError(f"{path}: no .txt files in the class subfolders "
                        f"({', '.join(d.name for d in classes)})")
    return out


def read_series_column(path: Path, column: str, fmt: str | None = None) -> np.ndarray:
    """A numeric column of a CSV/TSV/JSONL file as a ``float64`` array of shape ``(rows,)``.

    Raises:
        DataError: reading errors, a missing column, or a value that is not a finite
            number (names the row).
    """
    if not path.exists():
        raise DataError(f"series file not found: {path}")
    records = read_records(path, fmt)
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
