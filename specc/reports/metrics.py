"""Test-split metrics with scikit-learn's definitions.

Classification: ``accuracy_score``, ``classification_report(output_dict=True)``
(per class ``precision``, ``recall``, ``f1-score``, ``support``; ``macro avg``;
``weighted avg``) and ``confusion_matrix`` (rows: true class, columns: predicted,
in class-id order). Regression: ``mse``, ``mae``, ``rmse``, ``r2``.
See https://scikit-learn.org/stable/modules/model_evaluation.html.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def predicted_classes(scores: np.ndarray) -> np.ndarray:
    """Class ids from model outputs: ``(n, 1)`` sigmoid scores thresholded at 0.5, or argmax of ``(n, k)``."""
    scores = np.asarray(scores)
    if scores.ndim == 1 or scores.shape[1] == 1:
        return (scores.reshape(-1) >= 0.5).astype(np.int64)
    return scores.argmax(axis=1).astype(np.int64)


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray,
                           class_names: list[str]) -> dict:
    """Accuracy, the classification report and the confusion matrix.

    Args:
        y_true, y_pred: int class ids, shape ``(n,)``.
        class_names: names by id; every class is reported even if absent from the test split.

    Returns:
        ``{"accuracy", "classification_report", "confusion_matrix", "class_names"}``.
    """
    labels = list(range(len(class_names)))
    report = skm.classification_report(y_true, y_pred, labels=labels, target_names=class_names,
                                       output_dict=True, zero_division=0)
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "classification_report": report,
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": list(class_names),
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """``mse``, ``mae``, ``rmse`` (same unit as the target) and ``r2`` of predictions ``(n,)``."""
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    mse = float(skm.mean_squared_error(y_true, y_pred))
    return {"mse": mse, "mae": float(skm.mean_absolute_error(y_true, y_pred)),
            "rmse": float(np.sqrt(mse)), "r2": float(skm.r2_score(y_true, y_pred))}
