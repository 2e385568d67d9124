"""Raw texts -> predictions for a trained run folder, the same contract for every model kind.

A :class:`Predictor` is loaded from a run folder by its model kind
(:attr:`specc.compiler.kinds.ModelKind.predictor`): :class:`KerasPredictor` for Keras
stacks and BERT (the run's saved tokenizer, then ``model.keras`` in length-sorted
batches exactly as the test split was evaluated, :mod:`specc.compiler.batching`) and
:class:`EstimatorPredictor` for scikit-learn pipelines (``model.skops``). Both return
:class:`Predictions`: class names with one probability per class (or decision values
for LinearSVC/RidgeClassifier), or values for regression. Files are loaded safely
(:mod:`specc.runtime.safe_load`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specc.compiler.tasks import get_task
from specc.errors import UsageError


@dataclass(frozen=True)
class Predictions:
    """Predictions for ``n`` texts, in input order.

    Attributes:
        task: the run's task name.
        class_names: the run's classes, in class-id order (None for regression).
        labels: the predicted class name per text (None for regression).
        class_ids: int64 ``(n,)`` predicted class ids (None for regression).
        probabilities: float32 ``(n, n_classes)`` class probabilities (None where the model
            gives decision values or for regression).
        scores: float64 decision values of LinearSVC/RidgeClassifier: ``(n,)`` for two
            classes (> 0 means the second class), ``(n, n_classes)`` otherwise; else None.
        values: float64 ``(n,)`` regression predictions; else None.
        outputs: the raw model outputs, as the run's ``predictions.npz`` stores them for the
            test split (``scores`` there).
    """

    task: str
    class_names: list[str] | None
    labels: list[str] | None
    class_ids: np.ndarray | None
    probabilities: np.ndarray | None
    scores: np.ndarray | None
    values: np.ndarray | None
    outputs: np.ndarray

    def __len__(self) -> int:
        return len(self.outputs)

    def columns(self) -> list[str]:
        """Output column names after ``label``: one per class (probabilities), ``score``
        or ``score_<class>`` (decision values), or ``prediction`` (regression)."""
        if self.values is not None:
            return ["prediction"]
        if self.probabilities is not None:
            return list(self.class_names)
        if self.scores.ndim == 1:
            return ["score"]
        return [f"score_{c}" for c in self.class_names]

    def rows(self) -> list[dict]:
        """One dict per text: ``{"label": name, <column>: float, ...}`` (regression:
        ``{"prediction": float}``), JSON-ready."""
        if self.values is not None:
            return [{"prediction": float(v)} for v in self.values]
        table = self.probabilities if self.probabilities is not None else self.scores
        table = table.reshape(len(table), -1)
        cols = self.columns()
        return [{"label": label, **{c: float(v) for c, v in zip(cols, row)}}
                for label, row in zip(self.labels, table)]


def empty_predictions(task: str, class_names: list[str] | None) -> Predictions:
    """Predictions for no texts (every array has 0 rows)."""
    if class_names is None:
        values = np.zeros(0, "float64")
        return Predictions(task, None, None, None, None, None, values, values.reshape(0, 1))
    k = len(class_names)
    return Predictions(task, class_names, [], np.zeros(0, np.int64), np.zeros((0, k), "float32"),
                       None, None, np.zeros((0, k), "float32"))


def _from_probabilities(task: str, names: list[str], outputs: np.ndarray) -> Predictions:
    """Predictions from a Keras head's outputs; class ids as the test split was scored
    (:func:`specc.reports.metrics.predicted_classes`)."""
    from specc.reports.metrics import predicted_classes
    probs = get_task(task).probabilities(outputs)
    ids = predicted_classes(np.asarray(outputs))
    return Predictions(task, names, [names[i] for i in ids], ids, probs, None, None,
                       np.asarray(outputs))


class Predictor:
    """The trained model of a run folder, ready to predict (see module docstring).

    Args:
        folder: the run folder.
        resolved: its resolved spec (``spec.yaml``), a mapping.
        class_names: the run's classes in class-id order (``metrics.json``, as
            :class:`specc.api.Run` read and checked it); None for regression.

    Raises:
        UsageError: a missing, refused or damaged model or tokenizer file (one line).
    """

    def __init__(self, folder: Path, resolved, class_names: list[str] | None):
        self.folder, self.resolved = Path(folder), resolved
        self.task = resolved["task"]
        self.class_names = class_names

    def predict(self, texts: list[str], batch_size: int | None = None) -> Predictions:
        """Predictions for ``texts`` (a list of ``str``), in their order."""
        raise NotImplementedError

    def loss(self, y: np.ndarray, outputs: np.ndarray) -> float:
        """The run's test loss of ``outputs`` (:attr:`Predictions.outputs`) against ``y``."""
        raise NotImplementedError


class KerasPredictor(Predictor):
    """Keras stacks and BERT runs: the saved tokenizer (``vocab.txt`` + ``tokenizer.json``)
    encodes the texts to int32 ids ``(n, max_len)`` (BERT: the three input arrays), then
    ``model.keras`` predicts in length-bucketed batches of ``train.batch_size``."""

    def __init__(self, folder: Path, resolved, class_names: list[str] | None):
        super().__init__(folder, resolved, class_names)
        from specc.compiler.kinds import kind_of
        from specc.data import is_series
        from specc.preprocessing.saved import load_encoder
        from specc.runtime.options import run_options
        from specc.runtime.safe_load import load_keras_model
        if is_series(resolved):
            raise UsageError(f"{folder}: a series run predicts from windows of numbers, not "
                             "texts; specc predict takes text runs")
        self.kind = kind_of(resolved)
        self.encoder = load_encoder(self.folder)
        self.model = load_keras_model(self.folder / self.kind.model_file)
        self.plan = run_options(resolved, 0).batching
        self.batch_size = int(resolved["train"]["batch_size"])

    def predict(self, texts: list[str], batch_size: int | None = None) -> Predictions:
        """See :class:`Predictor`."""
        from specc.compiler.batching import predict
        texts = list(texts)
        x = self.encoder.encode(texts)
        outputs = predict(self.model, x, batch_size or self.batch_size, self.plan)
        if self.class_names is None:
            values = np.asarray(outputs, dtype="float64").reshape(-1)
            return Predictions(self.task, None, None, None, None, None, values, outputs)
        return _from_probabilities(self.task, self.class_names, outputs)

    def loss(self, y: np.ndarray, outputs: np.ndarray) -> float:
        """Mean training loss (the task's Keras loss) of ``outputs`` against labels ``y``."""
        from specc.runtime.evaluate import mean_loss
        return mean_loss(get_task(self.task).loss, y, outputs)


class EstimatorPredictor(Predictor):
    """scikit-learn runs: ``model.skops`` (features -> estimator) on the raw texts."""

    def __init__(self, folder: Path, resolved, class_names: list[str] | None):
        super().__init__(folder, resolved, class_names)
        from specc.compiler.estimators import ESTIMATORS, estimator_entry
        from specc.runtime.safe_load import load_pipeline
        self.pipeline = load_pipeline(self.folder / "model.skops")
        features = self.pipeline.named_steps["features"]
        if hasattr(features, "for_prediction"):  # frozen BERT vectors: no cache writes
            features.for_prediction()
        self.how = ESTIMATORS[estimator_entry(resolved["model"])[0]].scores

    def predict(self, texts: list[str], batch_size: int | None = None) -> Predictions:
        """See :class:`Predictor`."""
        from specc.runtime.fit_estimator import predicted, scores_of
        texts = list(texts)
        outputs = scores_of(self.pipeline, texts, self.how)
        if self.class_names is None:
            return Predictions(self.task, None, None, None, None, None, outputs, outputs)
        ids = np.asarray(predicted(self.pipeline, outputs), dtype=np.int64)
        labels = [self.class_names[i] for i in ids]
        if self.how == "predict_proba":
            probs = (outputs / outputs.sum(axis=1, keepdims=True)).astype("float32")
            return Predictions(self.task, self.class_names, labels, ids, probs, None, None,
                               outputs)
        return Predictions(self.task, self.class_names, labels, ids, None, outputs, None,
                           outputs)

    def loss(self, y: np.ndarray, outputs: np.ndarray) -> float:
        """Log loss, hinge loss or mean squared error, as training scored the test split."""
        from specc.runtime.fit_estimator import estimator_loss
        return estimator_loss(self.how, y, outputs,
                              len(self.class_names) if self.class_names else None)
