"""``sine``: a generated sine wave (no files), for sequence-regression smoke tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specc.data.base import SeriesDataset
from specc.data.series import series_dataset


def generate(steps: int, period: float, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """``sin(2*pi*t / period)`` for ``t = 0 .. steps-1`` plus Gaussian noise of std ``noise``
    drawn from ``numpy.random.default_rng(seed)``; ``float32``, shape ``(steps,)``."""
    t = np.arange(steps, dtype=np.float64)
    values = np.sin(2.0 * np.pi * t / period)
    if noise > 0:
        values = values + np.random.default_rng(seed).normal(0.0, noise, size=steps)
    return values.astype(np.float32)


def load(data_dir: Path, options: dict) -> SeriesDataset:
    """Generate the series and window it (``data_dir`` is unused).

    ``options``: ``steps``, ``period``, ``noise``, ``seed`` (the dataset's options) plus
    ``window`` and ``test_split`` (the data section's windowing keys).
    """
    values = generate(options["steps"], options["period"], options["noise"], options["seed"])
    return series_dataset(
        values, options["window"], options["test_split"],
        source=(f"sine wave, {options['steps']} steps, period {options['period']}, "
                f"noise std {options['noise']} (seed {options['seed']})"),
        notes={"steps": options["steps"]})
