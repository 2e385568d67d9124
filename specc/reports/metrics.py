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


def headline(m: dict) -> str:
    """One line of a ``metrics.json`` document's test results: ``accuracy A, loss L, macro
    F1 F`` (classification) or ``loss L, mae M, rmse R, r2 R2`` (regression)."""
    if "classification_report" not in m:
        return f"loss {m['loss']:.4f}, mae {m['mae']:.4f}, rmse {m['rmse']:.4f}, r2 {m['r2']:.4f}"
    f1 = m["classification_report"]["macro avg"]["f1-score"]
    return f"accuracy {m['accuracy']:.4f}, loss {m['loss']:.4f}, macro F1 {f1:.4f}"


def positive_scores(scores: np.ndarray) -> np.ndarray:
    """The positive class's score ``(n,)`` of a binary model: a sigmoid ``(n, 1)``, the second
    column of ``predict_proba`` ``(n, 2)``, or a ``decision_function`` margin ``(n,)``."""
    scores = np.asarray(scores, dtype="float64")
    if scores.ndim == 1:
        return scores
    return scores[:, -1]


def ranking_metrics(y_true: np.ndarray, scores: np.ndarray) -> dict:
    """``roc_auc`` (``roc_auc_score``) and ``average_precision`` (``average_precision_score``,
    the area under the precision-recall curve) of a binary model's scores.

    ``None`` for both when the test split holds one class only (the curves are undefined).
    """
    y_true = np.asarray(y_true).reshape(-1)
    if len(np.unique(y_true)) < 2:
        return {"roc_auc": None, "average_precision": None}
    s = positive_scores(scores)
    return {"roc_auc": float(skm.roc_auc_score(y_true, s)),
            "average_precision": float(skm.average_precision_score(y_true, s))}


def confidence(scores: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """How sure the model was of each prediction, ``(n,)``: the predicted class's probability
    (or margin) for ``(n, k)`` outputs; ``p`` or ``1 - p`` for a sigmoid ``(n, 1)``;
    ``|margin|`` for a binary ``decision_function`` ``(n,)``."""
    scores = np.asarray(scores, dtype="float64")
    predicted = np.asarray(predicted).reshape(-1)
    if scores.ndim == 1:
        return np.abs(scores)
    if scores.shape[1] == 1:
        p = scores[:, 0]
        return np.where(predicted == 1, p, 1.0 - p)
    return scores[np.arange(len(scores)), predicted]
