"""What reading a tabular data file gives: its rows (:class:`Records`), and texts with
their raw labels (:class:`Labelled`), each row with where it came from for messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specc.data.datafile import shown_path
from specc.data.labels import Origin, shown, where
from specc.errors import DataError


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
            raise DataError(f"{shown_path(self.path)}: no {role} {shown(name)}; columns found: "
                            f"{shown_columns(self.columns)}")
        values = []
        for row, origin in zip(self.rows, self.origins):
            if name not in row:
                raise DataError(f"{where(origin)}: no key {shown(name)}; keys found: "
                                f"{shown_columns(list(row))}")
            values.append(row[name])
        return values


@dataclass
class Labelled:
    """Texts with their raw (unparsed) labels as strings, and where each came from."""

    texts: list[str]
    labels: list[str]
    origins: list[Origin]


def shown_columns(columns: list[str], most: int = 20) -> str:
    """Column names for a message, quoted, the first ``most`` of them ("none": no column)."""
    text = ", ".join(shown(c) for c in columns[:most])
    return (text + (", ..." if len(columns) > most else "")) or "none"

