"""The search space of a spec's ``search.parameters``, and the spec of one trial.

Each parameter is a path into the spec as written (``model.layers[1].Conv1D.filters``,
:func:`specc.loader.spec.parse_path`) with a range: ``{int: [low, high], log, step}``
(``trial.suggest_int``), ``{float: [low, high], log, step}`` (``trial.suggest_float``) or
``{choice: [...]}`` (``trial.suggest_categorical``). The Optuna parameter name is the path
itself, so a study's parameters read as the spec's keys.
"""

from __future__ import annotations

from collections.abc import Mapping

from specc.loader.spec import Spec, set_path, thaw


def suggest(trial, parameters: Mapping) -> dict:
    """``{path: value}`` for one Optuna ``trial`` (an ``optuna.Trial``), one suggestion per
    entry of ``search.parameters`` (validated ranges)."""
    values = {}
    for path, rng in parameters.items():
        if "choice" in rng:
            values[path] = trial.suggest_categorical(path, list(rng["choice"]))
        elif "int" in rng:
            low, high = rng["int"]
            values[path] = trial.suggest_int(path, low, high, step=rng.get("step", 1),
                                             log=rng.get("log", False))
        else:
            low, high = rng["float"]
            values[path] = trial.suggest_float(path, low, high, step=rng.get("step"),
                                               log=rng.get("log", False))
    return values


def searched_spec(spec: Spec, values: Mapping, label: str) -> dict:
    """The spec as written, without ``search``, with ``values`` (``{path: value}``) set: a
    plain dict (data and preset paths as written, relative to ``spec.base_dir``).

    Raises:
        UsageError: a path that does not fit the spec (validation checked it already).
    """
    data = {k: thaw(v) for k, v in spec.raw.items() if k != "search"}
    for path, value in values.items():
        set_path(data, path, value)
    if label:
        data["description"] = label
    return data


def trial_spec(spec: Spec, values: Mapping, label: str = "") -> Spec:
    """The validated :class:`Spec` of one trial: ``spec`` with ``values`` set and its
    ``search`` section removed (:func:`searched_spec`), resolving paths as ``spec`` does.

    Raises:
        SpecError: this combination of values is invalid (each value alone was checked at
            validation; a pair can still clash, e.g. a kernel longer than a shorter
            ``max_len``).
    """
    from specc.loader.validate import load_spec
    return load_spec(searched_spec(spec, values, label), base_dir=spec.base_dir,
                     file=f"{spec.path} ({label or 'trial'})", allow_large=spec.allow_large)
