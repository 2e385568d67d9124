"""Per-example files a report is drawn from, written after the fit (see
:mod:`specc.reports.runfiles` for their layout): test predictions, the vectors the
output layer reads for a sample of test examples, and the most confident mistakes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from specc.core.files import write_bytes, write_text
from specc.reports import runfiles
from specc.reports.metrics import confidence

MAX_TEXT_CHARS = 600


def write_npz(path: Path, **arrays) -> None:
    """``numpy.savez_compressed`` into ``path``, atomically."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_bytes(path, buf.getvalue())


def representation_sample(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``size`` test examples, a uniform draw with ``seed``."""
    n = len(y)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def most_confident_mistakes(texts: list[str], y_true: np.ndarray, y_pred: np.ndarray,
                            scores: np.ndarray, class_names: list[str], k: int) -> list[dict]:
    """The ``k`` misclassified examples the model was surest of, surest first.

    Returns:
        ``[{"index", "text", "true", "predicted", "confidence"}]``: ``text`` cut to
        600 characters; ``confidence`` from :func:`specc.reports.metrics.confidence`
        (probability of the predicted class, or a margin).
    """
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    if not len(wrong) or k <= 0:
        return []
    conf = confidence(scores, y_pred)
    order = wrong[np.argsort(-conf[wrong], kind="stable")][:k]
    out = []
    for i in order:
        text = texts[i]
        out.append({"index": int(i),
                    "text": text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "…",
                    "true": class_names[int(y_true[i])],
                    "predicted": class_names[int(y_pred[i])],
                    "confidence": float(conf[i])})
    return out


def write_artifacts(folder: Path, spec, prep, fitted, dataset) -> None:
    """Write ``spec.source.yaml``, ``predictions.npz``, ``representations.npz`` and
    ``examples.json`` for a finished fit.

    Args:
        folder: the run folder.
        spec: the :class:`~specc.loader.validate.Spec` (its text is kept as written).
        prep: the :class:`~specc.runtime.prepare.Prepared` splits.
        fitted: the :class:`~specc.runtime.fitted.Fitted` result (``predicted``,
            ``scores``, ``represent``).
        dataset: the loaded dataset (series data adds the series to the predictions).
    """
    report = spec.resolved["report"]
    write_text(folder / runfiles.SPEC_SOURCE, spec.text)
    arrays = {"y_true": np.asarray(prep.y_test), "y_pred": np.asarray(fitted.predicted),
              "scores": np.asarray(fitted.scores)}
    if getattr(dataset, "kind", "") == "series":
        arrays.update(series=np.asarray(dataset.series), test_start=np.int64(dataset.test_start))
    write_npz(folder / runfiles.PREDICTIONS, **arrays)
    if not prep.class_names:
        return
    if fitted.represent is not None and report["representation_samples"] > 0:
        idx = representation_sample(prep.y_test, report["representation_samples"],
                                    spec.resolved["train"]["seed"])
        vectors, what = fitted.represent(idx)
        write_npz(folder / runfiles.REPRESENTATIONS, index=idx,
                  vectors=np.asarray(vectors, dtype="float32"), what=np.str_(what))
    if prep.test_texts is not None:
        mistakes = most_confident_mistakes(prep.test_texts, prep.y_test, fitted.predicted,
                                           fitted.scores, prep.class_names, report["examples"])
        write_text(folder / runfiles.EXAMPLES,
                   json.dumps(mistakes, indent=1, ensure_ascii=False) + "\n")
