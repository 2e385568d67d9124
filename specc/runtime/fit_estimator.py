"""Fit a scikit-learn pipeline (kind ``estimator``) on prepared texts.

The pipeline (:mod:`specc.compiler.pipeline`) is fitted once on the training texts;
train and validation rows of ``history.csv`` hold its loss and accuracy on each (train
only with ``data.validation_split: 0``), and the test split is scored once. Each split's
texts become features once: the training features that fitted the estimator are the ones
scored, and the test features also give the representation sample. The loss is the
one that fits the estimator's output: log loss of ``predict_proba``
(LogisticRegression), hinge loss of ``decision_function`` margins (LinearSVC,
RidgeClassifier), mean squared error for regression (scikit-learn ``log_loss``,
``hinge_loss``, ``mean_squared_error``).
The fitted pipeline is saved with skops as ``model.skops`` (:mod:`specc.runtime.safe_load`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn import metrics as skm

from specc.compiler.estimators import ESTIMATORS, estimator_entry
from specc.compiler.kinds import MODEL_KINDS
from specc.core.cache import cache_dir
from specc.errors import DataError
from specc.preprocessing.tfidf import fit_transform_texts, transform_texts
from specc.reports.metrics import classification_metrics, regression_metrics
from specc.runtime.fitted import Fitted
from specc.runtime.prepare import Prepared
from specc.runtime.safe_load import save_pipeline


def scores_of(model, x, how: str) -> np.ndarray:
    """The raw outputs of ``model`` (the pipeline on texts, or its estimator on features)
    on ``x``: probabilities, margins or predictions."""
    return np.asarray(getattr(model, how)(x), dtype="float64")


def estimator_loss(how: str, y: np.ndarray, scores: np.ndarray, n_classes: int | None) -> float:
    """Mean loss of ``scores`` against labels ``y`` (see module doc for which loss)."""
    if how == "predict_proba":
        scores = scores / scores.sum(axis=1, keepdims=True)  # float32 features: renormalize
        return float(skm.log_loss(y, scores, labels=list(range(n_classes))))
    if how == "decision_function":
        return float(skm.hinge_loss(y, scores, labels=list(range(n_classes))))
    return float(skm.mean_squared_error(y, scores))


def predicted(model, scores: np.ndarray) -> np.ndarray:
    """Class ids from scores as scikit-learn's ``predict`` derives them: argmax of
    probabilities / margins, or margin > 0 for a binary ``decision_function``
    (``model``: the pipeline or its estimator, for ``classes_``)."""
    classes = model.classes_
    if scores.ndim == 1:
        return classes[(scores > 0).astype(int)]
    return classes[scores.argmax(axis=1)]


def _metrics(how, estimator, features, y, class_names, prefix=""):
    """One scoring pass of the fitted estimator on a split's features:
    ``({prefix}loss, {prefix}accuracy}, scores, predictions)``."""
    scores = scores_of(estimator, features, how)
    n = len(class_names) if class_names else None
    row = {f"{prefix}loss": estimator_loss(how, y, scores, n)}
    pred = predicted(estimator, scores) if class_names else scores
    if class_names:
        row[f"{prefix}accuracy"] = float(skm.accuracy_score(y, pred))
    return row, scores, pred


def param_counts(pipeline) -> dict:
    """Fitted coefficients (trainable) plus a frozen backbone's weights (non-trainable)."""
    est = pipeline.named_steps["estimator"]
    trained = int(np.size(getattr(est, "coef_", 0)) + np.size(getattr(est, "intercept_", 0)))
    step = pipeline.named_steps["features"]
    frozen = step.backbone_params() if hasattr(step, "backbone_params") else 0
    return {"total": trained + frozen, "trainable": trained, "non_trainable": frozen}


def fit_estimator(spec, prep: Prepared, folder: Path, *, log=print, **_) -> Fitted:
    """Fit the pipeline of ``spec`` on ``prep``; score train, validation (when there is
    one) and test; save it."""
    from specc.compiler.pipeline import build_pipeline, describe_pipeline
    pipeline = build_pipeline(spec)
    features, est = pipeline.named_steps["features"], pipeline.named_steps["estimator"]
    how = ESTIMATORS[estimator_entry(spec.resolved["model"])[0]].scores
    t1 = time.perf_counter()
    x_train = _fit_features(features, prep)  # as Pipeline.fit, keeping x_train
    est.fit(x_train, prep.y_train)
    train_seconds = time.perf_counter() - t1
    names = prep.class_names
    history, _, _ = _metrics(how, est, x_train, prep.y_train, names)
    del x_train
    if len(prep.y_val):
        val_row, _, _ = _metrics(how, est, transform_texts(features, prep.x_val), prep.y_val,
                                 names, "val_")
        history.update(val_row)
    x_test = transform_texts(features, prep.x_test)
    test_row, scores, pred = _metrics(how, est, x_test, prep.y_test, names)
    if names:
        result = classification_metrics(prep.y_test, pred, names)
    else:
        result = regression_metrics(prep.y_test, scores)
    extra = {"estimator_output": how}
    if hasattr(features, "stats_"):
        extra["feature_cache"] = features.stats_
        hits = sum(s["cached"] for s in features.stats_)
        log(f"backbone features: {len(features.stats_) - hits} computed, {hits} read from the "
            f"cache ({cache_dir()}), {sum(s['seconds'] for s in features.stats_):.1f} s")
    if getattr(est, "n_iter_", None) is not None:  # iterative solvers only
        extra["n_iter"] = int(np.max(est.n_iter_))
    save_pipeline(pipeline, folder / MODEL_KINDS["estimator"].model_file)
    return Fitted({k: [v] for k, v in history.items()}, describe_pipeline(pipeline),
                  {"loss": test_row["loss"], **result}, scores, pred, param_counts(pipeline),
                  train_seconds, extra=extra,
                  represent=representer(x_test, spec.resolved["train"]["seed"]))


_NO_TERMS = ("After pruning, no terms remain", "max_df corresponds to < documents than min_df")
"""scikit-learn's ``ValueError`` messages when tf-idf's document-frequency limits keep no
term of the training texts (``CountVectorizer._limit_features``)."""


def _fit_features(features, prep: Prepared):
    """``fit_transform`` of the pipeline's features on the training texts.

    Raises:
        DataError: the tf-idf settings keep no term of these texts (``min_df`` above the
            number of texts, or every term pruned).
    """
    try:
        return fit_transform_texts(features, prep.x_train, prep.y_train)
    except ValueError as e:
        if not str(e).startswith(_NO_TERMS):
            raise
        settings = {k: v for k, v in features.get_params().items()
                    if k in ("min_df", "max_df", "max_features", "ngram_range")}
        raise DataError(f"tf-idf keeps no term of the {len(prep.y_train)} training texts "
                        f"with {settings}: lower min_df or raise max_df") from None


def representer(x_test, seed: int):
    """``represent(idx)`` for :class:`~specc.runtime.fitted.Fitted`: the features the
    estimator read for test rows ``idx`` (``x_test``, computed once for scoring): frozen
    backbone vectors as they are; sparse tf-idf rows reduced with ``TruncatedSVD``
    (50 components, LSA) fitted on those rows: exactly (ARPACK), on the vocabulary
    columns the rows use (the others are all zero and change nothing; IMDB: 73k of 364k
    columns for 1,000 rows, under a second instead of 4-5 s randomized on all)."""
    def represent(idx):
        features = x_test[idx]
        if not hasattr(features, "toarray"):
            return np.asarray(features), f"frozen backbone features, {features.shape[1]} values"
        if features.shape[1] <= 50 or features.shape[0] < 3:  # narrow: shown as they are
            return features.toarray(), f"tf-idf vectors, {features.shape[1]} values"
        from sklearn.decomposition import TruncatedSVD
        k = min(50, features.shape[1] - 1, features.shape[0] - 1)
        used = np.flatnonzero(features.getnnz(axis=0))
        if len(used) > k:
            reduced = TruncatedSVD(n_components=k, algorithm="arpack",
                                   random_state=seed).fit_transform(features.tocsc()[:, used])
        else:
            reduced = TruncatedSVD(n_components=k, random_state=seed).fit_transform(features)
        return reduced, f"tf-idf vectors reduced to {k} dimensions with TruncatedSVD"
    return represent
