"""Semantic checks: what a JSON Schema cannot say about a spec.

* data: exactly one source (named dataset, train/test files, or a series); dataset
  options known; the task fits the dataset; ``validation: dev`` only where a dev
  split exists; a series goes with ``task: regression`` and no tokenizer.
* model: per model kind (:mod:`specc.loader.model_rules`): the layer stack walked
  symbolically (``specc.compiler.shapes``): Embedding first on text, recurrent layers
  fed 3-D input, kernel/pool sizes that fit the sequence, a 2-D output reaching the
  head, the head against the task; backbone presets found; estimators fit the task.
* train: ``tensorboard: true`` needs the tensorboard package (found, not imported);
  ``bucketing: true`` needs a model whose results do not depend on padding; the
  ``monitor`` of ``early_stopping`` and ``checkpoint`` names a value Keras logs for this
  task (:func:`monitor_issues`).
* search (``specc tune``): :mod:`specc.loader.search_rules`.

Each check returns :class:`~specc.errors.SpecIssue` objects; none raises.
"""

from __future__ import annotations

import os
from pathlib import Path

from specc.core.yaml_source import SpecSource
from specc.data import is_series
from specc.errors import DataError, SpecIssue
from specc.loader.spec import PATH_KEYS


def semantic_issues(source: SpecSource, spec: dict, bad: set[str],
                    base_dir: Path | None = None, allow_large: bool = False) -> list[SpecIssue]:
    """All semantic issues of a resolved spec; sections named in ``bad`` had schema errors.
    ``base_dir``: where relative preset paths resolve (default: the spec file's folder);
    ``allow_large``: skip the memory check of the model (:mod:`specc.loader.memory`)."""
    if "*" in bad or "data" in bad or "task" in bad:
        return []
    folder = base_dir if base_dir is not None else Path(source.file).parent
    issues = [source.issue(*t) for t in data_issues(spec, set(source.data), folder)]
    if "train" not in bad:
        issues += [source.issue(*t) for t in train_issues(spec)]
    if not ({"model", "preprocessing", "train"} & bad) \
            and not any(i.severity == "error" for i in issues):
        from specc.loader.model_rules import model_issues
        issues += [source.issue(*t) for t in
                   model_issues(spec, source.data, is_series(spec), folder, allow_large)]
        issues += [source.issue(*t) for t in bucketing_issues(spec)]
        issues += [source.issue(*t) for t in monitor_issues(spec)]
    if "search" in spec and "search" not in bad \
            and not any(i.severity == "error" for i in issues):
        from specc.loader.search_rules import search_issues
        issues += search_issues(source, spec, folder, allow_large)
    return issues


def absent(path: tuple, message: str) -> tuple:
    """A warning issue tuple ``(path, message, at_key, "warning")``: the spec is right, but
    a resource it names (data file, preset folder, named vocabulary) is not on this
    machine. ``specc validate`` reports it and exits 0 (1 with ``--strict``)."""
    return path, message, False, "warning"


DATA_FILE_KEYS = tuple(keys[1:] for keys in PATH_KEYS if keys[0] == "data")
"""Keys of the data section that name a file or folder (relative to the spec's folder):
``train``, ``test``, ``dev``, ``series.file`` (:data:`specc.loader.spec.PATH_KEYS`)."""


def data_file_issues(data: dict, base_dir: Path):
    """Yield a warning (:func:`absent`) for each data file or folder of ``data`` that does
    not exist, and for a named dataset whose files are not in ``SPECC_DATA_DIR``; an error
    for a path no file can have (too long, a NUL character)."""
    from specc.data import registry
    for keys in DATA_FILE_KEYS:
        value = data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and "\0" in value:
            yield ("data", *keys), "not a usable file path (a NUL character)", False
        elif isinstance(value, str):
            try:
                where = (base_dir / value).expanduser()
                found = where.exists()
            except RuntimeError:  # ~user unknown here
                where, found = base_dir / value, False
            except OSError as e:  # ENAMETOOLONG
                reason = e.strerror or str(e)
                yield ("data", *keys), f"not a usable file path ({reason})", False
                continue
            if not found:
                yield absent(("data", *keys), f"{value} not found (looked for "
                                              f"{os.path.abspath(where)}; relative paths "
                                              f"start at the spec's folder)")
    if "dataset" in data:
        entry = registry.get(data["dataset"])
        problem = registry.missing_files(entry, registry.data_dir(),
                                         registry.resolve_options(entry, data.get("options")))
        if problem:
            yield absent(("data", "dataset"), problem)


def bucketing_issues(spec: dict):
    """Yield ``(path, message, at_key)`` when ``train.bucketing: true`` would change the
    results (:func:`specc.compiler.lengths.bucketing_blocker`)."""
    from specc.compiler.lengths import bucketing_blocker
    if spec["train"].get("bucketing") is True:
        reason = bucketing_blocker(spec, is_series(spec))
        if reason:
            yield (("train", "bucketing"), f"bucketing: true would make the results depend on "
                                           f"padding: {reason} (or use bucketing: auto or false)", False)


def logged_values(spec: dict) -> list[str]:
    """The values Keras logs while training this spec, which a callback may monitor: the
    loss and the task's metrics (:data:`specc.compiler.tasks.TASKS`), each also with
    ``val_`` when there is validation data (``validation: dev`` or a ``validation_split``
    above 0)."""
    from specc.compiler.tasks import get_task
    names = ["loss", *get_task(spec["task"]).metrics]
    data = spec["data"]
    if data.get("validation") == "dev" or data.get("validation_split", 0) > 0:
        names += [f"val_{n}" for n in names]
    return names


def monitor_issues(spec: dict):
    """Yield ``(path, message, at_key)`` for an ``early_stopping`` or ``checkpoint``
    ``monitor`` that Keras would not log (:func:`logged_values`): Keras refuses it only
    after the first epoch. Scikit-learn estimators and pretraining use no such callback."""
    from specc.compiler.kinds import model_kind
    from specc.compiler.tasks import get_task
    if model_kind(spec["model"]) == "estimator" or get_task(spec["task"]).pretraining:
        return
    logged = logged_values(spec)
    for key in ("early_stopping", "checkpoint"):
        section = spec["train"].get(key)
        monitor = section.get("monitor") if isinstance(section, dict) else None
        if monitor is not None and monitor not in logged:
            yield (("train", key, "monitor"), f"{monitor!r} is not logged by this run; task "
                   f"{spec['task']} logs: {', '.join(logged)}", False)


def train_issues(spec: dict):
    """Yield ``(path, message, at_key)`` for train options that need an optional package."""
    import importlib.util  # find_spec looks for a package without importing it
    train = spec.get("train", {})
    if train.get("tensorboard") and importlib.util.find_spec("tensorboard") is None:
        yield (("train", "tensorboard"), "TensorBoard logs need the tensorboard package: "
                                         "pip install tensorboard", False)
    if "mlflow" in (train.get("tracking") or {}) and importlib.util.find_spec("mlflow") is None:
        yield (("train", "tracking", "mlflow"), ("MLflow tracking needs the mlflow package: "
                                                 'pip install "specc[mlflow]"'), False)


def data_issues(spec: dict, written: set[str], base_dir: Path = Path(".")):
    """Yield ``(path, message, at_key[, severity])`` for the data section against the task,
    and warnings for data files absent on this machine (:func:`data_file_issues`).

    ``written`` holds the top-level keys the user wrote (before defaults were filled);
    ``base_dir`` is where relative data paths start.
    """
    from specc.data import describe, registry
    data, task = spec["data"], spec["task"]
    sources = [k for k in ("dataset", "train", "series") if k in data]
    if len(sources) != 1:
        yield ("data",), ("give exactly one data source: dataset (a named dataset), "
                          "train + test (files), or series (a numeric column)"
                          + (f"; found {', '.join(sources)}" if sources else "")), False
        return
    if "train" in data and "test" not in data and task != "masked_lm":
        yield ("data",), "train given without test: the test split must be its own file", False
    if "test" in data and "train" not in data:
        yield ("data", "test"), "test given without train", True
    if "dataset" in data:
        entry = registry.get(data["dataset"])
        try:
            registry.resolve_options(entry, data.get("options"))
        except DataError as e:
            yield ("data", "options"), str(e), False
            return
        tasks = describe(data)["tasks"]
        if task not in tasks:
            yield ("task",), (f"dataset {entry.name} is for task {' or '.join(tasks)}, "
                              f"not {task}"), False
        if data["validation"] == "dev" and not entry.has_dev:
            yield (("data", "validation"), f"dataset {entry.name} has no dev split; use "
                   f"validation: split", False)
    elif data["validation"] == "dev" and "dev" not in data:
        yield (("data", "validation"), "validation: dev needs a dev file (data.dev) or a "
               "dataset with a dev split; or use validation: split", False)
    yield from data_file_issues(data, base_dir)
    series = is_series(spec)
    if series and task != "regression":
        yield ("task",), f"a series predicts the next value: task must be regression, not {task}", False
    if series and "preprocessing" in written:
        yield ("preprocessing",), "preprocessing (tokenizer, sequence) applies to text data only", True
    if not series and ("window" in data or "test_split" in data):
        key = "window" if "window" in data else "test_split"
        yield ("data", key), f"{key} applies to series data only", True



