"""``specc validate``: schema errors, then semantic checks, all reported at once.

Stage 1 is JSON Schema (Draft-07) validation with
``jsonschema.Draft7Validator.iter_errors``; stage 2 runs the checks no schema can
express (shape flow through the layer stack, data/task consistency). Stage 2 for
a section runs only when stage 1 found nothing wrong in the sections it reads,
so it never trips over a wrongly typed value. No Keras or TensorFlow import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft7Validator, validators

from specc.errors import SpecError, SpecIssue
from specc.loader.defaults import fill_defaults
from specc.loader.messages import explain
from specc.loader.yaml_source import SpecSource, read_spec
from specc.schema import load_schema


@dataclass
class Spec:
    """A valid spec.

    Attributes:
        path: the spec file (relative data paths resolve against its folder).
        raw: the spec as written (a dict).
        resolved: the spec with schema defaults filled in (written as ``spec.yaml``).
        text: the file's text, as written.
    """

    path: Path
    raw: dict
    resolved: dict
    text: str = ""

    @property
    def name(self) -> str:
        """The spec's ``name``."""
        return self.resolved["name"]

    @property
    def task(self) -> str:
        """``binary``, ``multiclass`` or ``regression``."""
        return self.resolved["task"]

    @property
    def kind(self) -> str:
        """``keras``, ``bert`` or ``estimator`` (:func:`specc.compiler.kinds.model_kind`)."""
        from specc.compiler.kinds import model_kind
        return model_kind(self.resolved["model"])

    @property
    def base_dir(self) -> Path:
        """The folder relative data paths are resolved against."""
        return self.path.parent


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


def load_spec(path: str | Path) -> Spec:
    """Read, validate and resolve a spec file.

    Raises:
        UsageError: the file cannot be read.
        SpecError: with every problem found (YAML, schema, semantic), sorted by position.
    """
    from specc.loader.semantic import semantic_issues
    source = read_spec(path)
    issues = source.issues + schema_issues(source)
    resolved = fill_defaults(load_schema(), source.data) if isinstance(source.data, dict) else None
    if resolved is not None:
        bad = {i.path.split(".")[1].split("[")[0] for i in issues if i.path != "$"}
        if any(i.path == "$" for i in issues):
            bad.add("*")
        issues += semantic_issues(source, resolved, bad)
    if issues:
        raise SpecError(_dedupe(issues))
    from specc.loader.resolve import resolve_kind
    return Spec(Path(path), source.data, resolve_kind(resolved, source.data), source.text)


def _dedupe(issues: list[SpecIssue]) -> list[SpecIssue]:
    seen, out = set(), []
    for i in issues:
        if (i.line, i.column, i.path, i.message) not in seen:
            seen.add((i.line, i.column, i.path, i.message))
            out.append(i)
    return out
