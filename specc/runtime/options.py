"""The runtime choices a spec may leave to ``auto``: length bucketing, XLA, mixed precision.

* ``train.bucketing``: :func:`specc.compiler.lengths.uses_bucketing` (the compiler
  needs the same answer to give the token input a free length).
* ``train.jit_compile``: ``auto`` hands the choice to Keras (``model.compile(jit_compile=
  "auto")``: XLA on GPUs when every layer supports it, off on CPU-only machines); see
  README "Performance" for the measurements behind it.
* ``train.mixed_precision``: ``auto`` = on when a GPU is visible (float16 math is slow
  on CPUs; https://keras.io/api/mixed_precision/).
"""

from __future__ import annotations

from dataclasses import dataclass

from specc.compiler.batching import Batching
from specc.compiler.kinds import kind_of
from specc.compiler.lengths import uses_bucketing
from specc.data import is_series

JIT_LENGTH_MULTIPLE = 32
"""With XLA and bucketing, batch lengths are rounded up to a multiple of this, so XLA
compiles at most ``ceil(max_len / 32)`` programs instead of one per distinct length.
The JAX backend always compiles (Keras' ``jit_compile="auto"`` is XLA there), so it
rounds too."""


@dataclass(frozen=True)
class RunOptions:
    """Resolved runtime options of a Keras run.

    Attributes:
        batching: the input pipeline's :class:`~specc.compiler.batching.Batching`.
        jit_compile: ``True``, ``False`` or ``"auto"`` for ``model.compile``.
        mixed_precision: build the model under the ``mixed_float16`` policy.
    """

    batching: Batching
    jit_compile: bool | str
    mixed_precision: bool

    def describe(self) -> dict:
        """``{"bucketing", "jit_compile", "mixed_precision"}`` for ``metrics.json``."""
        return {"bucketing": self.batching.bucketing, "jit_compile": self.jit_compile,
                "mixed_precision": self.mixed_precision}


def run_options(resolved, gpus: int) -> RunOptions:
    """Resolve the ``auto`` options of a resolved spec on a machine with ``gpus`` visible
    GPUs (see the module docstring). The padding side is the model kind's
    (:attr:`specc.compiler.kinds.ModelKind.fixed_padding`) or the spec's."""
    train = resolved["train"]
    series = is_series(resolved)
    bucketing = uses_bucketing(resolved, series)
    jit = train.get("jit_compile", "auto")
    mixed = train.get("mixed_precision", "auto")
    mixed = gpus > 0 if mixed == "auto" else bool(mixed)
    padding = ("post" if series else kind_of(resolved).fixed_padding
               or resolved["preprocessing"]["sequence"]["padding"])
    import keras
    compiles = jit is True or (jit == "auto" and keras.backend.backend() == "jax")
    multiple = JIT_LENGTH_MULTIPLE if bucketing and compiles else 1
    return RunOptions(Batching(bucketing, padding, multiple), jit, mixed)
