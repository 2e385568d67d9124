"""Evaluate a trained model once on the test split and compute the report's metrics."""

from __future__ import annotations

import numpy as np

from specc.reports.metrics import classification_metrics, predicted_classes, regression_metrics


def evaluate(model, x_test: np.ndarray, y_test: np.ndarray, task: str,
             class_names: list[str] | None, batch_size: int) -> tuple[dict, np.ndarray]:
    """Test metrics and raw model outputs.

    Returns:
        ``(metrics, scores)``: ``metrics`` has ``loss`` (the training loss on test) plus
        :func:`~specc.reports.metrics.classification_metrics` or
        :func:`~specc.reports.metrics.regression_metrics`; ``scores`` is the model output,
        ``(n, 1)`` or ``(n, n_classes)``.
    """
    loss = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0, return_dict=True)["loss"]
    scores = model.predict(x_test, batch_size=batch_size, verbose=0)
    if task == "regression":
        result = regression_metrics(y_test, scores)
    else:
        result = classification_metrics(y_test, predicted_classes(scores), class_names)
    return {"loss": float(loss), **result}, scores
