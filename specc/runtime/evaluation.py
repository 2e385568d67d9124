"""``specc evaluate``: a trained run scored on a labelled file, with the same
``metrics.json`` structure and report as training writes for its test split.

The run's facts (spec, model, parameters, training) are kept from its own
``metrics.json``; the test-split parts (``data_source``, ``n_test``, the test counts of
``class_counts``, loss, accuracy, classification report, confusion matrix, ROC AUC and
average precision for binary tasks, or the regression metrics) are those of the file, and
``evaluated`` records the run folder and the file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from specc.data.labels import encode_classes, encode_floats
from specc.errors import DataError, RunError, SpeccError
from specc.reports.metrics import classification_metrics, ranking_metrics, regression_metrics


def score(run, texts: list[str], y: np.ndarray):
    """``(metrics, predictions)``: the test-split metrics of ``run``'s model on ``texts``
    with true labels ``y`` (class ids int64 or float targets ``(n,)``)."""
    pred = run.predict(texts)
    predictor = run.predictor
    loss = predictor.loss(y, pred.outputs)
    if pred.values is not None:
        return {"loss": loss, **regression_metrics(y, pred.values)}, pred
    result = {"loss": loss, **classification_metrics(y, pred.class_ids, run.class_names)}
    if run.spec.task_def.ranked:
        result.update(ranking_metrics(y, pred.outputs))
    return result, pred


def evaluate_file(run, path: Path, *, text_column: str = "text", label_column: str = "label",
                  fmt: str | None = None, out: Path | None = None) -> dict:
    """Metrics of ``run`` (a :class:`specc.api.Run`) on the labelled file ``path``.

    With ``out``, writes there ``metrics.json`` (last), ``predictions.npz``,
    ``examples.json``, the run's ``spec.yaml``/``spec.source.yaml`` and the report
    (:func:`specc.reports.render.render_run`).

    Raises:
        DataError: unreadable data; a label that is not one of the run's classes.
        RunError: ``out`` exists and is not empty, or cannot be written.
    """
    from specc.data.files import read_labelled
    labelled = read_labelled(path, fmt, text_column, label_column)
    if not labelled.texts:
        raise DataError(f"{path}: no rows to evaluate")
    if run.class_names:
        y = encode_classes(labelled.labels, run.class_names, labelled.origins,
                           known_from=f"the run's classes ({run.folder})")
    else:
        y = encode_floats(labelled.labels, labelled.origins)
    result, pred = score(run, labelled.texts, y)
    doc = {**run.metrics, "data_source": str(path), "n_test": len(y), **result,
           "evaluated": {"run": str(run.folder), "data": str(path)}}
    if run.class_names and isinstance(run.metrics.get("class_counts"), dict):
        doc["class_counts"] = {**run.metrics["class_counts"], "test": np.bincount(
            y, minlength=len(run.class_names)).tolist()}
    if out is not None:
        _write(run, Path(out), doc, labelled.texts, y, pred)
    return doc


def _write(run, out: Path, doc: dict, texts: list[str], y: np.ndarray, pred) -> None:
    """The evaluation folder (see :func:`evaluate_file`); removed again if writing fails."""
    from specc.core.files import write_text
    from specc.reports import runfiles
    from specc.reports.render import render_run
    from specc.runtime.artifacts import most_confident_mistakes, write_npz
    from specc.runtime.rundir import create_run_dir
    create_run_dir(out)
    try:
        y_pred = pred.values if pred.values is not None else pred.class_ids
        write_npz(out / runfiles.PREDICTIONS, y_true=y, y_pred=y_pred, scores=pred.outputs)
        for name in (runfiles.SPEC_RESOLVED, runfiles.SPEC_SOURCE, runfiles.SUMMARY):
            if (run.folder / name).is_file() and not (run.folder / name).is_symlink():
                shutil.copyfile(run.folder / name, out / name)
        if run.class_names:
            k = run.spec.report["examples"]
            mistakes = most_confident_mistakes(texts, y, pred.class_ids, pred.outputs,
                                               run.class_names, k)
            write_text(out / runfiles.EXAMPLES,
                       json.dumps(mistakes, indent=1, ensure_ascii=False) + "\n")
        render_run(out, doc)
        write_text(out / runfiles.METRICS, json.dumps(doc, indent=2) + "\n")
    except SpeccError:
        shutil.rmtree(out, ignore_errors=True)
        raise
    except OSError as e:
        shutil.rmtree(out, ignore_errors=True)
        raise RunError(f"cannot write the evaluation folder {out}: {e.strerror or e}") from None
