"""Walk a spec's layer stack symbolically, as ``specc validate`` does before any Keras build.

Each layer's :class:`~specc.compiler.registry.LayerDef` rule maps the input
:class:`~specc.compiler.registry.Tensor` to its output and reports problems; the
walk stops at the first layer that cannot take its input (later shapes would be
guesses). Then the head is checked: it needs one vector per sample, because Keras
applies ``Dense`` to the last axis and a 3-D output would silently give
``(None, T, 1)``. On request the walk also records each layer's size
(:class:`LayerCost`), from which ``specc validate`` estimates the model's memory
(:mod:`specc.loader.memory`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from specc.compiler.registry import Context, ShapeError, Tensor, layers
from specc.compiler.tasks import TASKS

HEAD_RULES = {name: (t.head_units, t.head_activation) for name, t in TASKS.items()
              if not t.pretraining}
"""The head each task gets (from :data:`specc.compiler.tasks.TASKS`): binary Dense(1,
sigmoid); multiclass Dense(n_classes, softmax); regression Dense(1) (linear)."""


@dataclass(frozen=True)
class LayerCost:
    """The size of one part of a model (a layer, the head, a backbone), for a memory estimate.

    Attributes:
        path: where the part is written in the spec, e.g. ``("model", "layers", 2)``.
        params: its weights (a count of float32 values, an exact integer).
        activations: the float32 values it outputs per example (kept for the backward pass).
        sizes: ``((path, value), ...)``: the spec values that set the part's width (its
            ``units``, ``output_dim``...); the largest is blamed when the model does not fit
            in memory.
        length: ``(path, value)`` of the length of its time axis (``max_len``, a series'
            ``window``), which scales its activations only; None for a vector output.
    """

    path: tuple
    params: int
    activations: int
    sizes: tuple = ()
    length: tuple | None = None


SEQUENCE_KEYS = {"text": ("preprocessing", "sequence", "max_len"), "series": ("data", "window")}
"""Where the length of the model's time axis is written, for text and for a series."""


def input_tensor(spec: dict, series: bool) -> Tensor:
    """The model input: ``(max_len,)`` int token ids for text, ``(window, 1)`` floats for a series."""
    if series:
        return Tensor((spec["data"].get("window", 10), 1), "float")
    return Tensor((spec["preprocessing"]["sequence"]["max_len"],), "int")


def layer_entries(spec: dict) -> list[tuple[str, dict]]:
    """``model.layers`` as ``(name, args)`` pairs (a bare ``- Flatten`` has args ``{}``)."""
    out = []
    for item in spec["model"].get("layers", []):
        if isinstance(item, str):
            out.append((item, {}))
        else:
            (name, args), = item.items()
            out.append((name, args or {}))
    return out


def walk_stack(spec: dict, series: bool, start: Tensor | None = None,
               costs: list[LayerCost] | None = None) -> list[tuple]:
    """``(path, message, at_key)`` for every semantic problem in the model section.

    ``path`` is a tuple such as ``("model", "layers", 2, "kernel_size")``. ``start`` is
    the tensor entering ``model.layers`` when it is not the token ids or series window
    (a pretrained backbone's pooled vector, ``(hidden_dim,)``); ``layers`` may then be
    absent. With ``costs`` (a list), a :class:`LayerCost` is appended for each layer
    walked and for the head.
    """
    defs = layers()
    num_words = None if series or start is not None else \
        spec["preprocessing"]["tokenizer"]["num_words"]
    x = start or input_tensor(spec, series)
    if costs is not None and start is None:  # the input batch itself (ids or window values)
        costs.append(LayerCost(("model",), 0, _elements(x),
                               length=(SEQUENCE_KEYS["series" if series else "text"], x.shape[0])))
    found: list = []
    entries = layer_entries(spec)
    for i, (name, args) in enumerate(entries):
        here = ("model", "layers", i)
        missing = [a for a in defs[name].required if a not in args]
        if missing:
            found.append((here, f"{name} needs argument(s): {', '.join(missing)}", False))
            return found
        if i == 0 and not series and start is None and name != "Embedding":
            found.append((here, f"on text input the first layer must be Embedding (token ids "
                                f"-> vectors), not {name}", False))
            return found

        def report(message, arg=None, _here=here, _name=name):
            found.append((_here + ((_name, arg) if arg else ()), message, False))

        ctx = Context(num_words=num_words, report=report,
                      previous=entries[i - 1] if i else None, index=i)
        try:
            y = defs[name].infer(x, args, ctx)
        except ShapeError as e:
            found.append((here + ((name, e.arg) if e.arg else ()), str(e), False))
            return found
        if costs is not None:
            length = (SEQUENCE_KEYS["series" if series else "text"], y.shape[0]) \
                if y.rank == 2 and y.shape[0] is not None else None
            costs.append(LayerCost(here, defs[name].count_params(x, args, ctx), _elements(y),
                                   tuple(_size_values(name, args, here + (name,), num_words)),
                                   length))
        x = y
    found.extend(_head_issues(spec, x, len(entries) - 1, start is not None))
    if costs is not None and x.rank == 1:
        units = _head_units(spec)
        costs.append(LayerCost(("model", "head"), (x.shape[0] or 1) * units + units, units))
    return found


def _elements(x: Tensor) -> int:
    """Values per example of ``x`` (an unknown length counts as 1)."""
    return math.prod(d or 1 for d in x.shape)


def _size_values(name: str, args: dict, path: tuple, num_words):
    """Yield ``(path, value)`` for the size arguments of layer ``name`` (its
    :attr:`~specc.compiler.registry.LayerDef.size_args`); a nested layer (Bidirectional's
    ``layer``) gives its own, an absent ``input_dim`` the tokenizer's ``num_words``."""
    for arg in layers()[name].size_args:
        value = args.get(arg)
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in layers():
            (inner, inner_args), = value.items()
            yield from _size_values(inner, inner_args or {}, path + (arg, inner), num_words)
        elif isinstance(value, list) and value and isinstance(value[0], int):
            yield path + (arg,), value[0]
        elif isinstance(value, int) and not isinstance(value, bool):
            yield path + (arg,), value
        elif value is None and arg == "input_dim" and num_words is not None:
            yield ("preprocessing", "tokenizer", "num_words"), num_words


def _head_units(spec: dict) -> int:
    """Output units of the head: the task's (one per class for multiclass), else 1."""
    from specc.data import describe
    head = spec["model"].get("head", "auto")
    if isinstance(head, dict) and isinstance(head.get("units"), int):
        return head["units"]
    units = HEAD_RULES[spec["task"]][0] if spec["task"] in HEAD_RULES else None
    return units or describe(spec["data"]).get("n_classes") or 1


def _head_issues(spec: dict, x: Tensor, last: int, pooled: bool):
    if x.rank != 1:
        where = ("model", "layers", last) if last >= 0 or not pooled else ("model", "pooling")
        yield (where,
               f"the output here is {x}, one vector per time step; the head needs one vector "
               f"per sample: add GlobalMaxPooling1D, GlobalAveragePooling1D or Flatten, or set "
               f"return_sequences: false on the last recurrent layer", False)
    head = spec["model"].get("head", "auto")
    if head == "auto":
        return
    from specc.data import describe
    task = spec["task"]
    units, activation = HEAD_RULES[task]
    if units is None:
        units = describe(spec["data"]).get("n_classes")
    if units is not None and head["units"] != units:
        yield (("model", "head", "units"), f"task {task} needs {units} output unit(s) here, not "
                                           f"{head['units']}", False)
    got = head.get("activation") or "linear"
    if got != activation:
        yield (("model", "head", "activation"), f"task {task} needs activation {activation} "
                                                f"(its loss expects it), not {got}", False)
