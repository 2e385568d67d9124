"""``specc validate``: schema errors, then semantic checks, all reported at once.

Stage 1 is JSON Schema (Draft-07) validation with
``jsonschema.Draft7Validator.iter_errors``; stage 2 runs the checks no schema can
express (shape flow through the layer stack, data/task consistency). Stage 2 for
a section runs only when stage 1 found nothing wrong in the sections it reads,
so it never trips over a wrongly typed value. No Keras or TensorFlow import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft7Validator, validators

from specc.core.yaml_source import (SpecSource, dump_spec, flow, format_path, parse_spec,
                                    read_spec)
from specc.errors import SpecError, SpecIssue, UsageError
from specc.loader.defaults import fill_defaults
from specc.loader.messages import explain
from specc.loader.spec import Spec
from specc.schema import load_schema


def _is_int(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictIntValidator = validators.extend(
    Draft7Validator, type_checker=Draft7Validator.TYPE_CHECKER.redefine("integer", _is_int))
"""Draft-07 with one difference: ``integer`` means an int, so a float is refused where
Keras needs a count or size. :func:`schema_issues` first turns integral floats (``64.0``)
at such places into ints (:func:`coerce_integral_floats`), so the verdicts are Draft-07's
(and the editor's and check-jsonschema's), while the values Keras gets are ints."""

_MAX_COERCE_PASSES = 8
"""Validation passes :func:`coerce_integral_floats` makes at most (one normally suffices;
another runs only to confirm, or when a fix uncovered a new place)."""


@lru_cache(maxsize=1)
def _validator() -> Draft7Validator:
    return StrictIntValidator(load_schema())


def _integral_float_errors(errors):
    """The ``type`` errors (nested ``anyOf``/``oneOf`` ones included) that only refuse an
    integral float where an integer is expected."""
    for err in errors:
        expected = err.validator_value if isinstance(err.validator_value, list) \
            else [err.validator_value]
        if (err.validator == "type" and "integer" in expected
                and isinstance(err.instance, float) and err.instance.is_integer()):
            yield err
        yield from _integral_float_errors(err.context or ())


def coerce_integral_floats(data) -> int:
    """Replace, in place, each integral float (``64.0``, ``1e3``) that stands where the
    schema asks for an ``integer`` by the equal int; return how many were replaced.

    Draft-07, check-jsonschema and the editor all count ``64.0`` as an integer, so specc
    accepts it too (one verdict everywhere), but Keras needs a real int (``Input(shape=
    (64.0,))`` fails), hence the conversion. Non-integral floats (``64.5``), ``.inf`` and
    ``.nan`` are left alone and stay schema errors. Huge values (``1e300``) become huge ints:
    schema-valid, as check-jsonschema says, and left to the semantic checks that bound sizes.
    Floats elsewhere (a learning rate of ``1.0``) are not touched.
    """
    if not isinstance(data, dict | list):
        return 0
    replaced = 0
    for _ in range(_MAX_COERCE_PASSES):
        changed = 0
        for err in list(_integral_float_errors(_validator().iter_errors(data))):
            path = tuple(err.absolute_path)
            parent = data
            try:
                for part in path[:-1]:
                    parent = parent[part]
                if path and isinstance(parent[path[-1]], float):
                    parent[path[-1]] = int(parent[path[-1]])
                    changed += 1
            except (KeyError, IndexError, TypeError):
                continue
        replaced += changed
        if not changed:
            break
    return replaced


def schema_issues(source: SpecSource) -> list[SpecIssue]:
    """Every JSON Schema violation in ``source``, one issue per problem.

    Integral floats where the schema asks for an integer are accepted and replaced by ints
    in ``source.data`` first (see :func:`coerce_integral_floats`).
    """
    if source.data is None:
        return [SpecIssue(source.file, 1, 1, "$", "empty spec; expected a mapping with name, "
                                                  "task, data and model")]
    coerce_integral_floats(source.data)
    issues = []
    for err in _validator().iter_errors(source.data):
        for path, message, at_key in explain(err):
            issues.append(source.issue(path, message, at_key))
    return issues


def nonfinite_issues(source: SpecSource, reported: set[str] = frozenset()) -> list[SpecIssue]:
    """An error for every NaN or infinite number (``.nan``, ``.inf``, ``-.inf``) in
    ``source``, wherever it stands: every number in a spec (a rate, a learning rate, a
    regularization factor, an estimator's ``C``) means a finite value, and JSON Schema's
    bounds let NaN through (it compares false with everything). Paths in ``reported``
    (already refused by the schema) are skipped."""
    issues = []
    stack: list[tuple[object, tuple]] = [(source.data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, path + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value) \
                and format_path(path) not in reported:
            issues.append(source.issue(path, f"expected a finite number, got {flow(value)}"))
    return issues


def _section(path: str) -> str:
    """The top-level key a JSON path is under (``$.train.seed`` -> ``train``); ``*`` for the
    whole spec (``$``)."""
    m = re.match(r"\$\.([^.\[]+)", path)
    return m.group(1) if m else "*"


def load_spec(source: str | Path | Mapping, base_dir: str | Path | None = None, *,
              file: str | None = None, overrides: Mapping[str, object] | None = None,
              strict: bool = False, allow_large: bool = False) -> Spec:
    """Read, validate and resolve a spec: a YAML file, or a mapping with the same content.

    Args:
        source: the spec file's path, or the spec as a mapping (``{"name": ..., ...}``).
        base_dir: for a mapping, the folder relative data and preset paths resolve against
            (default: the working folder); ignored for a file (its own folder is used).
        file: the name errors show for a mapping (default ``<dict>``).
        overrides: ``{"train.epochs": 5, "model.layers[1].LSTM.units": 128}`` applied to the
            spec as written before it is validated (``specc ... --set PATH=VALUE``); a
            problem with an overridden value is reported at ``--set PATH=VALUE``.
        strict: treat warnings (a data file, preset or named vocabulary absent on this
            machine) as errors.
        allow_large: accept a model that cannot fit in this machine's memory by specc's
            estimate (:mod:`specc.loader.memory`; ``--allow-large``); the returned spec
            keeps the flag for :meth:`Spec.replace`.

    Returns:
        The read-only :class:`~specc.loader.spec.Spec`; its ``warnings`` hold the
        warnings (empty with ``strict``).

    Raises:
        UsageError: the file cannot be read; ``source`` is neither a path nor a mapping; a
            malformed override path.
        SpecError: with every problem found (YAML, schema, semantic), sorted by position;
            for a mapping, positions refer to its YAML dump. Warnings only raise with
            ``strict``.
    """
    from specc.loader.semantic import semantic_issues
    if isinstance(source, Mapping):
        import yaml

        from specc.loader.spec import thaw
        name = file or "<dict>"
        try:
            text = dump_spec(thaw(source))  # strings such as '5e-4' quoted: read back as given
        except yaml.YAMLError as e:
            raise UsageError(f"{name}: the spec mapping holds a value YAML cannot represent "
                             f"({str(e).splitlines()[0]})") from None
        parsed = parse_spec(text, name, string_keys=True)
        path, folder = Path(name), Path(base_dir) if base_dir is not None else Path(".")
    elif isinstance(source, str | Path):
        parsed = read_spec(source)
        path, folder = Path(source), None
    else:
        raise UsageError(f"a spec is a file path or a mapping, not {type(source).__name__}")
    flags = _apply_overrides(parsed, overrides or {})
    issues = parsed.issues + schema_issues(parsed)
    issues += nonfinite_issues(parsed, {i.path for i in issues})
    resolved = fill_defaults(load_schema(), parsed.data) if isinstance(parsed.data, dict) else None
    if resolved is not None:
        bad = {_section(i.path) for i in issues}
        issues += semantic_issues(parsed, resolved, bad, folder, allow_large)
    issues = [_at_flag(i, flags) for i in _dedupe(issues)]
    if strict:
        issues = [i.as_error() for i in issues]
    if any(i.severity == "error" for i in issues):
        raise SpecError(issues)
    from specc.loader.resolve import resolve_kind
    return Spec(path, parsed.data, resolve_kind(resolved, parsed.data), parsed.text, folder,
                warnings=sorted(issues), allow_large=allow_large)


def _apply_overrides(parsed: SpecSource, overrides: Mapping[str, object]) -> dict[str, str]:
    """Set each override in ``parsed.data``; return ``{"$.train.epochs": "--set
    train.epochs=5"}`` (the JSON path of each override -> the flag that set it).

    Each value is what YAML can hold, as a spec file's (:func:`_as_yaml`).

    Raises:
        UsageError: a malformed path, or one crossing a value that is not a mapping/list; a
            value YAML cannot hold or with a key that is not a string.
    """
    from specc.loader.spec import parse_path, set_path
    flags = {}
    for key, value in overrides.items():
        flag = f"--set {key}={value if isinstance(value, str) else flow(value)}"
        value = _as_yaml(value, flag)
        if not isinstance(parsed.data, dict):
            raise UsageError(f"{flag}: {parsed.file} is not a mapping")
        try:
            set_path(parsed.data, key, value)
        except UsageError as e:
            raise UsageError(f"{flag}: {e}") from None
        flags[format_path(parse_path(key))] = flag
    return flags


def _as_yaml(value, flag: str):
    """``value`` (an override from the API, any Python value) as a spec file would hold it:
    written as YAML and read back, so it holds only mappings with string keys, lists,
    strings, numbers, booleans and null.

    Raises:
        UsageError: a value YAML cannot write, or a mapping key that is not a string.
    """
    import yaml
    if isinstance(value, str | bool | int | float | None):
        return value
    try:
        return parse_spec(dump_spec(value), flag, string_keys=True).data
    except yaml.YAMLError as e:
        raise UsageError(f"{flag}: YAML cannot hold this value "
                         f"({str(e).splitlines()[0]})") from None
    except SpecError as e:
        raise UsageError(f"{flag}: {e.issues[0].message}") from None


def _at_flag(issue: SpecIssue, flags: dict[str, str]) -> SpecIssue:
    """``issue`` reported at the ``--set`` flag whose value it is about (itself or inside),
    without a line and column; other issues keep their place in the file."""
    for path, flag in flags.items():
        if issue.path == path or issue.path.startswith((path + ".", path + "[")):
            return SpecIssue(flag, 0, 0, issue.path, issue.message, issue.severity)
    return issue


def _dedupe(issues: list[SpecIssue]) -> list[SpecIssue]:
    seen, out = set(), []
    for i in issues:
        if (i.line, i.column, i.path, i.message) not in seen:
            seen.add((i.line, i.column, i.path, i.message))
            out.append(i)
    return out
