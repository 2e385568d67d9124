"""Turn jsonschema errors into short, precise messages pointed at the right node.

jsonschema's own messages dump whole instances or schemas ("... is not valid
under any of the given schemas"). Each function here handles one JSON Schema
keyword and returns ``(path, message, at_key)`` triples; the caller adds the
file position. Unknown keys and layer names get a "did you mean".
"""

from __future__ import annotations

from jsonschema.exceptions import ValidationError

from specc.compiler.estimators import ESTIMATORS
from specc.compiler.registry import bare_name_pattern, layers
from specc.suggest import did_you_mean

TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "a string",
              "boolean": "true or false", "object": "a mapping", "array": "a list",
              "null": "null"}


def describe(value: object) -> str:
    """A short description of a YAML value for messages (``'64' (a string)``)."""
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}' (a string)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _owner(path: tuple) -> str | None:
    """The layer or estimator name whose arguments ``path`` addresses, if any."""
    if not path or not isinstance(path[-1], str):
        return None
    if path[-1] in layers() or (path[-2:-1] == ("estimator",) and path[-1] in ESTIMATORS):
        return path[-1]
    if path[-1] == "tfidf":
        return "TfidfVectorizer"
    return None


def _needs_arguments(name: str, path: tuple) -> str:
    """Message for a layer written without the arguments it needs (``- LSTM``, ``- LSTM:``)."""
    d = layers()[name]
    if path and isinstance(path[-1], int):
        fix = f"- {d.entry()}"  # an item of model.layers
    elif path and path[-1] != name:
        fix = f"{path[-1]}: {{{d.entry()}}}"  # Bidirectional's layer
    else:
        fix = d.entry()
    return f"{name} needs arguments ({', '.join(d.required)}); write `{fix}`"


def _additional(err: ValidationError, path: tuple):
    allowed = list(err.schema.get("properties", {}))
    extra = [k for k in err.instance if k not in allowed]
    for key in extra:
        hint = did_you_mean(key, allowed)
        if set(allowed) == set(layers()):
            yield path + (key,), f"unknown layer '{key}'{hint}", True
        elif set(allowed) == set(ESTIMATORS):
            yield (path + (key,), f"unknown estimator '{key}'{hint}; specc offers: "
                   f"{', '.join(ESTIMATORS)}", True)
        elif (owner := _owner(path)) is not None:
            yield path + (key,), f"{owner} has no argument '{key}'{hint}", True
        elif path[-1:] == ("optimizer",):
            yield (path + (key,), f"optimizer {err.instance.get('name')} has no argument "
                   f"'{key}'{hint}; it takes: {', '.join(a for a in allowed if a != 'name')}", True)
        else:
            yield path + (key,), f"unknown key '{key}'{hint}", True


def _enum(err: ValidationError, path: tuple):
    options = [o for o in err.validator_value if o is not None]
    shown = ", ".join(map(str, options[:10])) + (", ..." if len(options) > 10 else "")
    yield path, (f"{describe(err.instance)} is not allowed"
                 f"{did_you_mean(err.instance, map(str, options))}; one of: {shown}"), False


def _type(err: ValidationError, path: tuple):
    if err.instance is None and path and path[-1] in layers() and layers()[path[-1]].required:
        yield path, _needs_arguments(path[-1], path), False
        return
    types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    want = " or ".join(TYPE_WORDS.get(t, t) for t in types)
    yield path, f"expected {want}, got {describe(err.instance)}", False


def _required(err: ValidationError, path: tuple):
    present = err.instance if isinstance(err.instance, dict) else {}
    for key in err.validator_value:
        if key not in present:
            owner = _owner(path)
            who = f"{owner} needs argument" if owner else "missing required key"
            yield path, f"{who} '{key}'", bool(path)


def _count(err: ValidationError, path: tuple):
    keys = list(err.instance)
    if set(err.schema.get("properties", {})) == set(ESTIMATORS):
        yield path, (f"write one estimator, e.g. 'LogisticRegression: {{C: 1.0}}', not "
                     f"{len(keys)}"), False
        return
    if set(err.schema.get("properties", {})) == set(layers()):
        if not keys:
            msg = "empty layer entry; write one Keras layer, e.g. '- LSTM: {units: 32}'"
        else:
            msg = (f"a layer entry has exactly one key, the Keras layer name, but this one has "
                   f"{len(keys)}: {', '.join(map(str, keys))}; indent the arguments under the "
                   f"layer name")
        yield path, msg, False
    else:
        yield path, err.message, False


def _bound(err: ValidationError, path: tuple):
    words = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    yield path, f"must be {words[err.validator]} {err.validator_value}, got {err.instance!r}", False


def _any_of(err: ValidationError, path: tuple):
    if any(b.get("properties", {}).get("l2") for b in err.validator_value if isinstance(b, dict)):
        yield path, (f"expected l1, l2, l1_l2 or factors such as {{l2: 1.0e-4}}, got "
                     f"{describe(err.instance)}"), False
    elif err.validator_value and {"const": "auto"} in err.validator_value:
        yield path, f"expected 'auto' or a mapping of Dense arguments, got {describe(err.instance)}", False
    elif isinstance(err.instance, (list, int)) and not isinstance(err.instance, bool):
        yield path, f"expected a positive integer or a one-element list of one, got {err.instance!r}", False
    else:
        yield path, f"{describe(err.instance)} is not an allowed value here", False


def _pattern(err: ValidationError, path: tuple):
    if err.validator_value == bare_name_pattern():  # a bare layer name
        if err.instance in layers():
            yield path, _needs_arguments(err.instance, path), False
        else:
            hint = did_you_mean(err.instance, list(layers()))
            yield path, f"unknown layer '{err.instance}'{hint}", False
        return
    yield path, (f"{describe(err.instance)} may hold only letters, digits, '_', '.' and '-', "
                 f"starting with a letter or digit"), False


def _max_length(err: ValidationError, path: tuple):
    yield (path, f"{describe(err.instance)} is {len(err.instance)} characters long; at most "
                 f"{err.validator_value} allowed", False)


def _min_items(err: ValidationError, path: tuple):
    yield path, f"needs at least {err.validator_value} item(s)", False


def _const(err: ValidationError, path: tuple):
    yield path, f"expected {err.validator_value!r}, got {describe(err.instance)}", False


def _one_of(err: ValidationError, path: tuple):
    """A ``oneOf`` of ``required`` keys (a search range: ``int``, ``float`` or ``choice``):
    name the keys, and those given when more than one is."""
    keys = [b.get("required", [None])[0] for b in err.validator_value if set(b) == {"required"}]
    if len(keys) != len(err.validator_value) or not isinstance(err.instance, dict):
        yield path, err.message, False
        return
    given = [k for k in keys if k in err.instance]
    yield path, (f"give exactly one of {', '.join(keys)}"
                 + (f"; found {', '.join(given)}" if given else "")), False


HANDLERS = {
    "oneOf": _one_of, "additionalProperties": _additional, "enum": _enum, "type": _type, "required": _required,
    "minProperties": _count, "maxProperties": _count, "minimum": _bound, "maximum": _bound,
    "exclusiveMinimum": _bound, "exclusiveMaximum": _bound, "anyOf": _any_of,
    "pattern": _pattern, "minItems": _min_items, "const": _const, "maxLength": _max_length,
}


def explain(err: ValidationError):
    """Yield ``(path, message, at_key)`` for one jsonschema error."""
    path = tuple(err.absolute_path)
    handler = HANDLERS.get(err.validator)
    if handler is None:
        yield path, err.message, False
    else:
        yield from handler(err, path)
