"""Semantic checks of a spec's ``search:`` section (what ``specc tune`` searches).

* ``objective.metric`` is a validation value this spec's training logs (``val_loss`` or
  ``val_`` plus one of the task's metrics, :func:`specc.loader.semantic.logged_values`),
  never a training or test value, and the spec has validation data.
* each parameter path is a path into the spec as written (``model.layers[1].Conv1D.filters``,
  :func:`specc.loader.spec.parse_path`) that is not ``name``, ``task`` or ``search``;
* each range is well formed for Optuna (``low <= high``; ``log`` needs ``low > 0`` and no
  ``step``), and every value it can give is valid *for that key in this spec*: each
  ``choice``, and both ends of an ``int``/``float`` range, are set in turn into the spec
  and the changed spec validated like a file. A value that fails is reported at its own
  line (``kernel_size: {choice: [3, 5, 900]}`` -> the ``900``); a path for which every
  value fails (a misspelt key) is reported at the path.

Each check returns :class:`~specc.errors.SpecIssue` objects; none raises.
"""

from __future__ import annotations

from pathlib import Path

from specc.core.yaml_source import SpecSource, flow
from specc.errors import SpecError, SpecIssue, UsageError

FIXED = ("name", "task", "search")
"""Top-level keys a search cannot change (the run's identity, and the search itself)."""


def default_direction(metric: str) -> str:
    """Optuna's study direction for ``metric`` when ``objective.direction`` is not given:
    ``minimize`` for losses and errors (``val_loss``, ``val_mae``, ``val_mse``,
    ``val_rmse``), ``maximize`` for the others (accuracy, AUC)."""
    name = metric.removeprefix("val_")
    return "minimize" if name in ("loss", "mae", "mse", "rmse") or "loss" in name \
        else "maximize"


def candidates(rng: dict) -> list[tuple[tuple, object]]:
    """``[(where, value)]``: the values of one parameter's range to check, each with its
    position inside the range mapping: every ``choice``, or both ends of ``int``/``float``."""
    for kind in ("choice", "int", "float"):
        if kind in rng:
            values = rng[kind]
            return [((kind, i), v) for i, v in enumerate(values)] if kind == "choice" else \
                [((kind, 0), values[0]), ((kind, 1), values[1])]
    return []


def search_issues(source: SpecSource, spec: dict, base_dir: Path,
                  allow_large: bool = False) -> list[SpecIssue]:
    """Every issue of ``spec["search"]`` (see the module docstring); ``source`` is the spec
    as written (positions), ``spec`` the resolved spec, ``base_dir`` where its relative
    paths start."""
    search = spec.get("search")
    if not search:
        return []
    issues = [source.issue(*t) for t in objective_issues(spec)]
    for key, rng in search["parameters"].items():
        issues += parameter_issues(source, key, rng, base_dir, allow_large)
    return issues


def objective_issues(spec: dict):
    """Yield ``(path, message, at_key)`` when the objective is not a validation value this
    spec logs."""
    from specc.loader.semantic import logged_values
    metric = spec["search"]["objective"]["metric"]
    logged = [n for n in logged_values(spec) if n.startswith("val_")]
    if not logged:
        yield (("search", "objective", "metric"), "this spec has no validation data to score "
               "trials on (set data.validation_split above 0, or validation: dev)", False)
    elif metric not in logged:
        yield (("search", "objective", "metric"), f"{metric!r} is not a validation value this "
               f"run logs; it logs: {', '.join(logged)}", False)


def parameter_issues(source: SpecSource, key: str, rng: dict, base_dir: Path,
                     allow_large: bool) -> list[SpecIssue]:
    """The issues of one ``search.parameters`` entry: its path, its range, its values."""
    from specc.loader.spec import parse_path
    where = ("search", "parameters", key)
    try:
        steps = parse_path(key)
    except UsageError as e:
        return [source.issue(where, str(e).replace("override path", "search path"), True)]
    if steps[0] in FIXED:
        return [source.issue(where, f"a search cannot change {steps[0]}", True)]
    problem = range_problem(rng)
    if problem:
        return [source.issue(where, problem)]
    failures = []
    for at, value in candidates(rng):
        message = value_problem(source.data, key, value, base_dir, allow_large)
        if message:
            failures.append((at, value, message))
    if failures and len(failures) == len(candidates(rng)):
        return [source.issue(where, failures[0][2], True)]
    return [source.issue(where + at, f"{flow(value)} is not valid here: {message}")
            for at, value, message in failures]


def range_problem(rng: dict) -> str | None:
    """Why an ``int``/``float`` range is not one Optuna can sample, or None."""
    if "choice" in rng and ("log" in rng or "step" in rng):
        return "log and step apply to int and float ranges, not to a choice"
    for kind in ("int", "float"):
        if kind in rng:
            low, high = rng[kind]
            if low > high:
                return f"{kind}: [{flow(low)}, {flow(high)}]: low is above high"
            if rng.get("log") and low <= 0:
                return f"log: true needs a low above 0 (got {flow(low)})"
            if rng.get("log") and rng.get("step") is not None:
                return "step cannot be used with log: true (Optuna samples one or the other)"
    return None


def value_problem(data: dict, key: str, value, base_dir: Path,
                  allow_large: bool) -> str | None:
    """The first error of the spec ``data`` (as written, its ``search`` left out) with
    ``value`` set at ``key``, as ``"$.path: message"``; None when it is valid."""
    from specc.loader.spec import set_path, thaw
    from specc.loader.validate import load_spec
    changed = {k: thaw(v) for k, v in data.items() if k != "search"}
    try:
        set_path(changed, key, value)
        load_spec(changed, base_dir=base_dir, file="<search>", allow_large=allow_large)
    except UsageError as e:
        return str(e).replace("override ", "")
    except SpecError as e:
        error = next(i for i in e.issues if i.severity == "error")
        return f"{error.path}: {error.message}"
    return None
