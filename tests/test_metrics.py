"""Report metrics follow scikit-learn's definitions."""

from __future__ import annotations

import numpy as np
import pytest

from specc.reports.metrics import classification_metrics, predicted_classes, regression_metrics


def test_predicted_classes_threshold_and_argmax():
    assert predicted_classes(np.array([[0.2], [0.5], [0.9]])).tolist() == [0, 1, 1]
    assert predicted_classes(np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])).tolist() == [1, 0]


def test_classification_metrics_by_hand():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 1])
    m = classification_metrics(y_true, y_pred, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 6)
    r = m["classification_report"]
    assert r["a"]["precision"] == pytest.approx(1 / 2) and r["a"]["recall"] == pytest.approx(1 / 2)
    assert r["b"]["precision"] == pytest.approx(2 / 4) and r["b"]["recall"] == pytest.approx(2 / 3)
    assert r["c"]["f1-score"] == 0 and r["c"]["support"] == 1
    assert r["macro avg"]["recall"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)
    assert m["confusion_matrix"] == [[1, 1, 0], [1, 2, 0], [0, 1, 0]]


def test_class_missing_from_test_is_still_reported():
    m = classification_metrics(np.array([0, 0]), np.array([0, 0]), ["x", "y"])
    assert m["classification_report"]["y"]["support"] == 0
    assert m["confusion_matrix"] == [[2, 0], [0, 0]]


def test_regression_metrics():
    m = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [5.0]]))
    assert m["mse"] == pytest.approx(4 / 3)
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx((4 / 3) ** 0.5)
    assert m["r2"] == pytest.approx(1 - 4 / 2)


@pytest.mark.parametrize("loss, y, scores", [
    ("binary_crossentropy", [0, 1, 1], [[0.2], [0.7], [0.4]]),
    ("sparse_categorical_crossentropy", [0, 2], [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]),
    ("mse", [1.0, 2.0], [[1.5], [1.0]]),
])
def test_test_loss_equals_keras_evaluate(loss, y, scores):
    from specc.core.quiet import import_keras
    from specc.runtime.evaluate import mean_loss
    keras = import_keras()
    y, scores = np.array(y), np.array(scores, dtype="float32")
    model = keras.Sequential([keras.Input((scores.shape[1],)), keras.layers.Identity()])
    model.compile(loss=loss)
    expected = model.evaluate(scores, y, verbose=0)
    assert mean_loss(loss, y, scores) == pytest.approx(expected, rel=1e-5)
