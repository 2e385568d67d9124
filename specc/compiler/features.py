"""Frozen BERT sentence vectors as a scikit-learn transformer, cached on disk.

The "DistilBERT + LogisticRegression" recipe (Alammar, *A Visual Guide to Using BERT
for the First Time*, 2019): tokenize each sentence with the backbone's WordPiece
tokenizer, run the frozen backbone once (in length-bucketed batches,
:mod:`specc.compiler.batching`), keep one vector per sentence ([CLS], the mean
over real tokens, or BERT's pooler; see :func:`specc.compiler.bert.pool`), and fit a
scikit-learn estimator on those vectors. Vectors are cached by a hash of the texts,
the preset's files and the settings (:mod:`specc.core.cache`), so a second run, or
another estimator on the same features, skips the backbone.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


def vectors_check(n: int, hidden_dim: int):
    """The ``validate`` callback of the feature cache: a cached array must be float32
    ``(n, hidden_dim)`` and finite, else the entry is recomputed. The callback returns
    None or what is wrong."""
    def check(vectors: np.ndarray) -> str | None:
        if vectors.dtype != np.float32 or vectors.shape != (n, hidden_dim):
            return f"{vectors.dtype} {vectors.shape}, expected float32 {(n, hidden_dim)}"
        if not np.isfinite(vectors).all():
            return "values that are not finite"
        return None
    return check


class BertFeatures(TransformerMixin, BaseEstimator):
    """Texts -> float32 ``(n_texts, hidden_dim)`` vectors from a frozen ``BertBackbone``.

    Args:
        preset: backbone preset name or folder (:mod:`specc.data.backbones`).
        pooling: ``cls``, ``mean`` or ``pooled``.
        max_len: WordPiece sequence length ([CLS] and [SEP] included).
        batch_size: sentences per backbone call.
        base_dir: folder relative preset paths resolve against.

    After each ``transform``, ``stats_`` lists ``{"n", "seconds", "cached"}`` per call.

    Raises:
        PresetError: the preset cannot be found (on first ``transform``).
    """

    def __init__(self, preset: str, pooling: str = "cls", max_len: int = 64,
                 batch_size: int = 32, base_dir: str = "."):
        self.preset = preset
        self.pooling = pooling
        self.max_len = max_len
        self.batch_size = batch_size
        self.base_dir = base_dir

    def fit(self, X, y=None):
        """Nothing to learn (the backbone is frozen); returns self."""
        return self

    def transform(self, X) -> np.ndarray:
        """Vectors of the texts ``X`` (from the cache when the same texts were seen; never
        cached after :meth:`for_prediction`)."""
        from specc.core.cache import cache_key, cached_array, folder_digest, texts_digest
        from specc.data.backbones import read_config, resolve_preset
        texts = [str(t) for t in X]
        if getattr(self, "predicting_", False):
            return self._compute(texts)
        folder = resolve_preset(self.preset, self.base_dir)
        key = cache_key(texts=texts_digest(texts), preset=folder_digest(str(folder)),
                        pooling=self.pooling, max_len=self.max_len, version=1)
        t0 = time.perf_counter()
        vectors, hit = cached_array("bert-features", key, lambda: self._compute(texts),
                                    vectors_check(len(texts), read_config(folder).hidden_dim))
        self.stats_ = [*getattr(self, "stats_", []),
                       {"n": len(texts), "seconds": round(time.perf_counter() - t0, 3),
                        "cached": hit}]
        return vectors

    def for_prediction(self) -> "BertFeatures":
        """Stop caching and recording ``stats_``: a loaded pipeline that predicts new texts
        (``specc predict``, ``specc serve``) must not grow the cache or its own state with
        every call. Returns self."""
        self.predicting_ = True
        return self

    def _network(self):
        """(encoder, Keras model: BERT inputs -> pooled vector), built once per instance."""
        if getattr(self, "_net", None) is None:
            from specc.compiler.bert import bert_inputs, load_backbone, pool
            from specc.core.quiet import import_keras
            from specc.preprocessing.wordpiece import WordPieceEncoder
            keras = import_keras()  # quietly, when nothing imported Keras before
            encoder = WordPieceEncoder(self.preset, self.max_len, self.base_dir)
            backbone = load_backbone(self.preset, self.base_dir, trainable=False)
            inputs = bert_inputs(None)  # any length: batches are trimmed to their longest
            model = keras.Model(inputs, pool(backbone(inputs), inputs["padding_mask"],
                                             self.pooling))
            self._net = (encoder, model, backbone)
        return self._net

    def _compute(self, texts: list[str]) -> np.ndarray:
        encoder, model, _ = self._network()
        if not texts:
            return np.zeros((0, int(model.output.shape[-1])), "float32")
        from specc.compiler.batching import Batching, predict
        x = encoder.encode(texts)
        # length-sorted batches, each cut to its longest sentence: padding is masked, so
        # the vectors are those of max_len padding, for less work
        return np.asarray(predict(model, x, self.batch_size, Batching(True, "post")), "float32")

    def backbone_params(self) -> int:
        """Parameter count of the (frozen) backbone, as keras-hub counts it."""
        return int(self._network()[2].count_params())

    def __getstate__(self):
        """Pickle the settings only, never the loaded TensorFlow model."""
        state = dict(self.__dict__)
        state.pop("_net", None)
        return state
