"""A pretrained BERT backbone with a task head, as ``model.backbone`` declares.

Functional model: three ``(max_len,)`` int32 inputs (``token_ids``, ``segment_ids``,
``padding_mask``, the names keras-hub's BERT preprocessors emit) -> keras-hub
``BertBackbone`` (weights from a local preset, :mod:`specc.data.backbones`) ->
pooling to one ``(hidden_dim,)`` vector per sentence -> ``model.layers`` (e.g.
``Dropout``) -> the head ``Dense``. This is keras-hub's ``BertTextClassifier``
(https://keras.io/keras_hub/api/models/bert/bert_text_classifier/) with the pooling
and head the spec asks for; with ``pooling: pooled`` and a ``Dropout`` it is the same
network.

Pooling (Devlin et al. 2019, Sec. 3; Reimers & Gurevych 2019, Sec. 3):
``cls`` the final hidden state of [CLS]; ``mean`` the mean over real (unpadded)
tokens; ``pooled`` BERT's pooler, ``tanh(Dense(h_CLS))``.
"""

from __future__ import annotations

from pathlib import Path

import keras

from specc.compiler.lengths import uses_bucketing
from specc.compiler.model import apply_layers, output_head
from specc.data.backbones import resolve_preset

INPUT_NAMES = ("token_ids", "segment_ids", "padding_mask")


@keras.saving.register_keras_serializable(package="specc")
class TokenVector(keras.layers.Layer):
    """``(batch, sequence, hidden) -> (batch, hidden)``: the vector at position ``index``.

    ``index=0`` is BERT's [CLS] token. Registered with Keras so ``.keras`` files load
    with ``safe_mode=True``.
    """

    def __init__(self, index: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, inputs):
        """Slice position ``index`` out of a ``(batch, sequence, hidden)`` tensor."""
        return inputs[:, self.index, :]

    def compute_output_shape(self, input_shape):
        """``(batch, hidden)``."""
        return (input_shape[0], input_shape[2])

    def get_config(self):
        """Keras config (adds ``index``)."""
        return {**super().get_config(), "index": self.index}


def load_backbone(preset: str, base_dir: Path | str = ".", trainable: bool = True,
                  load_weights: bool = True):
    """keras-hub ``BertBackbone`` with the preset's weights, read from disk only
    (``load_weights=False``: the preset's architecture, randomly initialized).

    Raises:
        PresetError: the preset is not installed / not a folder with a BERT config.
    """
    from specc.core.quiet import import_keras_hub
    keras_hub = import_keras_hub()
    backbone = keras_hub.models.BertBackbone.from_preset(str(resolve_preset(preset, base_dir)),
                                                         load_weights=load_weights)
    backbone.trainable = trainable
    return backbone


def pool(outputs: dict, padding_mask, pooling: str):
    """One vector per sentence from a ``BertBackbone`` output dict (see module doc)."""
    if pooling == "pooled":
        return outputs["pooled_output"]
    if pooling == "mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_pooling")(
            outputs["sequence_output"], mask=padding_mask)
    return TokenVector(0, name="cls_token")(outputs["sequence_output"])


def bert_inputs(max_len: int | None) -> dict:
    """The model's ``keras.Input`` dict: ``(max_len,)`` int32 per name in :data:`INPUT_NAMES`
    (``max_len`` None: any length, for length bucketing)."""
    return {name: keras.Input(shape=(max_len,), dtype="int32", name=name) for name in INPUT_NAMES}


def bert_classifier(spec, n_classes: int | None):
    """:func:`build_bert_model` for a :class:`~specc.loader.spec.Spec` (the ``bert`` kind's
    builder, :mod:`specc.compiler.kinds`)."""
    return build_bert_model(spec.resolved, n_classes=n_classes, base_dir=spec.base_dir,
                            file=str(spec.path))


def build_bert_model(spec: dict, *, n_classes: int | None = None, base_dir: Path | str = ".",
                     file: str = "<spec>", backbone=None) -> keras.Model:
    """The (uncompiled) Keras model of a resolved ``bert`` spec.

    Args:
        spec: the resolved spec.
        n_classes: class count for a multiclass auto head.
        base_dir: folder that relative preset paths are resolved against.
        file: spec file name for error messages.
        backbone: an already loaded ``BertBackbone`` to reuse (its ``trainable`` is set
            from the spec).

    Raises:
        PresetError: the preset cannot be found.
        SpecError: Keras rejected a layer of ``model.layers``.
    """
    model = spec["model"]
    args = model["backbone"]["BertBackbone"]
    if backbone is None:
        backbone = load_backbone(args["preset"], base_dir, args.get("trainable", True),
                                 args.get("load_weights", True))
    else:
        backbone.trainable = args.get("trainable", True)
    pooling = model.get("pooling", "cls")
    inputs = bert_inputs(None if uses_bucketing(spec) else
                         spec["preprocessing"]["sequence"]["max_len"])
    x = pool(backbone(inputs), inputs["padding_mask"], pooling)
    x = apply_layers(x, spec, {"num_words": None}, file)
    return keras.Model(inputs, output_head(x, spec, n_classes, file), name=spec["name"])
