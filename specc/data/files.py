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

import csv
import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specc.data.base import TextDataset
from specc.data.labels import Origin, class_names_of, encode_classes, encode_floats, shown, where
from specc.errors import DataError, one_line

FORMATS = ("csv", "tsv", "jsonl", "json", "folder")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json"}
MAX_DATA_BYTES = 4 * 2**30
"""Largest data file read, in bytes (4 GiB), unless ``SPECC_MAX_DATA_BYTES`` says
otherwise: a file is held in memory whole (bytes, text and rows, several times its size)."""
MAX_DATA_BYTES_ENV = "SPECC_MAX_DATA_BYTES"
MAX_FIELD_CHARS = 2**24
"""Longest CSV/TSV field, JSON Lines line or JSON array element, in characters (16 Mi)."""
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line and its ending, as csv wants
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"))


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
            raise DataError(f"{_name(self.path)}: no {role} {shown(name)}; columns found: "
                            f"{_shown_columns(self.columns)}")
        values = []
        for row, origin in zip(self.rows, self.origins):
            if name not in row:
                raise DataError(f"{where(origin)}: no key {shown(name)}; keys found: "
                                f"{_shown_columns(list(row))}")
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
        DataError: unknown format or extension, a folder format given for a file, or a
            path that cannot be looked at.
    """
    info = _stat(path)
    if info is not None and stat.S_ISDIR(info.st_mode):
        if fmt not in (None, "folder"):
            raise DataError(f"{_name(path)} is a folder, but format {fmt!r} was given; "
                            "a folder is read as one subfolder per class (format: folder)")
        return "folder"
    if fmt is not None:
        if fmt not in FORMATS:
            raise DataError(f"{_name(path)}: unknown format {shown(str(fmt))}; use one of "
                            f"{', '.join(FORMATS)}")
        if fmt == "folder":
            raise DataError(f"{_name(path)}: format 'folder' needs a folder, but this is a file")
        return fmt
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise DataError(f"{_name(path)}: cannot tell the format from the extension "
                        f"{shown(path.suffix)}; "
                        f"name it .csv/.tsv/.jsonl/.json or set format "
                        f"({', '.join(FORMATS)})") from None


def max_data_bytes() -> int:
    """The largest data file read, in bytes: ``SPECC_MAX_DATA_BYTES`` when it is set, else
    :data:`MAX_DATA_BYTES` (4 GiB).

    Raises:
        DataError: the variable is set but is not a positive whole number.
    """
    value = os.environ.get(MAX_DATA_BYTES_ENV, "").strip()
    if not value:
        return MAX_DATA_BYTES
    if not (value.isascii() and value.isdigit() and len(value) <= 20 and int(value) > 0):
        raise DataError(f"{MAX_DATA_BYTES_ENV}={shown(value)} must be a positive whole number "
                        "of bytes (the largest data file specc reads)")
    return int(value)


def _name(path: Path) -> str:
    """The path for a message, on one line (control characters escaped)."""
    return one_line(str(path))


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _kind(mode: int) -> str:
    """What a non-regular file is, in words ("a character device")."""
    return next((text for test, text in _KINDS if test(mode)), "not a regular file")


def _too_large(path: Path, what: str, size: int, limit: int) -> str:
    return (f"{_name(path)}: the {what} is {size:,} bytes, over the limit of {limit:,} bytes; "
            f"set {MAX_DATA_BYTES_ENV} to a larger number of bytes if it is meant to be read")


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
        raise DataError(f"cannot read {_name(path)}: {_reason(exc)}") from None


def _read_fd(fd: int, size: int, limit: int) -> bytes | None:
    """Up to ``limit`` bytes from ``fd`` (``size``: the expected length, for one read);
    None when there are more."""
    parts, total = [], 0
    while chunk := os.read(fd, min(max(size - total, 1 << 16), limit - total) + 1):
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)  # a single part is returned as is, not copied


def open_regular(path: Path, what: str = "data file", limit: int | None = None
                 ) -> tuple[int, os.stat_result]:
    """Open the regular file ``path`` for reading: ``(descriptor, its stat)``; the caller
    closes the descriptor.

    The file is opened without blocking and checked on the open descriptor, so a named pipe
    or a device (``/dev/zero``, a link to it) is refused before a byte is read, and a file
    swapped after a check is not read either. A link to a regular file is followed.

    Raises:
        DataError: missing (``what`` not found), unreadable, not a regular file, or larger
            than ``limit`` bytes (default :func:`max_data_bytes`; names the file, its size
            and the limit).
    """
    limit = max_data_bytes() if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DataError(f"{what} not found: {_name(path)}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {_name(path)}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{_name(path)}: the {what} is {_kind(info.st_mode)}, not a regular "
                            "file; refused (give a file)")
        if info.st_size > limit:
            raise DataError(_too_large(path, what, info.st_size, limit))
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_bytes(path: Path, limit: int | None = None, what: str = "data file") -> bytes:
    """The contents of the regular file ``path`` (see :func:`open_regular`), at most
    ``limit`` bytes (default :func:`max_data_bytes`), also when it grows while read.

    Raises:
        DataError: see :func:`open_regular`; a read error.
    """
    limit = max_data_bytes() if limit is None else limit
    fd, info = open_regular(path, what, limit)
    try:
        data = _read_fd(fd, info.st_size, limit)
    except OSError as exc:
        raise DataError(f"cannot read {_name(path)}: {_reason(exc)}") from None
    finally:
        os.close(fd)
    if data is None:
        raise DataError(f"{_name(path)}: the {what} grew past the limit of {limit:,} bytes "
                        f"while it was read; set {MAX_DATA_BYTES_ENV} to a larger number of "
                        "bytes if it is meant to be read")
    return data


def decode_text(path: Path, raw: bytes, allow_empty: bool = False) -> str:
    """``raw`` (the bytes of ``path``) decoded as UTF-8, a leading byte-order mark dropped.

    Raises:
        DataError: bytes that are not UTF-8 (names the line and byte offset of the first,
            and says so when the file is UTF-16 or UTF-32), a NUL character (names its
            line: a binary file, or UTF-16 without a byte-order mark), or an empty file
            (only whitespace, unless ``allow_empty``).
    """
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = str(memoryview(raw)[bom:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        hint = ("the file is UTF-16 or UTF-32 (it starts with that byte-order mark); "
                if raw.startswith(_UTF16_32_BOMS) else "")
        raise DataError(f"{_name(path)}: line {line} (byte offset {offset}): byte "
                        f"0x{raw[offset]:02x} is not valid UTF-8; {hint}save the file as UTF-8"
                        ) from None
    nul = text.find("\0")
    if nul >= 0:
        raise DataError(f"{_name(path)}: line {text.count(chr(10), 0, nul) + 1}: a NUL byte "
                        "(0x00), which text files do not hold; is it UTF-16 (save it as UTF-8) "
                        "or not a text file?")
    if not allow_empty and (not text or text.isspace()):
        raise DataError(f"{_name(path)}: the file is empty")
    return text


def read_text(path: Path, allow_empty: bool = False, what: str = "data file",
              limit: int | None = None) -> str:
    """The whole regular file decoded as UTF-8 (BOM dropped): :func:`read_bytes` then
    :func:`decode_text`.

    Raises:
        DataError: see :func:`read_bytes` and :func:`decode_text`.
    """
    return decode_text(path, read_bytes(path, limit, what), allow_empty)


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
        raise DataError(f"{_name(path)}: not enough memory to read the {what}; use a smaller "
                        "file") from None
    if not records.rows:
        raise DataError(f"{_name(path)}: no data rows (only a header: "
                        f"{_shown_columns(records.columns)})")
    return records


def _shown_columns(columns: list[str], most: int = 20) -> str:
    text = ", ".join(shown(c) for c in columns[:most])
    return (text + (", ..." if len(columns) > most else "")) or "none"


def _read_delimited(path: Path, text: str, fmt: str, columns: list[str] | None) -> Records:
    csv.field_size_limit(MAX_FIELD_CHARS)
    lines = (m.group() for m in _LINE.finditer(text))  # as open(newline="") would split
    reader = csv.reader(lines, strict=True, delimiter="\t" if fmt == "tsv" else ",")
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
                _check_header(path, records.columns, line)
                header = False
                continue
            row_no = len(records.rows) + 1
            if len(fields) != len(records.columns):
                raise DataError(
                    f"{where((str(path), row_no, line))}: {len(fields)} fields, expected "
                    f"{len(records.columns)} ({_shown_columns(records.columns)}); "
                    f"{_field_count_hint(fmt, len(fields) > len(records.columns))}")
            records.rows.append(dict(zip(records.columns, fields)))
            records.origins.append((str(path), row_no, line))
    except csv.Error as exc:
        unclosed = f"a field opened with a quote after line {last_line} is never closed"
        if "field larger than field limit" in str(exc):
            raise DataError(f"{_name(path)}: line {reader.line_num}: a field is longer than "
                            f"{MAX_FIELD_CHARS:,} characters, the limit for one field (or "
                            f"{unclosed})") from None
        hint = f" ({unclosed})" if "unexpected end of data" in str(exc) else ""
        raise DataError(f"{_name(path)}: line {reader.line_num}: malformed {fmt.upper()}: {exc}"
                        f"{hint}") from None
    return records


def _check_header(path: Path, columns: list[str], line: int) -> None:
    """Raise DataError when a header names a column twice (a row would keep only the last)."""
    first: dict[str, int] = {}
    for number, name in enumerate(columns, start=1):
        if name in first:
            raise DataError(f"{_name(path)}: line {line}: the header names column {shown(name)} "
                            f"twice (columns {first[name]} and {number}); rename or remove one")
        first[name] = number


def _field_count_hint(fmt: str, too_many: bool) -> str:
    """Why a CSV/TSV row has the wrong number of fields, most likely."""
    sep = "tab" if fmt == "tsv" else "comma"
    if too_many:
        return (f"a field holds a {sep}: put that field in double quotes (\"...\", a quote "
                f"inside doubled), as csv and pandas.to_csv write it")
    return (f"a {sep} is missing (an empty field still needs its {sep}), or a quoted field "
            f"holds the rest of the row")


class _Refused(ValueError):
    """Valid JSON that specc does not read (raised from the decoder's hooks)."""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Refused(f"key {shown(key)} occurs twice in one object (which one counts "
                       "is not defined); remove one")
    return obj


def _json_constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON; write a number or a string")


_DECODER = json.JSONDecoder(object_pairs_hook=_json_object, parse_constant=_json_constant)


def _decode_json(text: str, pos: int, origin: Origin, whole: bool) -> tuple[Any, int]:
    """The JSON value starting at ``text[pos]`` and where it ends; ``whole``: ``text`` is one
    JSON Lines line and must hold exactly one value (whitespace around it allowed).

    Raises:
        DataError: invalid or refused JSON, or nesting too deep; names ``origin``.
    """
    try:
        if whole:
            return _DECODER.decode(text), len(text)
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        at = f"column {exc.colno}" if whole else f"line {exc.lineno} column {exc.colno}"
        raise DataError(f"{where(origin)}: invalid JSON ({at}): {exc.msg}") from None
    except _Refused as exc:
        raise DataError(f"{where(origin)}: {exc}") from None
    except RecursionError:
        raise DataError(f"{where(origin)}: JSON nested too deeply (arrays or objects inside "
                        "each other, hundreds of levels); refused") from None
    except ValueError as exc:  # an integer of more digits than int() converts
        if "integer string conversion" not in str(exc):
            raise DataError(f"{where(origin)}: invalid JSON: {one_line(str(exc))}") from None
        raise DataError(f"{where(origin)}: a JSON integer of more than "
                        f"{sys.get_int_max_str_digits():,} digits, more than Python reads; "
                        "write it as a string") from None


def _numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for each line of ``text``, split at ``\\n`` only (as JSON Lines
    is; ``str.splitlines`` would also split inside a string holding U+2028), lazily."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield number, text[start:end]
        start, number = end + 1, number + 1


def _jsonl_entries(path: Path, text: str) -> Iterator[tuple[Origin, Any]]:
    """``(origin, value)`` of each non-blank line of a JSON Lines text."""
    row = 0
    for line, raw in _numbered_lines(text):
        if not raw or raw.isspace():
            continue
        row += 1
        origin = (str(path), row, line)
        if len(raw) > MAX_FIELD_CHARS:
            raise DataError(f"{where(origin)}: the line is {len(raw):,} characters long, over "
                            f"the limit of {MAX_FIELD_CHARS:,} for one row")
        item = _decode_json(raw, 0, origin, whole=True)[0]
        if "\\u" in raw:  # a NUL or a lone surrogate can only come from an escape
            _check_strings(item, origin)
        yield origin, item


def _json_array_entries(path: Path, text: str) -> Iterator[tuple[Origin, Any]]:
    """``(origin, value)`` of each element of a text holding one JSON array, decoded one
    element at a time so that every error names its row and line."""
    counted, line = 0, 1

    def line_at(pos: int) -> int:
        nonlocal counted, line
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    pos = _JSON_SPACE.match(text, _JSON_SPACE.match(text).end() + 1).end()  # past "["
    row = 0
    while not (row == 0 and text.startswith("]", pos)):
        row += 1
        origin = (str(path), row, line_at(pos))
        item, end = _decode_json(text, pos, origin, whole=False)
        if end - pos > MAX_FIELD_CHARS:
            raise DataError(f"{where(origin)}: the element is {end - pos:,} characters long, "
                            f"over the limit of {MAX_FIELD_CHARS:,} for one row")
        if text.find("\\u", pos, end) >= 0:  # a NUL or a lone surrogate is an escape
            _check_strings(item, origin)
        yield origin, item
        pos = _JSON_SPACE.match(text, end).end()
        if text.startswith("]", pos) or pos >= len(text):
            break
        if not text.startswith(",", pos):
            raise DataError(f"{where(origin)}: invalid JSON (line {line_at(pos)}): expected "
                            "',' or ']' after this element")
        pos = _JSON_SPACE.match(text, pos + 1).end()
    if pos >= len(text):
        raise DataError(f"{_name(path)}: invalid JSON (line {line_at(pos)}): the array is "
                        "never closed with ']'")
    rest = _JSON_SPACE.match(text, pos + 1).end()
    if rest != len(text):
        raise DataError(f"{_name(path)}: invalid JSON (line {line_at(rest)}): extra data after "
                        "the array's closing ']'")


def _json_kind(value: Any) -> str:
    """A JSON value's type in JSON's words ("an array", "a number")."""
    if isinstance(value, bool):
        return "true/false"
    kinds = ((dict, "an object"), (list, "an array"), (str, "a string"),
             (int | float, "a number"), (type(None), "null"))
    return next(text for kind, text in kinds if isinstance(value, kind))


def _shown_json(value: Any) -> str:
    """A JSON scalar as JSON, cut short; an array or object only by its kind."""
    if isinstance(value, dict | list):
        return f"({_json_kind(value)})"
    text = json.dumps(value)
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text):,} characters)"


def _string_problem(value: str) -> str | None:
    """What a JSON string holds that a text file cannot, or None: a NUL (``"\\u0000"``) or
    a lone UTF-16 surrogate (``"\\ud800"``, which no UTF-8 consumer, TensorFlow or a
    report, can encode)."""
    if "\0" in value:
        return (f"a NUL character (\\u0000 at character {value.index(chr(0)) + 1}), which "
                "text does not hold; remove it")
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"a lone UTF-16 surrogate (\\u{ord(value[exc.start]):04x} at character "
                f"{exc.start + 1}), which is not text; write the character itself or its "
                "full surrogate pair")
    return None


def _check_strings(item: Any, origin: Origin) -> None:
    """Raise DataError naming the row and key when a key or a string value of the JSON
    object ``item`` has a :func:`_string_problem` (anything else: nothing to check)."""
    for key, value in item.items() if isinstance(item, dict) else ():
        for text, what in ((key, "key"), (value, "the value of")):
            if isinstance(text, str) and (problem := _string_problem(text)):
                raise DataError(f"{where(origin)}: {what} {shown(key)} holds {problem}")


def _read_json(path: Path, text: str, fmt: str) -> Records:
    array = fmt == "json" and text.startswith("[", _JSON_SPACE.match(text).end())
    entries = _json_array_entries(path, text) if array else _jsonl_entries(path, text)
    records = Records(path, [])
    for origin, item in entries:
        if not isinstance(item, dict):
            raise DataError(f"{where(origin)}: expected a JSON object {{\"text\": ..., "
                            f"\"label\": ...}}, got {_json_kind(item)}")
        if not records.columns:
            records.columns = list(item)
        records.rows.append(item)
        records.origins.append(origin)
    return records


def _as_label(value: Any, origin: Origin) -> str:
    """A label value (a CSV string or a JSON scalar) as a string.

    Raises:
        DataError: true/false, null, an array or object, or a JSON number beyond float range.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where(origin)}: label {_shown_json(value)} must be a string or a "
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
            raise DataError(f"{where(origin)}: text {_shown_json(text)} is not a string")
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
        raise DataError(f"data file not found: {_name(path)}")
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
        raise DataError(f"{what} not found: {_name(path)}")
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
            raise DataError(f"{_name(path)}: a data folder needs one subfolder per class "
                            "(e.g. pos/ and neg/) holding .txt files; found no subfolders")
        out = Labelled([], [], [])
        for folder in classes:
            for file in sorted(folder.rglob("*.txt")):
                if file.is_dir():
                    continue  # a device, a pipe or a broken link is refused by the read
                raw = read_bytes(file, limit)
                total += len(raw)
                if total > limit:
                    raise DataError(f"{_name(path)}: the .txt files of this folder hold more "
                                    f"than {limit:,} bytes together, the limit for a data "
                                    f"file; set {MAX_DATA_BYTES_ENV} to a larger number of "
                                    "bytes if they are meant to be read")
                out.texts.append(decode_text(file, raw))  # an empty file: an error naming it
                out.labels.append(folder.name)
                out.origins.append((str(folder) + "/", 0, 0))
    except OSError as exc:
        raise DataError(f"cannot read the data folder {_name(path)}: {_reason(exc)}") from None
    except MemoryError:
        raise DataError(f"{_name(path)}: not enough memory to read the data folder") from None
    if not out.texts:
        raise DataError(f"{_name(path)}: no .txt files in the class subfolders "
                        f"({', '.join(shown(d.name) for d in classes[:20])})")
    return out


def read_series_column(path: Path, column: str, fmt: str | None = None) -> np.ndarray:
    """A numeric column of a CSV/TSV/JSONL file as a ``float64`` array of shape ``(rows,)``.

    Raises:
        DataError: reading errors, a missing column, or a value that is not a finite
            number (names the row).
    """
    if _stat(path) is None:
        raise DataError(f"series file not found: {_name(path)}")
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
