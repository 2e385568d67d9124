"""``keras.utils.pad_sequences`` as a Keras layer, for models that take raw strings.

``keras.layers.TextVectorization`` pads and truncates at the end only (``post``);
specc's default is ``pre`` (the classic Keras ``Tokenizer`` + ``pad_sequences``
recipe), so an exported model that maps strings to predictions reproduces the run's
exact padding and truncation with :class:`PadSequences`, written in ``keras.ops`` only.
"""

from __future__ import annotations

from specc.core.quiet import import_keras

keras = import_keras()


@keras.saving.register_keras_serializable(package="specc")
class PadSequences(keras.layers.Layer):
    """``(batch, L)`` int token ids, right-padded with 0 (as ``TextVectorization`` gives
    them) -> ``(batch, max_len)`` int32 ids, cut and padded as ``pad_sequences(maxlen,
    padding, truncating)`` would (https://keras.io/api/data_loading/text/).

    Args:
        max_len: output length.
        padding, truncating: ``"pre"`` or ``"post"``.
        drop_oov: remove id 1 (the OOV id) before cutting, as specc does when the spec's
            ``oov_token`` is null (the classic Tokenizer drops unknown words).
    """

    def __init__(self, max_len: int, padding: str = "pre", truncating: str = "pre",
                 drop_oov: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_len, self.padding, self.truncating = int(max_len), padding, truncating
        self.drop_oov = bool(drop_oov)

    def call(self, ids):
        """See the class docstring."""
        ops = keras.ops
        ids = ops.cast(ids, "int32")
        width = ops.shape(ids)[1]
        pos = ops.arange(width, dtype="int32")[None, :]
        keep = ids > (1 if self.drop_oov else 0)
        if self.drop_oov:  # move kept ids to the front, in order
            order = ops.argsort(ops.where(keep, pos, pos + width), axis=1)
            ids = ops.where(ops.take_along_axis(keep, order, axis=1),
                            ops.take_along_axis(ids, order, axis=1), 0)
        n = ops.sum(ops.cast(keep, "int32"), axis=1, keepdims=True)
        k = ops.minimum(n, self.max_len)
        start = n - k if self.truncating == "pre" else ops.zeros_like(n)
        j = ops.arange(self.max_len, dtype="int32")[None, :]
        offset = j - (self.max_len - k) if self.padding == "pre" else j
        valid = (offset >= 0) & (offset < k)
        ids = ops.concatenate([ids, ops.zeros_like(ids[:, :1])], axis=1)  # width >= 1
        index = ops.clip(start + offset, 0, width)
        return ops.where(valid, ops.take_along_axis(ids, index, axis=1), 0)

    def compute_output_shape(self, input_shape):
        """``(batch, max_len)``."""
        return (input_shape[0], self.max_len)

    def get_config(self):
        """Keras config (adds the pad_sequences settings)."""
        return {**super().get_config(), "max_len": self.max_len, "padding": self.padding,
                "truncating": self.truncating, "drop_oov": self.drop_oov}
