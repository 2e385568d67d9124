"""What a fit hands back to the run writer, whatever the model kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Fitted:
    """A trained model's results, ready for ``history.csv``, ``metrics.json`` and the report.

    Attributes:
        history: per-epoch values by Keras metric name (``loss``, ``val_accuracy``, ...);
            a scikit-learn fit has one row.
        summary: the model description (Keras' summary or the scikit-learn pipeline).
        results: test metrics (``loss`` + :mod:`specc.reports.metrics` output).
        scores: raw test outputs, ``(n, 1)`` / ``(n, k)`` probabilities or margins.
        predicted: test predictions ``(n,)``: class ids, or values for regression.
        params: ``{"total", "trainable", "non_trainable"}`` parameter counts.
        train_seconds: wall time of the fit, seconds.
        epochs_requested, epochs_trained, best_epoch: None for scikit-learn models.
        extra: kind-specific facts for ``metrics.json`` (e.g. feature cache use).
        layers: rows of the model table (:func:`specc.runtime.fit_keras.layer_table`).
        represent: ``represent(test_indices) -> (vectors (m, d), description)``: the vectors
            the output layer reads, for the representation plot; None when there are none.
    """

    history: dict[str, list[float]]
    summary: str
    results: dict
    scores: np.ndarray
    predicted: np.ndarray
    params: dict
    train_seconds: float
    epochs_requested: int | None = None
    epochs_trained: int | None = None
    best_epoch: int | None = None
    extra: dict = field(default_factory=dict)
    layers: list[dict] | None = None
    represent: Callable[[np.ndarray], tuple[np.ndarray, str]] | None = None
