"""``specc validate``: schema errors, then semantic checks, all reported at once.

Stage 1 is JSON Schema (Draft-07) validation with
``jsonschema.Draft7Validator.iter_errors``; stage 2 runs the checks no schema can
express (shape flow through the layer stack, data/task consistency). Stage 2 for
a section runs only when stage 1 found nothing wrong in the sections it reads,
so it never trips over a wrongly typed value. No Keras or TensorFlow import.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft7Validator, validators

from specc.core.yaml_source import SpecSource, parse_spec, read_spec
from specc.errors import SpecError, SpecIssue, UsageError
from specc.loader.defaults import fill_defaults
from specc.loader.messages import explain
from specc.loader.spec import Spec
from specc.schema import load_schema


def _is_int(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictIntValidator = validators.extend(
    Draft7Validator, type_checker=Draft7Validator.TYPE_CHECKER.redefine("integer", _is_int))
"""Draft-07 with one difference: ``integer`` means an int, so ``1.0`` is refused where
Keras needs a count or size (Draft-07 itself counts ``1.0`` as an integer)."""


@lru_cache(maxsize=1)
def _validator() -> Draft7Validator:
    return StrictIntValidator(load_schema())


def schema_issues(source: SpecSource) -> list[SpecIssue]:
    """Every JSON Schema violation in ``source``, one issue per problem."""
    if source.data is None:
        return [SpecIssue(source.file, 1, 1, "$", "empty spec; expected a mapping with name, "
                                                  "task, data and model")]
    issues = []
    for err in _validator().iter_errors(source.data):
        for path, message, at_key in explain(err):
            issues.append(source.issue(path, message, at_key))
    return issues


def load_spec(source: str | Path | Mapping, base_dir: str | Path | None = None, *,
              file: str | None = None) -> Spec:
    """Read, validate and resolve a spec: a YAML file, or a mapping with the same content.

    Args:
        source: the spec file's path, or the spec as a mapping (``{"name": ..., ...}``).
        base_dir: for a mapping, the folder relative data and preset paths resolve against
            (default: the working folder); ignored for a file (its own folder is used).
        file: the name errors show for a mapping (default ``<dict>``).

    Returns:
        The read-only :class:`~specc.loader.spec.Spec`.

    Raises:
        UsageError: the file cannot be read; ``source`` is neither a path nor a mapping.
        SpecError: with every problem found (YAML, schema, semantic), sorted by position;
            for a mapping, positions refer to its YAML dump.
    """
    from specc.loader.semantic import semantic_issues
    if isinstance(source, Mapping):
        import yaml

        from specc.loader.spec import thaw
        name = file or "<dict>"
        try:
            text = yaml.safe_dump(thaw(source), sort_keys=False, allow_unicode=True)
        except yaml.YAMLError as e:
            raise UsageError(f"{name}: the spec mapping holds a value YAML cannot represent "
                             f"({str(e).splitlines()[0]})") from None
        parsed = parse_spec(text, name)
        path, folder = Path(name), Path(base_dir) if base_dir is not None else Path(".")
    elif isinstance(source, str | Path):
        parsed = read_spec(source)
        path, folder = Path(source), None
    else:
        raise UsageError(f"a spec is a file path or a mapping, not {type(source).__name__}")
    issues = parsed.issues + schema_issues(parsed)
    resolved = fill_defaults(load_schema(), parsed.data) if isinstance(parsed.data, dict) else None
    if resolved is not None:
        bad = {i.path.split(".")[1].split("[")[0] for i in issues if i.path != "$"}
        if any(i.path == "$" for i in issues):
            bad.add("*")
        issues += semantic_issues(parsed, resolved, bad, folder)
    if issues:
        raise SpecError(_dedupe(issues))
    from specc.loader.resolve import resolve_kind
    return Spec(path, parsed.data, resolve_kind(resolved, parsed.data), parsed.text, folder)


def _dedupe(issues: list[SpecIssue]) -> list[SpecIssue]:
    seen, out = set(), []
    for i in issues:
        if (i.line, i.column, i.path, i.message) not in seen:
            seen.add((i.line, i.column, i.path, i.message))
            out.append(i)
    return out
