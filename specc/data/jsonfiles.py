"""JSON Lines and JSON array text to :class:`~specc.data.records.Records`, read strictly.

``NaN``/``Infinity``, a key twice in one object, an integer of more digits than Python
converts, nesting deeper than Python's recursion limit, a string holding a NUL or a lone
UTF-16 surrogate, a row that is not an object and a line or element over
:data:`~specc.data.datafile.MAX_FIELD_CHARS` characters are each a
:class:`~specc.errors.DataError` naming the file, row and line. A JSON array is decoded one
element at a time, so every error names its row.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specc.data import datafile
from specc.data.datafile import shown_path
from specc.data.labels import Origin, shown, where
from specc.data.records import Records
from specc.errors import DataError, one_line

_JSON_SPACE = re.compile(r"[ \t\n\r]*")


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


def _check_length(origin: Origin, what: str, length: int) -> None:
    """Raise DataError naming ``origin`` when its ``what`` ("line", "element") of
    ``length`` characters is over :data:`~specc.data.datafile.MAX_FIELD_CHARS` (read at
    each call, so that it can be lowered)."""
    limit = datafile.MAX_FIELD_CHARS
    if length > limit:
        raise DataError(f"{where(origin)}: the {what} is {length:,} characters long, over the "
                        f"limit of {limit:,} for one row")


def _jsonl_entries(path: Path, text: str) -> Iterator[tuple[Origin, Any]]:
    """``(origin, value)`` of each non-blank line of a JSON Lines text."""
    row = 0
    for line, raw in _numbered_lines(text):
        if not raw or raw.isspace():
            continue
        row += 1
        origin = (str(path), row, line)
        _check_length(origin, "line", len(raw))
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
        _check_length(origin, "element", end - pos)
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
        raise DataError(f"{shown_path(path)}: invalid JSON (line {line_at(pos)}): the array is "
                        "never closed with ']'")
    rest = _JSON_SPACE.match(text, pos + 1).end()
    if rest != len(text):
        raise DataError(f"{shown_path(path)}: invalid JSON (line {line_at(rest)}): extra data "
                        "after the array's closing ']'")


def json_kind(value: Any) -> str:
    """A JSON value's type in JSON's words ("an array", "a number")."""
    if isinstance(value, bool):
        return "true/false"
    kinds = ((dict, "an object"), (list, "an array"), (str, "a string"),
             (int | float, "a number"), (type(None), "null"))
    return next(text for kind, text in kinds if isinstance(value, kind))


def shown_json(value: Any) -> str:
    """A JSON scalar as JSON, cut short; an array or object only by its kind."""
    if isinstance(value, dict | list):
        return f"({json_kind(value)})"
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


def read_json(path: Path, text: str, fmt: str) -> Records:
    """The rows of ``text`` (the content of ``path``): one JSON object per line (``fmt``
    ``jsonl``), or for ``fmt`` ``json`` a text starting with ``[``: one array of objects.
    The columns are the keys of the first object.

    Raises:
        DataError: invalid or refused JSON (see the module docstring), a row that is not
            an object; names the row and line.
    """
    array = fmt == "json" and text.startswith("[", _JSON_SPACE.match(text).end())
    entries = _json_array_entries(path, text) if array else _jsonl_entries(path, text)
    records = Records(path, [])
    for origin, item in entries:
        if not isinstance(item, dict):
            raise DataError(f"{where(origin)}: expected a JSON object {{\"text\": ..., "
                            f"\"label\": ...}}, got {json_kind(item)}")
        if not records.columns:
            records.columns = list(item)
        records.rows.append(item)
        records.origins.append(origin)
    return records

