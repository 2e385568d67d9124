"""Evaluate a trained model once on the test split and compute the report's metrics."""

from __future__ import annotations

import numpy as np

from specc.compiler.tasks import get_task
from specc.reports.metrics import classification_metrics, predicted_classes, regression_metrics


def mean_loss(loss_name: str, y_true: np.ndarray, scores: np.ndarray) -> float:
    """Mean of the training loss (a Keras loss name) over the test split, from the model outputs.

    Same value as ``model.evaluate``'s loss, without a second pass over the data.
    """
    import keras
    y = np.asarray(y_true)
    if loss_name in ("binary_crossentropy", "mse"):
        y = y.reshape(-1, 1).astype("float32")
    values = keras.losses.get(loss_name)(y, scores)
    return float(np.mean(keras.ops.convert_to_numpy(values)))


def evaluate(model, x_test: np.ndarray, y_test: np.ndarray, task: str, loss_name: str,
             class_names: list[str] | None,
             batch_size: int, plan=None) -> tuple[dict, np.ndarray, np.ndarray]:
    """Test metrics and raw model outputs, from one prediction pass (in length-sorted
    batches when ``plan`` buckets, :func:`specc.compiler.batching.predict`; outputs are in
    the test split's order either way).

    Returns:
        ``(metrics, scores, predicted)``: ``metrics`` has ``loss`` (the training loss on
        test) plus :func:`~specc.reports.metrics.classification_metrics` or
        :func:`~specc.reports.metrics.regression_metrics`; ``scores`` is the model output,
        ``(n, 1)`` or ``(n, n_classes)``; ``predicted`` the class ids (or values) ``(n,)``.
    """
    from specc.compiler.batching import Batching, predict
    scores = predict(model, x_test, batch_size, plan or Batching())
    if not get_task(task).classification:
        predicted = np.asarray(scores, dtype="float64").reshape(-1)
        result = regression_metrics(y_test, predicted)
    else:
        predicted = predicted_classes(scores)
        result = classification_metrics(y_test, predicted, class_names)
    return {"loss": mean_loss(loss_name, y_test, scores), **result}, scores, predicted
