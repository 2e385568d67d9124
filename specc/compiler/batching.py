"""tf.data input pipelines for ``model.fit``, ``evaluate`` and ``predict``, with length bucketing.

Every pipeline starts from the padded arrays of :mod:`specc.runtime.prepare` (or :mod:`specc.run` for prediction)
(``(n, max_len)`` int32 token ids, or BERT's dict of three such arrays), caches the
slices, shuffles with the run's seed, batches and prefetches, all inside tf.data (no
Python work per batch; https://www.tensorflow.org/guide/data_performance).

With bucketing on, the training set is shuffled, sorted by length within chunks of
:data:`SORT_CHUNK` batches, cut into batches (so each batch holds sequences of similar
length), and every batch is trimmed to its own longest sequence (rounded up to a
multiple of ``multiple``) instead of ``max_len``; the batches are then shuffled again.
The padding side is kept (``pre``: the trailing ids stay), and the number of batches
per epoch is the same as without bucketing (``ceil(n / batch_size)``, all full: see
:func:`train_dataset`), so learning-rate schedules sized to steps stay right. This is the "sortish" batching of
fairseq/AllenNLP's bucket iterators; it pays off because a recurrent layer's time per
batch grows with the batch's length. Results equal pad-to-max results only where
padding is masked (:func:`specc.compiler.lengths.bucketing_blocker`).

On the JAX and PyTorch backends the same functions return ``keras.utils.PyDataset``
objects that form batches the same way from NumPy arrays (:mod:`specc.compiler.pybatches`),
so training needs no TensorFlow there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SORT_CHUNK = 8
"""Batches whose examples are sorted by length together (larger: tighter batches,
less randomness in which examples share a batch). On specs/lstm.yaml, 64 trained to a
worse best validation loss than no bucketing on 3 of 3 seeds (0.341-0.381 vs
0.332-0.335); 8 came closer (0.348, 0.349 on 2 seeds) and keeps most of the speed."""

LENGTH_KEY = "padding_mask"
"""Key of the BERT input whose row sums are the sequence lengths."""


@dataclass(frozen=True)
class Batching:
    """How batches are formed.

    Attributes:
        bucketing: trim each batch to its longest sequence (see module docstring).
        padding: ``"pre"`` or ``"post"``: the side that holds the padding.
        multiple: trimmed lengths are rounded up to a multiple of this (fewer distinct
            shapes when XLA compiles one program per shape); 1 = exact.
    """

    bucketing: bool = False
    padding: str = "pre"
    multiple: int = 1


def lengths(x) -> np.ndarray:
    """Unpadded length of each row, int32 ``(n,)``: non-zero ids (0 is padding), or the
    ``padding_mask`` row sums for BERT inputs."""
    if isinstance(x, dict):
        return np.asarray(x[LENGTH_KEY]).sum(axis=1).astype("int32")
    return np.count_nonzero(np.asarray(x), axis=1).astype("int32")


def tf_pipelines() -> bool:
    """Whether Keras runs on TensorFlow (tf.data pipelines) rather than JAX or PyTorch
    (:mod:`specc.compiler.pybatches`)."""
    import keras
    return keras.backend.backend() == "tensorflow"


def _trimmer(plan: Batching, max_len: int):
    """tf.data map fn ``(x, length, *rest) -> (x trimmed, *rest)``."""
    import tensorflow as tf

    def cut(t, keep):
        return t[:, max_len - keep:] if plan.padding == "pre" else t[:, :keep]

    def trim(x, length, *rest):
        keep = tf.reduce_max(length)
        keep = tf.minimum((keep + plan.multiple - 1) // plan.multiple * plan.multiple, max_len)
        keep = tf.maximum(keep, 1)
        x = {k: cut(v, keep) for k, v in x.items()} if isinstance(x, dict) else cut(x, keep)
        return (x, *rest)
    return trim


def _first(x) -> np.ndarray:
    return np.asarray(next(iter(x.values())) if isinstance(x, dict) else x)


def _rows(x) -> int:
    return len(_first(x))


def _max_len(x) -> int:
    return int(_first(x).shape[1])


def _drop_length(x, length, *rest):
    return (x, *rest)


def trim(x, rows: np.ndarray, keep: int, max_len: int, padding: str):
    """Rows ``rows`` of ``x`` (an ``(n, max_len)`` array or a dict of them), cut to their
    last (``pre`` padding) or first ``keep`` columns."""
    def cut(t):
        t = np.asarray(t)[rows]
        if keep >= max_len or t.ndim < 2:
            return t
        return t[:, max_len - keep:] if padding == "pre" else t[:, :keep]
    return {k: cut(v) for k, v in x.items()} if isinstance(x, dict) else cut(x)


def kept_length(longest: int, plan: Batching, max_len: int) -> int:
    """Columns a batch whose longest row has ``longest`` ids keeps: rounded up to a
    multiple of ``plan.multiple``, within ``[1, max_len]``."""
    return max(1, min(-(-int(longest) // plan.multiple) * plan.multiple, max_len))


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Batches per epoch: ``ceil(n / batch_size)``, as ``model.fit`` on arrays counts them."""
    return -(-n // batch_size)


def train_dataset(x, y, batch_size: int, *, seed: int, shuffle: bool = True,
                  plan: Batching = Batching()):
    """The training pipeline: an endless ``tf.data.Dataset`` of full ``(x_batch, y_batch)``
    batches; fit it with ``steps_per_epoch=``:func:`steps_per_epoch`.

    Every batch holds exactly ``batch_size`` examples (``min(batch_size, n)``), so the
    batch dimension is static: TensorFlow then specializes the training step, which makes
    recurrent layers about 25% faster than with the ``None`` batch dimension a final
    partial batch forces (measured, bench/). Each pass over the data is a new shuffle and
    passes follow one another without a gap, so an epoch's last batch is topped up with
    the first examples of the next pass; every example is seen once per pass.

    Args:
        x: ``(n, max_len)`` int32 ids, a dict of such arrays (BERT), or float32 series
            windows ``(n, window, 1)`` (never bucketed).
        y: ``(n,)`` labels or targets.
        seed: shuffle seed (a new order each pass, the same sequence of orders per seed).
        shuffle: False keeps the order (series data).
        plan: bucketing settings.
    """
    if not tf_pipelines():
        from specc.compiler.pybatches import train_batches
        return train_batches(x, y, batch_size, seed=seed, shuffle=shuffle, plan=plan)
    import tensorflow as tf
    n = _rows(x)
    batch_size = min(batch_size, n)
    ds = tf.data.Dataset.from_tensor_slices((x, lengths(x) if plan.bucketing else
                                             np.zeros(n, "int32"), y)).cache()
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    if plan.bucketing:
        def by_length(xb, lb, yb):
            order = tf.argsort(lb, stable=True)
            pick = lambda t: tf.gather(t, order)  # noqa: E731
            return (tf.nest.map_structure(pick, xb), pick(lb), pick(yb))
        ds = (ds.batch(batch_size * SORT_CHUNK).map(by_length).unbatch().repeat()
              .batch(batch_size, drop_remainder=True).map(_trimmer(plan, _max_len(x)))
              .shuffle(SORT_CHUNK, seed=seed + 1))
    else:
        ds = ds.repeat().batch(batch_size, drop_remainder=True).map(_drop_length)
    return ds.prefetch(tf.data.AUTOTUNE)


def eval_dataset(x, y, batch_size: int, plan: Batching = Batching()):
    """``(dataset, order)`` for evaluation or prediction: batches in ``order`` (rows sorted
    by length when bucketing, so batches are tight; the identity otherwise).

    ``y`` may be None (prediction: the dataset yields inputs only).
    """
    if not tf_pipelines():
        from specc.compiler.pybatches import eval_batches
        return eval_batches(x, y, batch_size, plan)
    import tensorflow as tf
    n = _rows(x)
    lens = lengths(x) if plan.bucketing else np.zeros(n, "int32")
    order = np.argsort(lens, kind="stable") if plan.bucketing else np.arange(n)
    pick = (lambda t: np.asarray(t)[order]) if plan.bucketing else np.asarray  # noqa: E731
    xs = {k: pick(v) for k, v in x.items()} if isinstance(x, dict) else pick(x)
    parts = (xs, pick(lens)) + (() if y is None else (pick(y),))
    ds = tf.data.Dataset.from_tensor_slices(parts).batch(batch_size)
    ds = ds.map(_trimmer(plan, _max_len(x)) if plan.bucketing else _drop_length)
    if y is None:
        ds = ds.map(lambda *t: t[0])
    return ds.cache().prefetch(tf.data.AUTOTUNE), order


def predict(model, x, batch_size: int, plan: Batching = Batching()) -> np.ndarray:
    """``model.predict`` over ``x`` in length-sorted batches, returned in ``x``'s row order.

    Inputs that fit in one batch skip tf.data: ``model.predict_on_batch`` on the rows
    trimmed as :func:`eval_dataset` would trim them (a served request of a few texts then
    costs one model call, not a pipeline). Larger inputs without bucketing go to
    ``model.predict`` as arrays (nothing to sort or trim).
    """
    n = _rows(x)
    if 0 < n <= batch_size:
        keep = _max_len(x)
        if plan.bucketing:
            keep = kept_length(lengths(x).max(), plan, keep)
        x = trim(x, np.arange(n), keep, _max_len(x), plan.padding)
        return np.asarray(model.predict_on_batch(x))
    if not plan.bucketing and n:  # fixed shapes: Keras' own batching of arrays suffices
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    ds, order = eval_dataset(x, None, batch_size, plan)
    out = model.predict(ds, verbose=0)
    restored = np.empty_like(out)
    restored[order] = out
    return restored
