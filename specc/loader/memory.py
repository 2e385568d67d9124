"""Refuse, at validation, a model that cannot fit in this machine's memory.

A spec with ``units: 100000000``, ``output_dim: 1e9``, ``num_words: 1e9`` or ``max_len:
10000000`` is valid JSON Schema, but building or training it asks for terabytes (NumPy:
"Unable to allocate 1.14 PiB"; TensorFlow: an out-of-memory kill). The shape walk
(:func:`specc.compiler.shapes.walk_stack`) gives every layer's weights and outputs
(:class:`~specc.compiler.shapes.LayerCost`); a BERT backbone's come from its sizes
(:func:`bert_cost`). The estimate, in bytes, is

* training: ``16 x parameters`` (float32 weights, their gradients and Adam's two slots)
  ``+ 4 x batch_size x activations`` (each layer's float32 outputs for one batch, kept for
  the backward pass);
* inference only (frozen backbone features): ``4 x parameters + 4 x batch_size x
  activations``.

It leaves out the framework's overhead, temporaries and the data (the padded token ids of
every split), so it refuses only what cannot fit: a spec whose estimate exceeds the
machine's total memory (:func:`machine_memory`) is an error at the spec value most to
blame (of the part that needs most: its largest size; for activations also the sequence
length and the batch size), e.g. ``model needs about 32.7 GiB, mostly for parameters
(units: 100000000): ...; this machine has 15.6 GiB``.
``load_spec(..., allow_large=True)`` (``specc validate/build/train --allow-large``)
skips the check. No Keras or TensorFlow import.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from specc.compiler.registry import short_int
from specc.compiler.shapes import LayerCost

TRAINING_PARAM_BYTES = 16
"""Bytes per parameter while training: float32 weight, gradient, Adam's two slots."""
TRAINING_ACTIVATION_BYTES = 4
"""Bytes per activation value while training: each float32 output is kept for the backward
pass (the gradients flowing back are transient)."""
INFERENCE_BYTES = 4
"""Bytes per parameter or activation value for inference only (float32)."""


def machine_memory() -> int | None:
    """Total physical memory of this machine in bytes (``sysconf``, else ``/proc/meminfo``),
    or None when neither says (then nothing is refused)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if total > 0:
            return total
    except (ValueError, OSError, AttributeError):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def format_bytes(n: int) -> str:
    """``n`` bytes for a message: ``512 bytes``, ``15.6 GiB``, ``1.2 TiB``; past EiB in powers
    of ten (``about 1.3e31 bytes``), exact integers however large."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    if n < 1024:
        return f"{n} bytes"
    for power, unit in enumerate(units[1:], start=1):
        if n < 1024 ** (power + 1):
            tenths = n * 10 // 1024 ** power
            return f"{tenths // 10}.{tenths % 10} {unit}"
    return f"{short_int(n)} bytes"


def bert_cost(path: tuple, *, hidden: int, layers: int, heads: int, intermediate: int,
              vocabulary: int, positions: int, seq_len: tuple, masked: int = 0,
              sizes: tuple = ()) -> LayerCost:
    """The size of a keras-hub ``BertBackbone`` (and, with ``masked`` > 0 predicted tokens
    per example, of the ``BertMaskedLM`` head over the vocabulary).

    Parameters: token, position and segment embeddings, per layer the attention projections
    (4 h x h), the feed-forward pair (2 h x i) and layer norms, and the pooler. Activations
    per example of ``T`` tokens (``seq_len``: ``(path, T)`` of ``max_len``): per layer about
    ``T x (8 h + 2 i)`` plus the attention scores ``2 x heads x T**2``; the masked-LM
    logits ``masked x vocabulary``. ``sizes`` are the spec values that set the widths
    (:class:`~specc.compiler.shapes.LayerCost`).
    """
    h, i, t = hidden, intermediate, seq_len[1]
    params = (vocabulary + positions + 2) * h + 2 * h \
        + layers * (4 * (h * h + h) + 2 * h * i + i + h + 4 * h) + h * h + h
    activations = t * h + layers * (t * (8 * h + 2 * i) + 2 * heads * t * t)
    if masked:
        params += h * h + 3 * h + vocabulary
        activations += masked * (h + vocabulary)
    return LayerCost(path, params, activations, sizes, seq_len)


def memory_issues(costs: Iterable[LayerCost], batch_size: int, batch_path: tuple,
                  training: bool = True, allow_large: bool = False):
    """Yield one ``(path, message, at_key)`` when the model of ``costs`` cannot fit in this
    machine's memory (see the module docstring for the estimate); nothing with
    ``allow_large``, or when the machine's memory is unknown.

    ``batch_size`` (written at ``batch_path``) is the examples per step; ``training``:
    False for a frozen model that only predicts (backbone features).
    """
    total_memory = machine_memory()
    costs = list(costs)
    if allow_large or total_memory is None or not costs:
        return
    param_unit = TRAINING_PARAM_BYTES if training else INFERENCE_BYTES
    act_unit = (TRAINING_ACTIVATION_BYTES if training else INFERENCE_BYTES) * batch_size
    params = sum(c.params for c in costs)
    param_bytes = param_unit * params
    act_bytes = act_unit * sum(c.activations for c in costs)
    if param_bytes + act_bytes <= total_memory:
        return
    by_params = param_bytes >= act_bytes
    worst = max(costs, key=lambda c: c.params if by_params else c.activations)
    sizes = list(worst.sizes)
    if not by_params:
        sizes += [s for s in (worst.length, (batch_path, batch_size)) if s is not None]
    path, value = max(sizes, key=lambda s: s[1]) if sizes else (worst.path, None)
    blamed = f" ({path[-1]}: {short_int(value)})" if value is not None else ""
    what = "parameters" if by_params else f"activations of a batch of {short_int(batch_size)}"
    count = f"{params:,}" if params < 10**15 else short_int(params)
    yield (path, f"model needs about {format_bytes(param_bytes + act_bytes)}, mostly for "
                 f"{what}{blamed}: {count} parameters x {param_unit} bytes"
                 f"{' (weights, gradients, Adam slots)' if training else ''} + "
                 f"{format_bytes(act_bytes)} of activations; this machine has "
                 f"{format_bytes(total_memory)} (--allow-large or allow_large=True to try "
                 f"anyway)", False)
