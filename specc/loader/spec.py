"""The validated spec as a read-only typed object.

:class:`Spec` is what :func:`specc.load_spec` returns and what every later stage takes.
Its sections are read-only mappings (:class:`FrozenDict`, lists as :class:`FrozenList`):
``spec.train.epochs`` or ``spec.resolved["train"]["epochs"]`` read the same value, and
any attempt to change one raises ``TypeError``. A changed spec is a new object,
:meth:`Spec.replace`, validated like a file. The JSON Schema stays the one source of
defaults (:mod:`specc.loader.defaults`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from specc.errors import UsageError


def _refuse(self, *args, **kwargs):
    raise TypeError(f"{type(self).__name__} is read-only: use Spec.replace() for a changed spec")


class FrozenDict(dict):
    """A read-only ``dict`` (mutating methods raise ``TypeError``) whose keys also read as
    attributes (``section.batch_size``). ``copy.deepcopy`` gives a plain, mutable dict."""

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __deepcopy__(self, memo):
        return thaw(self)

    def __reduce__(self):
        return (dict, (thaw(self),))


class FrozenList(list):
    """A read-only ``list``; ``copy.deepcopy`` gives a plain, mutable list."""

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = _refuse
    clear = sort = reverse = __iadd__ = __imul__ = _refuse

    def __deepcopy__(self, memo):
        return thaw(self)

    def __reduce__(self):
        return (list, (thaw(self),))


def _represent_frozen(dumper, data):
    """PyYAML representer: a frozen spec value dumps as the plain mapping or list it is."""
    if isinstance(data, dict):
        return dumper.represent_dict(data)
    return dumper.represent_list(data)


for _dumper in (yaml.SafeDumper, yaml.Dumper):
    _dumper.add_representer(FrozenDict, _represent_frozen)
    _dumper.add_representer(FrozenList, _represent_frozen)


def freeze(value: Any) -> Any:
    """``value`` with every dict a :class:`FrozenDict` and every list a :class:`FrozenList`."""
    if isinstance(value, Mapping):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of a (frozen) spec value: dicts and lists."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return copy.deepcopy(value)


_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"model.layers[1].LSTM.units"`` -> ``["model", "layers", 1, "LSTM", "units"]``.

    Raises:
        UsageError: an empty or malformed path.
    """
    steps, pos = [], 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m or (pos == 0 and path.startswith(".")):
            raise UsageError(f"override path {path!r}: expected keys joined by '.' and list "
                             "indexes in [], e.g. model.layers[1].LSTM.units")
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not steps:
        raise UsageError("override path is empty")
    return steps


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at ``path`` (:func:`parse_path`) in the plain dict ``data``, creating
    missing mappings on the way.

    Raises:
        UsageError: the path crosses a value that is not a mapping or list, or a list
            index is out of range.
    """
    steps = parse_path(path)
    node: Any = data
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        where = path if last else ".".join(str(s) for s in steps[:i + 1])
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                raise UsageError(f"override {path}: {where} is not an existing list item")
        elif not isinstance(node, dict):
            raise UsageError(f"override {path}: {where} is inside a value that is not a mapping")
        if last:
            node[step] = value
        else:
            if isinstance(step, str) and node.get(step) is None:
                node[step] = {}
            node = node[step]


PATH_KEYS = (("data", "train"), ("data", "test"), ("data", "dev"), ("data", "series", "file"),
             ("model", "backbone", "BertBackbone", "preset"),
             ("preprocessing", "tokenizer", "preset"), ("model", "features", "backbone", "preset"))
"""Keys whose value is a file or folder relative to the spec's folder (a preset may instead
be a name, see :data:`specc.data.backbones.PRESETS`)."""


def with_absolute_paths(data: dict, base_dir: Path) -> dict:
    """``data`` (a plain spec dict) with each data file and preset folder of
    :data:`PATH_KEYS` given relative to ``base_dir`` made absolute, in place; preset names
    stay names. Returns ``data``."""
    for keys in PATH_KEYS:
        _absolute(data, keys, base_dir)
    return data


def _absolute(data: dict, keys: tuple, base_dir: Path) -> None:
    """Make the path at ``keys`` in ``data`` absolute against ``base_dir`` (in place), if
    present and not a preset name."""
    from specc.data.backbones import PRESETS
    node = data
    for key in keys[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    value = node.get(keys[-1]) if isinstance(node, dict) else None
    if isinstance(value, str) and value not in PRESETS:
        node[keys[-1]] = str((base_dir / Path(value).expanduser()).resolve())


class Spec:
    """A valid, resolved spec (read-only).

    Attributes:
        path: the spec file (``<dict>`` for a spec given as a mapping).
        base_dir: the folder relative data and preset paths resolve against (the file's
            folder, or the ``base_dir`` given with a mapping).
        raw: the spec as written, a :class:`FrozenDict`.
        resolved: the spec with the schema's defaults filled in (what ``spec.yaml`` in a run
            folder holds), a :class:`FrozenDict`.
        text: the file's text as written (a YAML dump for a mapping).
        warnings: the :class:`~specc.errors.SpecIssue` warnings validation found (a data
            file, preset or named vocabulary absent on this machine), a tuple.
        allow_large: whether it was loaded with ``allow_large`` (a model larger than this
            machine's memory accepted); :meth:`replace` keeps it.

    Sections read as attributes: ``spec.data``, ``spec.preprocessing`` (absent for tf-idf
    estimators: an empty mapping), ``spec.model``, ``spec.train``, ``spec.report``.
    """

    __slots__ = ("path", "base_dir", "raw", "resolved", "text", "warnings", "allow_large")

    def __init__(self, path: str | Path, raw: Mapping, resolved: Mapping, text: str = "",
                 base_dir: str | Path | None = None, warnings=(), allow_large: bool = False):
        for name, value in (("path", Path(path)), ("raw", freeze(raw)),
                            ("resolved", freeze(resolved)), ("text", text),
                            ("base_dir", Path(base_dir) if base_dir is not None
                             else Path(path).parent), ("warnings", tuple(warnings)),
                            ("allow_large", bool(allow_large))):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("Spec is read-only: use spec.replace({...}) for a changed spec")

    def __repr__(self) -> str:
        return f"Spec(name={self.name!r}, task={self.task!r}, kind={self.kind!r}, path='{self.path}')"

    def __eq__(self, other) -> bool:
        return isinstance(other, Spec) and self.resolved == other.resolved

    __hash__ = None

    @property
    def name(self) -> str:
        """The spec's ``name`` (run folders are named after it)."""
        return self.resolved["name"]

    @property
    def task(self) -> str:
        """``binary``, ``multiclass``, ``regression`` or ``masked_lm``."""
        return self.resolved["task"]

    @property
    def task_def(self):
        """The :class:`specc.compiler.tasks.Task` of :attr:`task`."""
        from specc.compiler.tasks import get_task
        return get_task(self.task)

    @property
    def kind(self) -> str:
        """``keras``, ``bert`` or ``estimator`` (:func:`specc.compiler.kinds.model_kind`)."""
        from specc.compiler.kinds import model_kind
        return model_kind(self.resolved["model"])

    @property
    def model_kind(self):
        """The :class:`specc.compiler.kinds.ModelKind` (``masked_lm`` for pretraining specs)."""
        from specc.compiler.kinds import kind_of
        return kind_of(self.resolved)

    @property
    def uses_keras(self) -> bool:
        """Whether training imports Keras: a Keras model, or scikit-learn on frozen backbone
        features (a tf-idf pipeline trains without TensorFlow or Keras)."""
        return self.model_kind.keras or "backbone" in self.model.get("features", {})

    def __getattr__(self, name: str):
        if name in ("data", "preprocessing", "model", "train", "report"):
            return self.resolved.get(name, FrozenDict())
        raise AttributeError(name)

    def to_dict(self, absolute_paths: bool = False) -> dict:
        """The resolved spec as a plain, mutable dict (a copy).

        With ``absolute_paths``, data files and preset folders given relative to
        :attr:`base_dir` are made absolute, so the dict runs the same from any folder (the
        ``spec.yaml`` of a run folder); preset names (``minilm-l6``) stay names.
        """
        data = thaw(self.resolved)
        return with_absolute_paths(data, self.base_dir) if absolute_paths else data

    def replace(self, overrides: Mapping[str, Any] | None = None, **sections) -> "Spec":
        """A new spec: this one as written, with ``overrides`` applied, validated again.

        Args:
            overrides: ``{"train.epochs": 5, "model.layers[1].LSTM.units": 128}`` (dotted
                paths into the spec as written; list items by ``[index]``).
            **sections: whole top-level values, e.g. ``name="imdb-lstm-2"``.

        Raises:
            SpecError: the changed spec is invalid (positions refer to the YAML of the
                changed spec, shown with the file name ``<file> (changed)``).

        The new spec keeps :attr:`path` and :attr:`text` (the file as written); its
        :attr:`resolved` holds the overrides.
            UsageError: a malformed override path.
        """
        from specc.loader.validate import load_spec
        data = thaw(self.raw)
        for path, value in (overrides or {}).items():
            set_path(data, path, value)
        data.update(thaw(sections))
        changed = load_spec(data, base_dir=self.base_dir, file=f"{self.path} (changed)",
                            allow_large=self.allow_large)
        return Spec(self.path, changed.raw, changed.resolved, self.text, self.base_dir,
                    changed.warnings, self.allow_large)
