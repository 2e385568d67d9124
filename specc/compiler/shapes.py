"""Walk a spec's layer stack symbolically, as ``specc validate`` does before any Keras build.

Each layer's :class:`~specc.compiler.registry.LayerDef` rule maps the input
:class:`~specc.compiler.registry.Tensor` to its output and reports problems; the
walk stops at the first layer that cannot take its input (later shapes would be
guesses). Then the head is checked: it needs one vector per sample, because Keras
applies ``Dense`` to the last axis and a 3-D output would silently give
``(None, T, 1)``.
"""

from __future__ import annotations

from specc.compiler.registry import Context, ShapeError, Tensor, layers
from specc.compiler.tasks import TASKS

HEAD_RULES = {name: (t.head_units, t.head_activation) for name, t in TASKS.items()
              if not t.pretraining}
"""The head each task gets (from :data:`specc.compiler.tasks.TASKS`): binary Dense(1,
sigmoid); multiclass Dense(n_classes, softmax); regression Dense(1) (linear)."""


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


def walk_stack(spec: dict, series: bool, start: Tensor | None = None) -> list[tuple]:
    """``(path, message, at_key)`` for every semantic problem in the model section.

    ``path`` is a tuple such as ``("model", "layers", 2, "kernel_size")``. ``start`` is
    the tensor entering ``model.layers`` when it is not the token ids or series window
    (a pretrained backbone's pooled vector, ``(hidden_dim,)``); ``layers`` may then be
    absent.
    """
    defs = layers()
    num_words = None if series or start is not None else \
        spec["preprocessing"]["tokenizer"]["num_words"]
    x = start or input_tensor(spec, series)
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
            x = defs[name].infer(x, args, ctx)
        except ShapeError as e:
            found.append((here + ((name, e.arg) if e.arg else ()), str(e), False))
            return found
    found.extend(_head_issues(spec, x, len(entries) - 1, start is not None))
    return found


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
