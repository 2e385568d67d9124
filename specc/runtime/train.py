"""``specc train``: data -> model -> fit -> test metrics -> run folder.

Loss and metrics follow the task: binary ``binary_crossentropy`` + accuracy;
multiclass ``sparse_categorical_crossentropy`` + accuracy; regression ``mse`` + mae.
Training uses ``model.fit`` on numpy arrays with the spec's optimizer, batch size,
epochs, seed and callbacks (EarlyStopping, ModelCheckpoint of the best epoch); the
test split is evaluated once, after training.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
import yaml

from specc.compiler.model import build_model
from specc.compiler.optimizers import build_optimizer
from specc.data import load_dataset
from specc.errors import SpeccError
from specc.loader.semantic import is_series
from specc.reports.markdown import write_report
from specc.runtime.device import describe_device
from specc.runtime.evaluate import evaluate
from specc.runtime.prepare import prepare
from specc.runtime.rundir import create_run_dir, default_run_dir, write_text

LOSSES = {"binary": ("binary_crossentropy", ["accuracy"]),
          "multiclass": ("sparse_categorical_crossentropy", ["accuracy"]),
          "regression": ("mse", ["mae"])}


def callbacks(train: dict, folder: Path) -> list:
    """EarlyStopping and best-epoch ModelCheckpoint (``best.keras``) as ``train`` declares."""
    out = []
    if train["early_stopping"]:
        out.append(keras.callbacks.EarlyStopping(**train["early_stopping"]))
    if train["checkpoint"]:
        out.append(keras.callbacks.ModelCheckpoint(folder / "best.keras", save_best_only=True,
                                                   **train["checkpoint"]))
    return out


def model_summary(model) -> str:
    """Keras' own ``model.summary()`` as plain text."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line), line_length=100)
    return "\n".join(lines)


def param_counts(model) -> dict:
    """``{"total", "trainable", "non_trainable"}`` parameter counts, as in Keras' summary."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = int(model.count_params())
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def write_history(folder: Path, history: dict[str, list[float]]) -> None:
    """``history.csv``: one row per epoch (``epoch``, ``loss``, ``accuracy``, ``val_*``...)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = list(history)
    w.writerow(["epoch"] + keys)
    for i, row in enumerate(zip(*(history[k] for k in keys)), start=1):
        w.writerow([i] + [f"{v:.6g}" for v in row])
    write_text(folder / "history.csv", buf.getvalue())


def train_spec(spec, out: str | None = None, log=print) -> Path:
    """Train a validated :class:`~specc.loader.validate.Spec`; return the run folder.

    Raises:
        RunError: the run folder cannot be created or written.
        DataError: the data cannot be read (the new run folder is removed again).
    """
    resolved, task, train = spec.resolved, spec.task, spec.resolved["train"]
    folder = create_run_dir(out or default_run_dir(spec.name))
    t0 = time.perf_counter()
    try:
        dataset = load_dataset(resolved["data"], spec.base_dir, task=task)
        prep = prepare(resolved, dataset)
    except SpeccError:
        shutil.rmtree(folder, ignore_errors=True)  # nothing was written yet: leave no trace
        raise
    prep_seconds = time.perf_counter() - t0
    log(f"run folder: {folder}")
    write_text(folder / "spec.yaml", yaml.safe_dump(resolved, sort_keys=False))
    log(f"data: {dataset.source}; train {len(prep.y_train)}, validation {len(prep.y_val)}, "
        f"test {len(prep.y_test)} ({prep_seconds:.1f} s)")
    if prep.encoder is not None:
        prep.encoder.save(folder)

    keras.utils.set_random_seed(train["seed"])
    n_classes = len(prep.class_names) if prep.class_names else None
    model = build_model(resolved, series=is_series(resolved), n_classes=n_classes,
                        file=str(spec.path))
    loss, metrics = LOSSES[task]
    model.compile(optimizer=build_optimizer(train["optimizer"]), loss=loss, metrics=metrics)
    summary = model_summary(model)
    write_text(folder / "summary.txt", summary + "\n")
    device = describe_device()
    log(f"device: {device}")

    t1 = time.perf_counter()
    fit = model.fit(prep.x_train, prep.y_train, validation_data=(prep.x_val, prep.y_val),
                    batch_size=train["batch_size"], epochs=train["epochs"],
                    callbacks=callbacks(train, folder), shuffle=not is_series(resolved),
                    verbose=1 if sys.stdout.isatty() else 2)
    train_seconds = time.perf_counter() - t1
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    write_history(folder, history)
    model.save(folder / "model.keras")

    results, scores = evaluate(model, prep.x_test, prep.y_test, task, loss, prep.class_names,
                               train["batch_size"])
    metrics_doc = {
        "spec": spec.name, "task": task, "spec_file": str(spec.path),
        "data_source": dataset.source, **prep.counts(),
        **results,
        "train_seconds": round(train_seconds, 3),
        "prepare_seconds": round(prep_seconds, 3),
        "epochs_requested": train["epochs"], "epochs_trained": len(history.get("loss", [])),
        "best_epoch": _best_epoch(history, train), "device": device,
        "params": param_counts(model), "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
    }
    plots = _plots(resolved, folder, history, results, dataset, scores)
    write_report(folder, metrics_doc, history, summary, plots, resolved["report"]["digits"])
    write_text(folder / "metrics.json", json.dumps(metrics_doc, indent=2) + "\n")
    _log_result(log, metrics_doc, folder)
    return folder


def _best_epoch(history: dict, train: dict) -> int | None:
    monitor = (train["early_stopping"] or train["checkpoint"] or {}).get("monitor", "val_loss")
    values = history.get(monitor)
    if not values:
        return None
    best = np.argmax(values) if ("acc" in monitor or "auc" in monitor) else np.argmin(values)
    return int(best) + 1


def _plots(resolved, folder, history, results, dataset, scores) -> list[str]:
    if not resolved["report"]["plots"]:
        return []
    from specc.reports import plots
    names = [plots.plot_history(history, folder / "history.png").name]
    if "confusion_matrix" in results:
        names.append(plots.plot_confusion_matrix(results["confusion_matrix"],
                                                 results["class_names"],
                                                 folder / "confusion_matrix.png").name)
    if getattr(dataset, "kind", "") == "series":
        names.append(plots.plot_forecast(dataset.series, dataset.test_start, scores.reshape(-1),
                                         folder / "forecast.png").name)
    return names


def _log_result(log, m: dict, folder: Path) -> None:
    if m["task"] == "regression":
        log(f"test: loss {m['loss']:.4f}, mae {m['mae']:.4f}, rmse {m['rmse']:.4f}, r2 {m['r2']:.4f}")
    else:
        f1 = m["classification_report"]["macro avg"]["f1-score"]
        log(f"test: accuracy {m['accuracy']:.4f}, loss {m['loss']:.4f}, macro F1 {f1:.4f}")
    log(f"report: {folder / 'report.md'}")
