"""Backend-neutral input pipelines: ``keras.utils.PyDataset`` over NumPy arrays, for the
JAX and PyTorch backends (TensorFlow keeps tf.data, :mod:`specc.compiler.batching`).

The batches are formed as the tf.data pipelines form them: every training batch holds
exactly ``batch_size`` examples (a static batch dimension: JAX compiles one program per
input shape), passes over the data follow one another (an epoch's last batch is topped
up from the next pass), and with bucketing each chunk of ``SORT_CHUNK`` batches is
sorted by length, cut into batches, and every batch trimmed to its longest sequence
rounded up to ``plan.multiple`` (bounding the number of shapes a backend compiles).
Orders come from NumPy generators seeded with ``(seed, pass)``, so a run is repeatable
but draws other batches than the tf.data pipeline of the same seed.
See https://keras.io/api/utils/python_utils/#pydataset-class.
"""

from __future__ import annotations

import numpy as np

from specc.compiler.batching import (
    SORT_CHUNK,
    Batching,
    _first,
    kept_length,
    lengths,
    steps_per_epoch,
    trim,
)


def _base():
    import keras
    return keras.utils.PyDataset


class _Batches:
    """Shared by the training and evaluation datasets: the arrays and the trimming."""

    def _setup(self, x, y, plan: Batching):
        first = _first(x)
        self.x, self.y, self.plan = x, (None if y is None else np.asarray(y)), plan
        self.n = len(first)
        self.max_len = first.shape[1] if first.ndim >= 2 else 1
        self.lens = lengths(x) if plan.bucketing else None

    def _batch(self, rows: np.ndarray):
        keep = self.max_len
        if self.plan.bucketing and len(rows):
            keep = kept_length(self.lens[rows].max(), self.plan, self.max_len)
        xb = trim(self.x, rows, keep, self.max_len, self.plan.padding)
        return xb if self.y is None else (xb, self.y[rows])


def train_batches(x, y, batch_size: int, *, seed: int, shuffle: bool = True,
                  plan: Batching = Batching()):
    """A ``keras.utils.PyDataset`` of :func:`~specc.compiler.batching.steps_per_epoch`
    full ``(x_batch, y_batch)`` batches per epoch (see the module docstring); the same
    arguments as :func:`specc.compiler.batching.train_dataset`.

    ``x``: int32 ``(n, max_len)`` ids, a dict of them (BERT), or float32 series windows
    ``(n, window, 1)`` (never bucketed); ``y``: ``(n,)``.
    """
    class TrainBatches(_Batches, _base()):
        def __init__(self):
            super().__init__()
            self._setup(x, y, plan)
            self.size = min(batch_size, self.n)
            self.steps = steps_per_epoch(self.n, batch_size)
            self.epoch = 0
            self._plan_epoch()

        def _pass(self, k: int) -> np.ndarray:
            if not shuffle:
                return np.arange(self.n)
            return np.random.default_rng([seed, k]).permutation(self.n)

        def _plan_epoch(self):
            """This epoch's batches: positions ``[e*steps*size, (e+1)*steps*size)`` of the
            endless stream of passes, sorted by length in chunks when bucketing."""
            want = self.steps * self.size
            start = self.epoch * want
            first, offset = divmod(start, self.n)
            stream = np.concatenate([self._pass(k) for k in
                                     range(first, first + -(-(offset + want) // self.n))])
            rows = stream[offset:offset + want]
            if self.plan.bucketing:
                chunk = self.size * SORT_CHUNK
                rows = np.concatenate([
                    rows[i:i + chunk][np.argsort(self.lens[rows[i:i + chunk]], kind="stable")]
                    for i in range(0, len(rows), chunk)])
            batches = rows.reshape(self.steps, self.size)
            if self.plan.bucketing and shuffle:
                batches = batches[np.random.default_rng([seed + 1, self.epoch])
                                  .permutation(self.steps)]
            self.batches = batches

        def __len__(self):
            return self.steps

        def __getitem__(self, index):
            return self._batch(self.batches[index])

        def on_epoch_end(self):
            self.epoch += 1
            self._plan_epoch()

    return TrainBatches()


def eval_batches(x, y, batch_size: int, plan: Batching = Batching()):
    """``(PyDataset, order)`` for evaluation or prediction, as
    :func:`specc.compiler.batching.eval_dataset` gives them: batches of the rows in
    ``order`` (sorted by length when bucketing), the last one partial; ``y`` None yields
    inputs only."""
    lens = lengths(x) if plan.bucketing else None
    order = np.argsort(lens, kind="stable") if plan.bucketing else np.arange(len(_first(x)))

    class EvalBatches(_Batches, _base()):
        def __init__(self):
            super().__init__()
            self._setup(x, y, plan)

        def __len__(self):
            return -(-self.n // batch_size)

        def __getitem__(self, index):
            return self._batch(order[index * batch_size:(index + 1) * batch_size])

    return EvalBatches(), order


def mapped(batches, fn, *, once: bool = False):
    """A ``keras.utils.PyDataset`` of ``fn(batch)`` for each batch of ``batches`` (a
    PyDataset of this module), as ``tf.data.Dataset.map`` gives on TensorFlow; ``fn``'s
    outputs are made NumPy arrays. ``once``: computed on first use and kept (a validation
    set masked once, so every evaluation scores the same examples)."""
    import keras

    def numpy(out):
        return keras.tree.map_structure(keras.ops.convert_to_numpy, out)

    class Mapped(_base()):
        def __init__(self):
            super().__init__()
            self.kept = None

        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            if not once:
                return numpy(fn(batches[index]))
            if self.kept is None:
                self.kept = [numpy(fn(batches[i])) for i in range(len(batches))]
            return self.kept[index]

        def on_epoch_end(self):
            batches.on_epoch_end()

    return Mapped()
