"""Sliding windows over a univariate series and the chronological train/test cut.

Window ``i`` holds steps ``series[i : i + window]`` and its target is the next
step ``series[i + window]``. The last ``test_split`` fraction of the windows (no
shuffling, so the test targets are the latest steps) form the test split.
"""

from __future__ import annotations

import math

import numpy as np

from specc.data.base import SeriesDataset
from specc.errors import DataError


def windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``series`` (shape ``(steps,)``) into ``n = steps - window`` windows.

    Returns:
        ``x``: ``float32``, shape ``(n, window, 1)``, ``x[i, :, 0] = series[i:i+window]``;
        ``y``: ``float32``, shape ``(n,)``, ``y[i] = series[i+window]``.

    Raises:
        DataError: ``window`` < 1, a series that is not 1-D, not finite, or no longer
            than ``window``.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise DataError(f"a series must be one-dimensional, got shape {values.shape}")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise DataError(f"window must be a positive integer, got {window!r}")
    if len(values) <= window:
        raise DataError(f"the series has {len(values)} steps, too few for window {window} "
                        "(it needs at least window + 1 steps)")
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise DataError(f"the series has a non-finite value at step {bad}")
    n = len(values) - window
    x = np.lib.stride_tricks.sliding_window_view(values, window)[:n]
    return x.astype(np.float32)[..., None], values[window:].astype(np.float32)


def tail_count(n: int, fraction: float) -> int:
    """How many of ``n`` items a tail fraction takes: ``ceil(n * fraction)`` (as scikit-learn
    counts a float ``test_size``), computed robustly against rounding.

    Raises:
        DataError: ``fraction`` not in (0, 1).
    """
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) \
            or not 0.0 < fraction < 1.0:
        raise DataError(f"a split fraction must be between 0 and 1 (exclusive), got {fraction!r}")
    return math.ceil(n * fraction - 1e-9)


def series_dataset(series: np.ndarray, window: int, test_split: float, source: str = "",
                   notes: dict | None = None) -> SeriesDataset:
    """Window ``series`` and split it chronologically into a :class:`SeriesDataset`.

    The test split is the last ``tail_count(n, test_split)`` windows; ``test_start`` is
    the index in ``series`` of the first test target.

    Raises:
        DataError: see :func:`windows`; a ``test_split`` outside (0, 1), or one leaving
            the train or the test split empty.
    """
    x, y = windows(series, window)
    n_test = tail_count(len(y), test_split)
    n_train = len(y) - n_test
    if n_train < 1 or n_test < 1:
        raise DataError(f"{len(y)} windows with test_split {test_split} leave "
                        f"{n_train} for train and {n_test} for test; use a longer series "
                        "or a smaller window")
    return SeriesDataset(
        train_x=x[:n_train], train_y=y[:n_train], test_x=x[n_train:], test_y=y[n_train:],
        series=np.asarray(series, dtype=np.float32), test_start=window + n_train,
        source=source,
        notes={**(notes or {}), "window": window, "train_windows": n_train,
               "test_windows": n_test})
