"""CSV and TSV text to :class:`~specc.data.records.Records`, read strictly: RFC-4180
quoting by the stdlib :mod:`csv` module, one header naming each column once, the same
number of fields in every row, no field over :data:`~specc.data.datafile.MAX_FIELD_CHARS`
characters. Every error is a :class:`~specc.errors.DataError` naming the file and line."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from specc.data import datafile
from specc.data.datafile import shown_path
from specc.data.labels import shown, where
from specc.data.records import Records, shown_columns
from specc.errors import DataError

_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line and its ending, as csv wants


def read_delimited(path: Path, text: str, fmt: str, columns: list[str] | None) -> Records:
    """The rows of ``text`` (the content of ``path``), a ``csv`` or ``tsv`` (``fmt``) file
    whose first row is the header, or whose column names are ``columns`` (no header).

    Raises:
        DataError: a header naming a column twice, a row with the wrong number of fields,
            bad quoting, a field over :data:`~specc.data.datafile.MAX_FIELD_CHARS`.
    """
    limit = datafile.MAX_FIELD_CHARS  # read at each call, so that it can be lowered
    csv.field_size_limit(limit)
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
                    f"{len(records.columns)} ({shown_columns(records.columns)}); "
                    f"{_field_count_hint(fmt, len(fields) > len(records.columns))}")
            records.rows.append(dict(zip(records.columns, fields)))
            records.origins.append((str(path), row_no, line))
    except csv.Error as exc:
        unclosed = f"a field opened with a quote after line {last_line} is never closed"
        if "field larger than field limit" in str(exc):
            raise DataError(f"{shown_path(path)}: line {reader.line_num}: a field is longer "
                            f"than {limit:,} characters, the limit for one field (or "
                            f"{unclosed})") from None
        hint = f" ({unclosed})" if "unexpected end of data" in str(exc) else ""
        raise DataError(f"{shown_path(path)}: line {reader.line_num}: malformed "
                        f"{fmt.upper()}: {exc}{hint}") from None
    return records


def _check_header(path: Path, columns: list[str], line: int) -> None:
    """Raise DataError when a header names a column twice (a row would keep only the last)."""
    first: dict[str, int] = {}
    for number, name in enumerate(columns, start=1):
        if name in first:
            raise DataError(f"{shown_path(path)}: line {line}: the header names column "
                            f"{shown(name)} twice (columns {first[name]} and {number}); "
                            "rename or remove one")
        first[name] = number


def _field_count_hint(fmt: str, too_many: bool) -> str:
    """Why a CSV/TSV row has the wrong number of fields, most likely."""
    sep = "tab" if fmt == "tsv" else "comma"
    if too_many:
        return (f"a field holds a {sep}: put that field in double quotes (\"...\", a quote "
                f"inside doubled), as csv and pandas.to_csv write it")
    return (f"a {sep} is missing (an empty field still needs its {sep}), or a quoted field "
            f"holds the rest of the row")

