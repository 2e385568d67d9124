"""specc's data layer: named datasets, the user's own files, windows and splits.

Entry points: :func:`load_dataset` turns a spec's (already schema-validated) ``data``
section into a :class:`TextDataset` or :class:`SeriesDataset`; :func:`describe` gives
the facts the validator needs without reading any data. This package never imports
keras or tensorflow (and imports scikit-learn lazily), so validating a spec stays fast.

A ``data`` section is one of:

- ``{dataset: NAME, options: {...}}`` — a named dataset (see :mod:`specc.data.registry`);
- ``{train: PATH, test: PATH, [dev: PATH], [format], [text_column], [label_column]}`` —
  the user's files, paths relative to the spec's folder (see :mod:`specc.data.files`);
- ``{series: {file: PATH, column: NAME, [format]}}`` — a numeric CSV/TSV/JSONL column;

plus, for series data (files or ``sine``), ``window`` (default 10) and ``test_split``
(default 0.2).
"""

from __future__ import annotations

import os
from pathlib import Path

from specc.data import registry
from specc.data.base import CorpusDataset, SeriesDataset, TextDataset
from specc.data.files import read_corpus, read_labelled, read_series_column, text_dataset
from specc.data.labels import shown, shown_names
from specc.data.series import series_dataset, windows
from specc.data.splits import subsample, validation_split
from specc.errors import DataError

__all__ = ["load_dataset", "describe", "is_series", "TextDataset", "SeriesDataset", "CorpusDataset", "windows",
           "validation_split", "subsample", "TASKS"]

TASKS = ("binary", "multiclass", "regression", "masked_lm")
"""``masked_lm``: pretraining on unlabelled texts (a corpus, or a text dataset's train texts)."""
DEFAULT_WINDOW = 10
DEFAULT_TEST_SPLIT = 0.2


def describe(data: dict) -> dict:
    """Static facts about a data section, found without reading any data.

    Returns:
        ``{"kind": "text"|"series"|"corpus", "tasks": (...), "n_classes": int|None,
        "class_names": list|None, "has_dev": bool}``; for user files ``n_classes`` and
        ``class_names`` are None (unknown until the files are read).

    Raises:
        DataError: an unknown dataset name (with did-you-mean). Options are not checked
            here; :func:`specc.data.registry.resolve_options` does that.
    """
    if "dataset" in data:
        named = registry.get(data["dataset"])
        tasks = named.tasks + (("masked_lm",) if named.kind == "text" else ())
        return {"kind": named.kind, "tasks": tasks, "n_classes": named.n_classes,
                "class_names": list(named.class_names) if named.class_names else None,
                "has_dev": named.has_dev}
    if "series" in data:
        return {"kind": "series", "tasks": ("regression",), "n_classes": None,
                "class_names": None, "has_dev": False}
    return {"kind": "text", "tasks": TASKS, "n_classes": None, "class_names": None,
            "has_dev": "dev" in data}


def is_series(spec: dict) -> bool:
    """True when a resolved spec's data is a numeric series (windows of ``window`` steps)."""
    return describe(spec["data"])["kind"] == "series"


def load_dataset(data: dict, base_dir: Path, *, task: str | None = None
                 ) -> TextDataset | SeriesDataset | CorpusDataset:
    """Load the data a spec's ``data`` section names.

    Args:
        data: the data section (see the module docstring).
        base_dir: the spec file's folder; relative paths are resolved against it.
        task: ``binary``, ``multiclass`` or ``regression`` (the spec's task); it chooses
            how user labels are parsed (class ids vs floats). None: the named dataset's own
            task, classification for user text files, regression for series.

    Returns:
        A :class:`TextDataset` (classification: ``int64`` labels and ``class_names``;
        regression: ``float32`` labels), a :class:`SeriesDataset`, or for ``masked_lm`` a
        :class:`CorpusDataset` (a text dataset's training texts; its test split unread).

    Raises:
        DataError: anything wrong with the data: missing or corrupt files, bad rows, labels
            unseen in train, a task the data cannot serve, a single class in train, or a
            binary task whose train split does not have exactly 2 classes.
    """
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    facts = describe(data)
    if task is not None and task not in facts["tasks"]:
        what = f"dataset {data['dataset']!r}" if "dataset" in data else f"{facts['kind']} data"
        raise DataError(f"{what} supports task {' / '.join(facts['tasks'])}, not {task!r}")
    task = task or facts["tasks"][0]
    windowing = {"window": data.get("window", DEFAULT_WINDOW),
                 "test_split": data.get("test_split", DEFAULT_TEST_SPLIT)}
    if task == "masked_lm" and "train" in data:
        path = _resolve(base_dir, data["train"])
        return CorpusDataset(read_corpus(path, data.get("format"), data.get("text_column", "text")),
                             source=f"texts of {path}")
    if "dataset" in data:
        extra = windowing if facts["kind"] == "series" else None
        dataset = registry.load_named(data["dataset"], data.get("options"), extra=extra)
    elif "series" in data:
        spec = data["series"]
        path = _resolve(base_dir, spec["file"])
        values = read_series_column(path, spec["column"], spec.get("format") or data.get("format"))
        dataset = series_dataset(values, source=f"column {spec['column']!r} of {path}",
                                 **windowing)
    else:
        splits = {key: read_labelled(_resolve(base_dir, data[key]), data.get("format"),
                                     data.get("text_column", "text"),
                                     data.get("label_column", "label"))
                  for key in ("train", "dev", "test") if key in data}
        source = ", ".join(f"{k}: {_resolve(base_dir, data[k])}" for k in splits)
        dataset = text_dataset(splits, classification=task != "regression", source=source)
    if task == "masked_lm" and isinstance(dataset, TextDataset):
        return CorpusDataset(list(dataset.train_texts), f"train texts of {dataset.source}",
                             dataset.notes)
    if task not in ("regression", "masked_lm"):
        _check_classes(dataset, task)
    return dataset


def _resolve(base_dir: Path, path: str) -> Path:
    """``path`` (``~`` expanded) relative to ``base_dir``, made absolute without following
    links, so that messages name the file as the spec does (``data/train.csv``, not the
    ``/dev/zero`` a link there points to) and its extension still tells the format.

    Raises:
        DataError: ``~user`` names no known user (or there is no home folder).
    """
    try:
        full = Path(base_dir) / Path(path).expanduser()
    except RuntimeError as exc:
        raise DataError(f"data path {shown(str(path))}: cannot expand '~': {exc}") from None
    return Path(os.path.abspath(full))


def _check_classes(dataset: TextDataset, task: str) -> None:
    names = dataset.class_names or []
    present = sorted({names[i] for i in dataset.train_labels.tolist()})
    if len(present) < 2:
        raise DataError(f"the train split has a single class ({shown_names(present)}); "
                        f"a {task} task needs at least 2 (check label_column)")
    if task == "binary" and len(names) != 2:
        raise DataError(f"task 'binary' needs exactly 2 classes, but the train split has "
                        f"{len(names)}: {shown_names(names, 10)}; use task multiclass")
