"""Every file of a run folder, read through one validated reader.

A run folder may come from someone else, so each of its files is read the same way:

1. The file must be a regular file in the folder (not a link, device, FIFO or folder) of
   at most a size limit (:func:`specc.core.files.check_regular_file`); it is opened with
   ``O_NOFOLLOW`` and read up to that limit, so a planted link to ``/dev/zero`` or to a
   file outside the folder is never followed.
2. Text must be UTF-8. JSON files are parsed (nesting too deep for Python's parser is
   refused) and checked against a Draft-07 JSON Schema of that file (:func:`schemas`,
   version :data:`SCHEMA_VERSION`; each schema's ``$id`` names file and version). Integers
   are JSON integers (``20.0`` is not a count). ``history.csv`` is parsed by :mod:`csv`;
   ``.npz`` archives are opened with ``allow_pickle=False`` after every array's header was
   checked against the archive's declared sizes (no allocation a small file can inflate).
3. Facts the schemas cannot express are checked in code afterwards: the confusion matrix
   is ``k x k`` for the ``k`` class names, the prediction arrays have one length ``n``, the
   representation rows index ``[0, n)``, a checkpoint names a weights file in its own folder.

Any defect is one :class:`~specc.errors.UsageError` line ``<file>: <field>: <what is
wrong>``, the field as a JSON path (``$.confusion_matrix[1]``), an array name
(``y_pred``) or a CSV line (``line 3, column 'loss'``). Missing optional files are None
(or ``{}``); a file that is present but refused is always an error.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from specc.core.files import check_regular_file
from specc.errors import UsageError, one_line

SCHEMA_VERSION = 1
"""Version of the run-folder schemas below (part of each schema's ``$id``)."""

METRICS = "metrics.json"
HISTORY = "history.csv"
SUMMARY = "summary.txt"
SPEC_RESOLVED = "spec.yaml"
SPEC_SOURCE = "spec.source.yaml"
PREDICTIONS = "predictions.npz"
REPRESENTATIONS = "representations.npz"
EXAMPLES = "examples.json"
RUN_FILE = "run.json"
ERROR_FILE = "error.txt"
TOKENIZER = "tokenizer.json"
VOCABULARY = "vocab.txt"
LEARNING_CURVE = "learning_curve.json"
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_STATE = "state.json"

MAX_JSON_BYTES = 64 << 20
"""Largest JSON file read (``metrics.json``, ``examples.json``, ...; a few KB normally)."""

MAX_TEXT_BYTES = 16 << 20
"""Largest ``history.csv``, ``summary.txt`` or ``error.txt`` read."""

MAX_SPEC_BYTES = 1 << 20
"""Largest ``spec.yaml``/``spec.source.yaml`` read."""

MAX_VOCABULARY_BYTES = 256 << 20
"""Largest ``vocab.txt`` read."""

MAX_NPZ_BYTES = 1 << 30
"""Largest ``predictions.npz``/``representations.npz`` read."""

MAX_NPZ_UNPACKED = 4 << 30
"""Largest total of an ``.npz`` file's arrays once unpacked (a zip bomb guard)."""

MAX_WEIGHTS_BYTES = 16 << 30
"""Largest checkpoint weights file accepted."""

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""The first 8 bytes of every HDF5 file (``.weights.h5``)."""

WEIGHTS_NAME = re.compile(r"epoch-([1-9][0-9]*)\.weights\.h5")
"""The only weights file name a checkpoint's ``state.json`` may give."""

ES_BEST_NAME = re.compile(r"es-best(-[1-9][0-9]*)?\.npz")
"""The names of EarlyStopping's best-weights file a checkpoint may give
(``es-best-<epoch>.npz``; ``es-best.npz`` before the epoch was part of the name)."""


# ---------------------------------------------------------------- the schemas

def _schema(file: str, title: str, body: dict) -> dict:
    """A Draft-07 schema of one run file, with its versioned ``$id``."""
    return {"$schema": "http://json-schema.org/draft-07/schema#",
            "$id": f"urn:specc:run-folder:v{SCHEMA_VERSION}:{file}", "title": title, **body}


def _tasks(test) -> list[str]:
    from specc.compiler.tasks import TASKS
    return sorted(name for name, task in TASKS.items() if test(task))


_STR = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
_NUMBER = {"type": "number"}
_METRIC = {"type": ["number", "null"]}
_SCORES = {"type": "object", "required": ["precision", "recall", "f1-score", "support"],
           "properties": {k: _NUMBER for k in ("precision", "recall", "f1-score", "support")}}
_TRAINED_KEYS = ["spec_file", "model_kind", "data_source", "n_train", "n_validation", "n_test",
                 "params", "train_seconds", "device", "epochs_requested", "epochs_trained",
                 "best_epoch", "loss"]
_PLAIN_NAME = r"^(?!\.\.?$)[^/\\\x00]+$"


@cache
def _schemas() -> dict[str, dict]:
    classification = _tasks(lambda t: t.classification)
    regression = _tasks(lambda t: not t.classification and not t.pretraining)
    metrics = _schema(METRICS, "metrics.json of a finished specc run", {
        "type": "object",
        "required": ["spec", "task"],
        "properties": {
            "spec": _STR, "task": {"enum": _tasks(lambda t: True)},
            "spec_file": _STR, "model_kind": _STR, "data_source": _STR, "device": _STR,
            "n_train": _COUNT, "n_validation": _COUNT, "n_test": _COUNT,
            "train_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "accuracy": _NUMBER,
            **{k: _METRIC for k in ("loss", "mse", "mae", "rmse", "r2", "roc_auc",
                                    "average_precision", "val_loss", "val_accuracy")},
            "class_names": {"type": "array", "minItems": 2, "uniqueItems": True,
                            "items": _STR},
            "confusion_matrix": {"type": "array", "items": {"type": "array", "items": _COUNT}},
            "classification_report": {
                "type": "object", "required": ["macro avg", "weighted avg"],
                "properties": {"accuracy": _NUMBER}, "additionalProperties": _SCORES},
            "class_counts": {"type": "object", "required": ["train", "validation", "test"],
                             "properties": {s: {"type": "array", "items": _COUNT}
                                            for s in ("train", "validation", "test")}},
            "train_seconds": {"type": "number", "minimum": 0},
            "prepare_seconds": {"type": "number", "minimum": 0},
            **{k: {"type": ["integer", "null"], "minimum": 0}
               for k in ("epochs_requested", "epochs_trained", "best_epoch")},
            "n_iter": _COUNT,
            "params": {"type": "object", "required": ["total", "trainable", "non_trainable"],
                       "properties": {k: _COUNT for k in ("total", "trainable",
                                                          "non_trainable")}},
            "layers": {"type": ["array", "null"], "items": {
                "type": "object", "required": ["name", "type", "output_shape", "params"],
                "properties": {"name": _STR, "type": _STR, "output_shape": _STR,
                               "params": _COUNT}}},
            "curve": {"type": "array", "items": {
                "type": "object", "additionalProperties": _NUMBER}},
        },
        "dependencies": {"roc_auc": ["average_precision"]},
        "allOf": [
            {"if": {"properties": {"task": {"enum": classification}}, "required": ["task"]},
             "then": {"required": _TRAINED_KEYS + ["accuracy", "class_names",
                                                   "classification_report",
                                                   "confusion_matrix"]}},
            {"if": {"properties": {"task": {"enum": regression}}, "required": ["task"]},
             "then": {"required": _TRAINED_KEYS + ["mse", "mae", "rmse", "r2"]}},
        ],
    })
    examples = _schema(EXAMPLES, "examples.json: the most confident test mistakes", {
        "type": "array",
        "items": {"type": "object",
                  "required": ["index", "text", "true", "predicted", "confidence"],
                  "properties": {"index": _COUNT, "text": _STR, "true": _STR,
                                 "predicted": _STR, "confidence": _METRIC}},
    })
    run = _schema(RUN_FILE, "run.json: how an unfinished run was started", {
        "type": "object",
        "required": ["spec_file", "train_fraction"],
        "properties": {"spec_file": {"type": "string", "minLength": 1},
                       "overrides": {"type": "object"},
                       "train_fraction": {"type": "number", "exclusiveMinimum": 0,
                                          "maximum": 1}},
    })
    state = _schema(f"{CHECKPOINT_DIR}/{CHECKPOINT_STATE}", "the last epoch checkpoint", {
        "type": "object",
        "required": ["epoch", "weights", "history"],
        "properties": {
            "epoch": {"type": "integer", "minimum": 1},
            "weights": {"type": "string", "pattern": f"^{WEIGHTS_NAME.pattern}$"},
            "history": {"type": "object",
                        "additionalProperties": {"type": "array", "items": _NUMBER}},
            "train_seconds": {"type": "number", "minimum": 0},
            "early_stopping": {
                "type": "object", "required": ["wait", "best", "best_epoch"],
                "properties": {"wait": _COUNT, "best": _METRIC, "best_epoch": _COUNT,
                               "weights": {"type": ["string", "null"],
                                           "pattern": f"^{ES_BEST_NAME.pattern}$"}}},
            "model_checkpoint": {"type": "object", "required": ["best"],
                                 "properties": {"best": _METRIC}},
        },
    })
    tokenizer = _schema(TOKENIZER, "tokenizer.json: the run's saved text encoder", {
        "type": "object",
        "required": ["max_len", "vocabulary_size"],
        "properties": {
            "kind": {"enum": ["words", "wordpiece", "wordpiece-learnt"]},
            "max_len": {"type": "integer", "minimum": 1},
            "vocabulary_size": {"type": "integer", "minimum": 1},
            "num_words": {"type": ["integer", "null"], "minimum": 1},
            "oov_token": {"type": ["string", "null"]},
            "standardize": {"type": ["string", "null"]},
            "split": {"type": ["string", "null"]},
            "padding": {"enum": ["pre", "post"]}, "truncating": {"enum": ["pre", "post"]},
            "lowercase": {"type": "boolean"},
            "preset": {"type": ["string", "null"]},
        },
        "if": {"properties": {"kind": {"enum": ["wordpiece", "wordpiece-learnt"]}},
               "required": ["kind"]},
        "then": {"required": ["lowercase"]},
        "else": {"required": ["num_words", "oov_token", "standardize", "padding",
                              "truncating"]},
    })
    curve = _schema(LEARNING_CURVE, "learning_curve.json: a training-fraction sweep", {
        "type": "object",
        "required": ["spec", "points"],
        "properties": {
            "spec": _STR,
            "points": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["n_train", "accuracy", "run"],
                "properties": {"fraction": _NUMBER, "n_train": _COUNT, "accuracy": _NUMBER,
                               "macro_f1": _METRIC, "loss": _METRIC,
                               "run": {"type": "string", "pattern": _PLAIN_NAME}}}},
        },
    })
    return {METRICS: metrics, EXAMPLES: examples, RUN_FILE: run, CHECKPOINT_STATE: state,
            TOKENIZER: tokenizer, LEARNING_CURVE: curve}


def schemas() -> dict[str, dict]:
    """``{file name: Draft-07 schema}`` of every JSON file of a run folder (a copy)."""
    return json.loads(json.dumps(_schemas()))


@cache
def _validator(name: str, complete: bool = True):
    """A Draft-07 validator of :func:`schemas` ``[name]`` whose ``integer`` is a JSON
    integer only (``2.0`` is a number, not a count); ``complete`` False leaves out the
    schema's ``allOf`` (the keys each task requires): types only."""
    from jsonschema import Draft7Validator, validators

    def integer(checker, instance):
        return isinstance(instance, int) and not isinstance(instance, bool)
    strict = validators.extend(Draft7Validator, type_checker=Draft7Validator.TYPE_CHECKER
                               .redefine("integer", integer))
    schema = _schemas()[name]
    return strict(schema if complete else {k: v for k, v in schema.items() if k != "allOf"})


# ---------------------------------------------------------------- messages

def _fail(path: Path, where: str | None, message: str) -> UsageError:
    """The one-line error ``<path>: <where>: <message>`` (``where`` None: the file)."""
    text = f"{path}: {where}: {message}" if where else f"{path}: {message}"
    return UsageError(one_line(text if len(text) <= 500 else text[:497] + "..."))


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


_SCHEMA_TYPES = {"object": "a JSON object", "array": "a JSON array", "string": "a string",
                 "number": "a number", "integer": "an integer", "boolean": "true or false",
                 "null": "null"}


def _kind(value) -> str:
    """The JSON type of ``value`` with its article (``an array``)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value) -> str:
    """``value`` for a message: a short JSON rendering."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = _kind(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(error) -> str:
    """A jsonschema error's location as a JSON path (``$.params.total``)."""
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                         for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            path += f".{missing[0]}"
    elif error.validator == "dependencies" and isinstance(error.instance, dict):
        for key, needs in error.validator_value.items():
            if key in error.instance and isinstance(needs, list):
                missing = [k for k in needs if k not in error.instance]
                if missing:
                    return f"{path}.{missing[0]}"
    return path


def _describe(error) -> str:
    """What a jsonschema error says, in a line that never repeats a large value."""
    v, expected, value = error.validator, error.validator_value, error.instance
    if v in ("required", "dependencies"):
        return "missing"
    if v == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_SCHEMA_TYPES.get(n, n) for n in names)
        return f"not {wanted} ({_kind(value)} {_short(value)})"
    if v == "enum":
        return f"must be one of {', '.join(_short(e) for e in expected)}, not {_short(value)}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<"}[v]
        return f"must be {op} {expected}, not {_short(value)}"
    if v == "minItems":
        return f"must have at least {expected} items, not {len(value)}"
    if v == "uniqueItems":
        return "must not repeat an item"
    if v == "minLength":
        return "must not be empty"
    if v == "pattern":
        return f"{_short(value)} is not allowed here (must match {expected})"
    return error.message[:200]


def _validate(doc, name: str, path: Path, complete: bool = True) -> None:
    """Check ``doc`` against the schema of ``name`` (``complete``: see :func:`_validator`);
    the first (best) error as one line.

    Raises:
        UsageError: ``<path>: <json path>: <message>``.
    """
    from jsonschema.exceptions import best_match
    try:
        error = best_match(_validator(name, complete).iter_errors(doc))
    except RecursionError:
        raise _fail(path, "$", "nested too deeply") from None
    if error is not None:
        raise _fail(path, _where(error), _describe(error))


# ---------------------------------------------------------------- reading bytes

def present(path: Path) -> bool:
    """Whether anything (a file, a folder, a link, even a dangling one) is at ``path``."""
    return os.path.lexists(path)


@contextlib.contextmanager
def open_run_file(path: str | Path, limit: int, what: str = "run file") -> Iterator[BinaryIO]:
    """The regular file ``path`` of at most ``limit`` bytes, open for reading (binary): it
    passes :func:`check_regular_file`, is opened without following a link (or blocking on
    a FIFO swapped in since) and is checked to be a regular file of at most ``limit``
    bytes again on the open descriptor.

    Raises:
        UsageError: missing, not a regular file, too large or unreadable (naming it).
    """
    path = Path(path)
    check_regular_file(path, limit, what)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        f = os.fdopen(os.open(path, flags), "rb")
    except OSError as e:
        raise _fail(path, None, f"{what} cannot be read ({e.strerror or e})") from None
    with f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise _fail(path, None, f"{what} is not a regular file of at most {limit} "
                                    "bytes; refused")
        yield f


def read_bytes(path: str | Path, limit: int, what: str = "run file") -> bytes:
    """The content of the regular file ``path`` (at most ``limit`` bytes; see
    :func:`open_run_file`: links, devices and folders are refused).

    Raises:
        UsageError: missing, not a regular file, too large or unreadable (naming it).
    """
    with open_run_file(path, limit, what) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise _fail(Path(path), None, f"{what} cannot be read ({e.strerror or e})") from None
    if len(data) > limit:
        raise _fail(Path(path), None, f"{what} is larger than {limit} bytes; refused")
    return data


def read_text(path: str | Path, limit: int, what: str = "run file") -> str:
    """:func:`read_bytes` decoded as UTF-8.

    Raises:
        UsageError: see :func:`read_bytes`; not UTF-8 (naming the byte offset).
    """
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(Path(path), None, f"not UTF-8 text (byte {e.start})") from None


def read_json(path: str | Path, name: str | None = None, limit: int = MAX_JSON_BYTES):
    """A JSON file of a run folder, checked against the schema of ``name`` (default: the
    file's name; a key of :func:`schemas`, or ``""``: no schema).

    Raises:
        UsageError: see :func:`read_text`; not JSON; nested too deeply; a schema violation
            (``<file>: <json path>: <message>``).
    """
    path = Path(path)
    text = read_text(path, limit)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise _fail(path, None, f"not valid JSON: {e.msg} (line {e.lineno}, column "
                                f"{e.colno})") from None
    except RecursionError:
        raise _fail(path, "$", "JSON nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise _fail(path, None, f"not valid JSON ({str(e)[:200]})") from None
    name = path.name if name is None else name
    if name in _schemas():
        _validate(doc, name, path)
    return doc


def read_npz(path: str | Path, limit: int = MAX_NPZ_BYTES, unpacked: int = MAX_NPZ_UNPACKED
             ) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file: ``{name: array}``, loaded without pickles.

    Each array's ``.npy`` header is read first; its shape times its item size must fit the
    archive's declared size of that member, and all members together ``unpacked`` bytes,
    so no allocation outgrows what the file declares. The file is at most ``limit`` bytes.

    Raises:
        UsageError: see :func:`read_bytes`; not an ``.npz`` archive, a member that is not an
            array, an object array, a truncated or corrupt member (naming the file).
    """
    path = Path(path)
    fmt = np.lib.format
    headers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    arrays: dict[str, np.ndarray] = {}
    try:
        with open_run_file(path, limit) as f, zipfile.ZipFile(f) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > unpacked:
                raise _fail(path, None, f"unpacks to more than {unpacked} bytes; refused")
            for member in members:
                name = member.filename.removesuffix(".npy")
                if name == member.filename:
                    raise _fail(path, member.filename, "not an array (.npy) member")
                with archive.open(member) as f:
                    version = fmt.read_magic(f)
                    if version not in headers:
                        raise _fail(path, name, f".npy format version {version} not read")
                    shape, _, dtype = headers[version](f)
                if dtype.hasobject:
                    raise _fail(path, name, "holds Python objects; refused")
                if math.prod(shape) * dtype.itemsize > member.file_size:
                    raise _fail(path, name, f"declares shape {shape}, more data than it holds")
                with archive.open(member) as f:
                    arrays[name] = fmt.read_array(f, allow_pickle=False)
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure of a foreign file is one line
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise _fail(path, None, f"not a readable .npz file ({type(e).__name__}"
                                f"{': ' + first if first else ''})") from None
    return arrays


def _optional(path: Path, read):
    """``read(path)`` if anything is at ``path`` (a present but refused file is an error
    from ``read``), else None."""
    return read(path) if present(path) else None


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
    _validate(doc, METRICS, path, complete)
    names = doc.get("class_names")
    if names is None:
        return doc
    k = len(names)
    matrix = doc.get("confusion_matrix")
    if matrix is not None:
        if len(matrix) != k:
            raise _fail(path, "$.confusion_matrix", f"has {len(matrix)} rows; expected {k}, "
                                                    "one per class in $.class_names")
        for i, row in enumerate(matrix):
            if len(row) != k:
                raise _fail(path, f"$.confusion_matrix[{i}]", f"has {len(row)} columns; "
                                                              f"expected {k}")
    report = doc.get("classification_report") or {}
    for name in names:
        if not isinstance(report.get(name), dict):
            raise _fail(path, f"$.classification_report.{name}", "missing (a row per class "
                                                                 "in $.class_names)")
    for split, counts in (doc.get("class_counts") or {}).items():
        if isinstance(counts, list) and len(counts) != k:
            raise _fail(path, f"$.class_counts.{split}", f"has {len(counts)} counts; "
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
        text = _optional(folder / ERROR_FILE, lambda p: read_text(p, 64 << 10))
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
        raise _fail(path, f"line {reader.line_num}", f"not CSV ({e})") from None
    if not rows:
        raise _fail(path, None, "empty; expected a header line 'epoch,<metric>,...'")
    header = rows[0][1]
    if header[0] != "epoch" or not all(header[1:]) or len(set(header)) != len(header):
        raise _fail(path, "line 1", "the header must be 'epoch' then distinct metric names, "
                                    f"not {_short(','.join(header))}")
    history: dict[str, list[float]] = {k: [] for k in header[1:]}
    for epoch, (line, row) in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise _fail(path, f"line {line}", f"{len(row)} fields; the header has "
                                              f"{len(header)}")
        if row[0].strip() != str(epoch):
            raise _fail(path, f"line {line}, column 'epoch'",
                        f"expected {epoch}, not {_short(row[0])}")
        for name, value in zip(header[1:], row[1:]):
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise _fail(path, f"line {line}, column {name!r}",
                            f"not a finite number: {_short(value)}")
            history[name].append(number)
    return history


# ---------------------------------------------------------------- arrays

def _array(path: Path, arrays: dict, key: str, ndim: tuple[int, ...] | None,
           kinds: str = "iuf", finite: bool = True) -> np.ndarray:
    """``arrays[key]``, which must exist with a number of dimensions in ``ndim`` (None:
    any), a dtype kind in ``kinds`` (``i`` int, ``u`` unsigned, ``f`` float, ``U`` str)
    and, for floats with ``finite``, no NaN or infinity."""
    if key not in arrays:
        raise _fail(path, key, "missing")
    a = arrays[key]
    if ndim is not None and a.ndim not in ndim:
        wanted = " or ".join(f"{d}-D" for d in ndim)
        raise _fail(path, key, f"has shape {a.shape}; expected {wanted}")
    if a.dtype.kind not in kinds:
        names = {"i": "integers", "u": "integers", "f": "numbers", "U": "text"}
        wanted = " or ".join(dict.fromkeys(names[k] for k in kinds))
        raise _fail(path, key, f"holds {a.dtype}; expected {wanted}")
    if finite and a.dtype.kind == "f" and not np.isfinite(a).all():
        raise _fail(path, key, "holds NaN or infinite values")
    return a


def _length(path: Path, key: str, a: np.ndarray, n: int, of: str) -> None:
    if len(a) != n:
        raise _fail(path, key, f"has {len(a)} rows; {of} has {n}")


def _class_ids(path: Path, key: str, a: np.ndarray, k: int) -> None:
    if a.dtype.kind not in "iu":
        raise _fail(path, key, f"holds {a.dtype}; expected class ids (integers)")
    if len(a) and (a.min() < 0 or a.max() >= k):
        raise _fail(path, key, f"holds class id {int(a.min() if a.min() < 0 else a.max())}; "
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
    arrays = _optional(path, read_npz)
    if arrays is None:
        return None
    y_true = _array(path, arrays, "y_true", (1,))
    n = len(y_true)
    y_pred = _array(path, arrays, "y_pred", (1,))
    _length(path, "y_pred", y_pred, n, "y_true")
    scores = _array(path, arrays, "scores", (1, 2))
    _length(path, "scores", scores, n, "y_true")
    if class_names is not None:
        _class_ids(path, "y_true", y_true, len(class_names))
        _class_ids(path, "y_pred", y_pred, len(class_names))
    if "series" in arrays or "test_start" in arrays:
        series = _array(path, arrays, "series", (1,))
        start = _array(path, arrays, "test_start", (0,), kinds="iu")
        if not 0 <= int(start) <= len(series) - n:
            raise _fail(path, "test_start", f"is {int(start)}; with {n} test targets it must "
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
    arrays = _optional(path, read_npz)
    if arrays is None:
        return None
    index = _array(path, arrays, "index", (1,), kinds="iu")
    vectors = _array(path, arrays, "vectors", (2,))
    _length(path, "vectors", vectors, len(index), "index")
    if vectors.shape[1] < 1:
        raise _fail(path, "vectors", "has no columns")
    _array(path, arrays, "what", (0,), kinds="U")
    top = n if n is not None else np.iinfo(np.int64).max
    if len(index) and (index.min() < 0 or index.max() >= top):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise _fail(path, "index", f"holds row {bad}; expected 0 to {top - 1} (the rows of "
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
    examples = _optional(path, read_json)
    for i, e in enumerate(examples or []):
        if n is not None and e["index"] >= n:
            raise _fail(path, f"$[{i}].index", f"is {e['index']}; there are {n} test examples")
        for key in ("true", "predicted"):
            if class_names is not None and e[key] not in class_names:
                raise _fail(path, f"$[{i}].{key}", f"{_short(e[key])} is not a class name")
    return examples


# ---------------------------------------------------------------- text files

def read_optional_text(folder: str | Path, name: str, limit: int = MAX_TEXT_BYTES
                       ) -> str | None:
    """The UTF-8 text of the run file ``name`` (``summary.txt``, ``spec.source.yaml``),
    or None when absent.

    Raises:
        UsageError: a refused file (see :func:`read_text`).
    """
    return _optional(Path(folder) / name, lambda p: read_text(p, limit))


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
        raise _fail(path, "$", "nested too deeply") from None
    if issues:
        raise UsageError(str(issues[0]))
    if not isinstance(parsed.data, dict):
        raise _fail(path, "$", "not a spec mapping")
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
        raise _fail(path, None, f"has {lines} lines; {TOKENIZER} gives vocabulary_size "
                                f"{config['vocabulary_size']}")
    return config


def read_learning_curve(folder: str | Path) -> dict | None:
    """A sweep folder's ``learning_curve.json`` (None when absent), checked: each point's
    ``run`` is the name of a real sub-folder (no path, no link).

    Raises:
        UsageError: ``<file>: <json path>: <message>``.
    """
    path = Path(folder) / LEARNING_CURVE
    doc = _optional(path, read_json)
    for i, point in enumerate((doc or {}).get("points", [])):
        run = Path(folder) / point["run"]
        if not (present(run) and stat.S_ISDIR(os.lstat(run).st_mode)):
            raise _fail(path, f"$.points[{i}].run", f"{_short(point['run'])} is not a "
                                                    "folder in the sweep folder")
    return doc


# ---------------------------------------------------------------- resuming

def read_run_json(folder: str | Path) -> dict:
    """``run.json`` of an unfinished run: ``spec_file`` (a non-empty string), ``overrides``
    (an object; absent in runs started before ``--set`` existed), ``train_fraction`` (a
    number in ``(0, 1]``).

    Raises:
        UsageError: missing or refused (``<file>: <json path>: <message>``).
    """
    return read_json(Path(folder) / RUN_FILE)


def _checkpoint_dir(folder: Path) -> Path | None:
    """``folder/checkpoint`` if it is a real folder; None when absent.

    Raises:
        UsageError: something else (a link, a file) is there.
    """
    path = folder / CHECKPOINT_DIR
    if not present(path):
        return None
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise _fail(path, None, "not a folder (a link or a file); refused")
    return path


def read_checkpoint_state(folder: str | Path) -> dict | None:
    """The last saved ``checkpoint/state.json`` of a run folder, checked (the drop-in of
    :func:`specc.runtime.checkpoint.load_state`): ``epoch`` an integer >= 1; ``weights``
    exactly ``epoch-<epoch>.weights.h5`` (a file name, no path), an HDF5 file in
    ``folder/checkpoint``; ``history`` lists of ``epoch`` numbers; the EarlyStopping and
    ModelCheckpoint trackers typed, EarlyStopping's ``weights`` (when not None) a regular
    file ``es-best-<n>.npz`` in ``folder/checkpoint`` (read with :func:`read_es_best`).

    Returns:
        The state dict, or None when no epoch finished (no ``state.json``).

    Raises:
        UsageError: ``<file>: <field>: <message>; start the run again``.
    """
    directory = _checkpoint_dir(Path(folder))
    path = None if directory is None else directory / CHECKPOINT_STATE
    if path is None or not present(path):
        return None
    try:
        state = read_json(path, CHECKPOINT_STATE)
        epoch = state["epoch"]
        if state["weights"] != f"epoch-{epoch}.weights.h5":
            raise _fail(path, "$.weights", f"{_short(state['weights'])} is not the weights of "
                                           f"$.epoch {epoch} (epoch-{epoch}.weights.h5)")
        for name, values in state["history"].items():
            if len(values) != epoch:
                raise _fail(path, f"$.history.{name}", f"has {len(values)} values; "
                                                       f"$.epoch is {epoch}")
        weights = check_hdf5(directory / state["weights"])
        if weights.resolve().parent != directory.resolve():
            raise _fail(path, "$.weights", "names a file outside the checkpoint folder")
        best = (state.get("early_stopping") or {}).get("weights")
        if best is not None:
            check_regular_file(directory / best, MAX_WEIGHTS_BYTES, "early-stopping weights")
    except UsageError as e:
        raise UsageError(f"{e}; start the run again") from None
    return state


def check_hdf5(path: str | Path, limit: int = MAX_WEIGHTS_BYTES) -> Path:
    """``path`` if it is a regular file of at most ``limit`` bytes that starts with the
    HDF5 signature (a ``.weights.h5`` file; its content is checked when Keras loads it).

    Raises:
        UsageError: missing, refused, or not HDF5 (naming the file).
    """
    path = Path(path)
    with open_run_file(path, limit, "weights file") as f:
        try:
            head = f.read(len(HDF5_SIGNATURE))
        except OSError as e:
            raise _fail(path, None, f"cannot be read ({e.strerror or e})") from None
    if head != HDF5_SIGNATURE:
        raise _fail(path, None, "not an HDF5 weights file")
    return path


def read_es_best(folder: str | Path, name: str, like: list | None = None
                 ) -> list[np.ndarray] | None:
    """EarlyStopping's best weights ``checkpoint/<name>`` (``name`` as
    :data:`ES_BEST_NAME`; arrays ``w0`` .. ``w<m-1>`` of numbers), in order; None when
    absent. ``like``: the model's weights (``model.get_weights()``), whose number, shapes
    and dtypes the arrays must have.

    Raises:
        UsageError: ``<file>: <array>: <message>; start the run again``.
    """
    directory = _checkpoint_dir(Path(folder))
    if not ES_BEST_NAME.fullmatch(name):
        raise _fail(Path(folder) / CHECKPOINT_DIR, None, f"{_short(name)} is not an "
                    "early-stopping weights file name; start the run again")
    path = None if directory is None else directory / name
    if path is None or not present(path):
        return None
    try:
        arrays = read_npz(path, MAX_WEIGHTS_BYTES, MAX_WEIGHTS_BYTES)
        names = [f"w{i}" for i in range(len(arrays))]
        if sorted(arrays) != sorted(names):
            raise _fail(path, None, f"holds {', '.join(sorted(arrays))[:100]}; expected "
                                    "w0, w1, ...")
        weights = [_array(path, arrays, n, None, finite=False) for n in names]
        if like is not None:
            if len(weights) != len(like):
                raise _fail(path, None, f"holds {len(weights)} arrays; the model has "
                                        f"{len(like)} weights")
            for n, w, m in zip(names, weights, like):
                if w.shape != np.shape(m) or w.dtype != np.asarray(m).dtype:
                    raise _fail(path, n, f"is {w.dtype}{list(w.shape)}; the model's is "
                                         f"{np.asarray(m).dtype}{list(np.shape(m))}")
    except UsageError as e:
        raise UsageError(f"{e}; start the run again") from None
    return weights
