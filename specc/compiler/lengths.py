"""Whether a model's results are independent of how far its token ids are padded.

Length bucketing (``train.bucketing``) trims every batch to its longest sequence
instead of ``max_len``. That leaves the results unchanged only when padding is
masked all the way to a layer whose output has no time axis: an ``Embedding`` with
``mask_zero: true`` (Keras propagates the mask, https://keras.io/guides/understanding_masking_and_padding/),
then only mask-aware layers up to a recurrent layer that returns its last state.
A BERT backbone reads its ``padding_mask``, so its results do not depend on padding either.
"""

from __future__ import annotations

from specc.compiler.kinds import model_kind
from specc.compiler.shapes import layer_entries

RECURRENT = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")
"""Keras recurrent layers: they skip masked time steps."""

MASK_SAFE = RECURRENT + ("Dropout", "SpatialDropout1D")
"""Layers that pass a padding mask on unchanged and are applied per time step."""


def _returns_sequences(args: dict) -> bool:
    if "layer" in args:  # Bidirectional: {layer: {LSTM: {...}}}
        (_, inner), = args["layer"].items()
        return bool((inner or {}).get("return_sequences", False))
    return bool(args.get("return_sequences", False))


def bucketing_blocker(spec: dict, series: bool = False) -> str | None:
    """Why length bucketing would change this resolved spec's results, or None if it would not.

    Returns a sentence for the user (used by validation for ``train.bucketing: true``
    and to turn ``auto`` off), e.g. ``"the Embedding layer needs mask_zero: true ..."``.
    """
    kind = model_kind(spec["model"])
    if kind == "estimator":
        return "a scikit-learn model reads raw texts, not padded token ids"
    if series:
        return "series windows are not padded"
    if kind == "bert":
        return None
    entries = layer_entries(spec)
    if not entries or entries[0][0] != "Embedding":
        return "the first layer must be an Embedding (bucketing trims padded token ids)"
    if not entries[0][1].get("mask_zero", False):
        return "the Embedding layer needs mask_zero: true, so that padding is masked"
    last = max((i for i, (name, _) in enumerate(entries) if name in RECURRENT), default=None)
    if last is None:
        return "the model has no recurrent layer (SimpleRNN, LSTM, GRU or Bidirectional)"
    for i, (name, _) in enumerate(entries[1:last], start=1):
        if name not in MASK_SAFE:
            return (f"layer {i + 1} ({name}) before the last recurrent layer does not carry the "
                    "padding mask, so its output depends on the padded length")
    if _returns_sequences(entries[last][1]):
        return ("the last recurrent layer returns sequences, so the layers after it see the "
                "padded length")
    return None


def uses_bucketing(spec: dict, series: bool = False) -> bool:
    """Whether a resolved spec trains with length bucketing: ``train.bucketing`` true or
    false as written, ``auto`` (the default) wherever :func:`bucketing_blocker` finds
    nothing against it. The model's token input then has a free length ``(None,)``."""
    choice = spec.get("train", {}).get("bucketing", "auto")
    if choice == "auto":
        return bucketing_blocker(spec, series) is None
    return bool(choice)
