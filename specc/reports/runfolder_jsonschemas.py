"""The run folder's JSON Schemas, and checking a document against one in one line.

Each JSON file of a run folder has a Draft-07 schema (:func:`schemas`, version
:data:`SCHEMA_VERSION`; each schema's ``$id`` names file and version) whose integers are
JSON integers (``20.0`` is not a count). A violation is one
:class:`~specc.errors.UsageError` line ``<file>: <json path>: <what is wrong>``
(:func:`fail`), the field as a JSON path (``$.confusion_matrix[1]``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from specc.errors import UsageError, one_line
from specc.reports.runfolder_layout import (
    CHECKPOINT_DIR,
    CHECKPOINT_STATE,
    ES_BEST_NAME,
    EXAMPLES,
    LEARNING_CURVE,
    METRICS,
    RUN_FILE,
    TOKENIZER,
    WEIGHTS_NAME,
)

SCHEMA_VERSION = 1
"""Version of the run-folder schemas below (part of each schema's ``$id``)."""


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
            "evaluated_on": {"enum": ["test", "validation"]},
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
                       "allow_large": {"type": "boolean"},
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


def has_schema(name: str) -> bool:
    """Whether the run file ``name`` (``metrics.json``) has a schema in :func:`schemas`."""
    return name in _schemas()


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

def fail(path: Path, where: str | None, message: str) -> UsageError:
    """The one-line error ``<path>: <where>: <message>`` (``where`` None: the file), cut
    to 500 characters."""
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


def short(value) -> str:
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
        return f"not {wanted} ({_kind(value)} {short(value)})"
    if v == "enum":
        return f"must be one of {', '.join(short(e) for e in expected)}, not {short(value)}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<"}[v]
        return f"must be {op} {expected}, not {short(value)}"
    if v == "minItems":
        return f"must have at least {expected} items, not {len(value)}"
    if v == "uniqueItems":
        return "must not repeat an item"
    if v == "minLength":
        return "must not be empty"
    if v == "pattern":
        return f"{short(value)} is not allowed here (must match {expected})"
    return error.message[:200]


def validate(doc, name: str, path: Path, complete: bool = True) -> None:
    """Check ``doc`` against the schema of ``name`` (``complete``: see :func:`_validator`);
    the first (best) error as one line.

    Raises:
        UsageError: ``<path>: <json path>: <message>``.
    """
    from jsonschema.exceptions import best_match
    try:
        error = best_match(_validator(name, complete).iter_errors(doc))
    except RecursionError:
        raise fail(path, "$", "nested too deeply") from None
    if error is not None:
        raise fail(path, _where(error), _describe(error))

