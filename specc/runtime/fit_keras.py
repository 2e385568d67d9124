"""Fit a Keras model (kinds ``keras`` and ``bert``) on prepared arrays.

Loss and metrics follow the task: binary ``binary_crossentropy`` + accuracy;
multiclass ``sparse_categorical_crossentropy`` + accuracy; regression ``mse`` + mae.
``model.fit`` runs with the spec's optimizer (and learning-rate schedule sized to
the number of steps), batch size, epochs, seed and callbacks (EarlyStopping,
ModelCheckpoint of the best epoch as ``best.keras``); the test split is evaluated
once, after training; the final model is saved as ``model.keras``.
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from specc.compiler.optimizers import build_optimizer
from specc.compiler.tasks import get_task
from specc.core.files import save_model, weights_bytes, write_error
from specc.data import is_series
from specc.errors import RunError
from specc.runtime.evaluate import evaluate
from specc.runtime.fitted import Fitted
from specc.runtime.prepare import Prepared
from specc.runtime.progress import progress_callbacks


def callbacks(train: dict, folder: Path) -> list:
    """EarlyStopping, best-epoch ModelCheckpoint (``best.keras``) and TensorBoard (logs in
    ``folder/tensorboard``) as ``train`` declares."""
    out = []
    if train["tensorboard"]:
        out.append(keras.callbacks.TensorBoard(log_dir=str(folder / "tensorboard")))
    if train["early_stopping"]:
        out.append(keras.callbacks.EarlyStopping(**train["early_stopping"]))
    if train["checkpoint"]:
        out.append(AtomicModelCheckpoint(folder / "best.keras", save_best_only=True,
                                         **train["checkpoint"]))
    return out


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` whose file is written under a temporary name in
    the same folder and then renamed over the old one, so a kill while saving leaves the
    previous best model whole (Keras writes ``filepath`` in place). A write that fails is a
    RunError naming the file."""

    def _save_model(self, epoch, batch, logs):
        final = Path(self.filepath)
        tmp = final.with_name(f".{final.stem}.tmp{final.suffix}")
        self.filepath = str(tmp)
        try:
            super()._save_model(epoch, batch, logs)
            if tmp.exists():
                os.replace(tmp, final)
        except OSError as e:
            raise write_error(final, e, weights_bytes(self.model)) from None
        finally:
            self.filepath = str(final)
            tmp.unlink(missing_ok=True)


class NanGuard(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite, and remember where.

    Like ``keras.callbacks.TerminateOnNaN``, plus the epoch and batch (1-based) for the
    error message. ``tripped`` is ``(epoch, batch)`` or None.
    """

    def __init__(self):
        super().__init__()
        self.epoch, self.tripped = 0, None

    def on_epoch_begin(self, epoch, logs=None):
        """Track the current epoch (0-based from Keras)."""
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        """Stop when this batch's running loss is not finite."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.tripped = (self.epoch + 1, batch + 1)
            self.model.stop_training = True


def nan_error(tripped: tuple[int, int], optimizer: dict) -> RunError:
    """The user-facing error for a loss that became NaN/inf at ``(epoch, batch)``."""
    epoch, batch = tripped
    return RunError(f"training stopped: the loss became NaN or infinite at epoch {epoch}, batch "
                    f"{batch}; lower train.optimizer.learning_rate (now "
                    f"{optimizer['learning_rate']:g}), or set clipnorm: 1.0")


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


def _shape(tensor) -> str:
    if isinstance(tensor, dict):
        return ", ".join(f"{k}: {_shape(v)}" for k, v in tensor.items())
    if isinstance(tensor, list | tuple):
        return ", ".join(_shape(t) for t in tensor)
    return str(tuple(tensor.shape))


def layer_table(model) -> list[dict]:
    """One row per layer, as Keras' summary lists them: ``name``, ``type`` (class name),
    ``output_shape`` (``(None, 200, 64)``; ``None`` is the batch) and ``params``."""
    return [{"name": layer.name, "type": type(layer).__name__, "output_shape": _shape(layer.output),
             "params": int(layer.count_params())} for layer in model.layers]


def representer(model, spec, x_test, batch_size: int, plan=None):
    """``represent(idx)`` for :class:`~specc.runtime.fitted.Fitted`: the input of the output
    layer ``head`` for test rows ``idx`` — the last hidden layer's output, or for BERT the
    pooled backbone vector (plus any layers after it). ``plan``: the run's
    :class:`~specc.compiler.batching.Batching` (length-sorted batches when bucketing)."""
    head_in = model.get_layer("head").input
    sub = keras.Model(model.inputs, head_in)
    pooling = spec.resolved["model"].get("pooling")
    if spec.kind == "bert":
        what = f"{pooling} pooling of the BERT backbone" + (
            " and the layers after it" if spec.resolved["model"].get("layers") else "")
    else:
        what = "the last hidden layer's output"

    def represent(idx):
        from specc.compiler.batching import Batching, predict
        from specc.runtime.prepare import take
        vectors = predict(sub, take(x_test, idx), batch_size, plan or Batching())
        return vectors.reshape(len(idx), -1), f"{what}, {head_in.shape[-1]} values (input of the output layer)"
    return represent


def n_examples(x) -> int:
    """Number of examples in model inputs: an array or a dict of equally long arrays."""
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


def compiled_model(spec, prep: Prepared, options):
    """The Keras model of ``spec``, compiled as specc trains it: the task's loss and
    metrics (:data:`specc.compiler.tasks.TASKS`), the spec's optimizer with its schedule sized to the steps
    of ``train.epochs`` epochs over ``prep.x_train``, and ``options``
    (:class:`~specc.runtime.options.RunOptions`: mixed precision, XLA)."""
    from specc.compiler.batching import steps_per_epoch
    from specc.compiler.model import compile_spec
    train = spec.resolved["train"]
    n_classes = len(prep.class_names) if prep.class_names else None
    model = compile_spec(spec, n_classes=n_classes, mixed_precision=options.mixed_precision)
    task = get_task(spec.task)
    steps = steps_per_epoch(n_examples(prep.x_train), train["batch_size"]) * train["epochs"]
    model.compile(optimizer=build_optimizer(train["optimizer"], steps), loss=task.loss,
                  metrics=list(task.metrics), jit_compile=options.jit_compile)
    return model


def fit_keras(spec, prep: Prepared, folder: Path, *, resume: dict | None = None, gpus: int = 0,
              log=print, extra_callbacks: tuple = ()) -> Fitted:
    """Build, compile, fit and evaluate the Keras model of ``spec``; save it in ``folder``.

    Batches come from :mod:`specc.compiler.batching` (tf.data; length bucketing, XLA and
    mixed precision as :func:`specc.runtime.options.run_options` resolves them for a
    machine with ``gpus`` GPUs). Every epoch is checkpointed
    (:mod:`specc.runtime.checkpoint`; the caller removes the checkpoint once the run is
    written); ``resume`` is a saved checkpoint state to continue from
    (``specc train --resume``). Series windows are kept in order (not shuffled).
    ``extra_callbacks`` are more ``keras.callbacks.Callback`` objects for ``model.fit`` (a
    ``specc tune`` pruning callback), called after specc's own.

    Raises:
        RunError: the loss became NaN/inf; a checkpoint cannot be written.
        Interrupted: Ctrl-C; the message says which epoch can be resumed.
    """
    from specc.compiler.batching import eval_dataset, steps_per_epoch, train_dataset
    from specc.runtime import checkpoint, distribute
    from specc.runtime.options import run_options
    train = spec.resolved["train"]
    options = run_options(spec.resolved, gpus)
    dist = distribute.for_spec(spec)
    done = resume["epoch"] if resume else 0
    keras.utils.set_random_seed(train["seed"] + done)  # a resumed run draws new batches
    build = functools.partial(compiled_model, spec, prep, options)
    model = dist.build(build)
    loss = get_task(spec.task).loss
    # With cls/mean pooling BERT's pooler is off the loss path; Keras warns once that it
    # gets no gradients. That is expected, so that one warning is silenced.
    warnings.filterwarnings("ignore", message=r"Gradients do not exist for variables "
                                              r"\['pooled_dense/kernel', 'pooled_dense/bias'\]")
    guard, others = NanGuard(), callbacks(train, folder)
    if resume:
        with dist.scope():  # the optimizer's variables are made here
            checkpoint.restore(model, folder, resume, others)
    saver = checkpoint.EpochCheckpoint(folder, others, resume["history"] if resume else None,
                                       (resume or {}).get("train_seconds", 0.0),
                                       ((resume or {}).get("early_stopping") or {}).get("weights"))
    plan, batch_size = options.batching, train["batch_size"]
    batches = dist.shard(train_dataset(prep.x_train, prep.y_train, batch_size,
                                       seed=train["seed"] + done,
                                       shuffle=not is_series(spec.resolved), plan=plan))
    validation = dist.shard(eval_dataset(prep.x_val, prep.y_val, batch_size, plan)[0])
    progress, verbose = progress_callbacks(log)
    t1 = time.perf_counter()
    try:
        model.fit(batches, validation_data=validation, epochs=train["epochs"],
                  steps_per_epoch=steps_per_epoch(n_examples(prep.x_train), batch_size),
                  initial_epoch=done, shuffle=False,  # the tf.data pipeline shuffles
                  callbacks=[guard, *others, saver,
                             checkpoint.ResumeTrackers(folder, others, resume), *extra_callbacks,
                             *progress],
                  verbose=verbose)
    except KeyboardInterrupt:
        raise checkpoint.interrupted(folder, saver.epochs_done) from None
    except dist.peer_errors as e:  # multi-worker: another worker died
        raise dist.peer_lost(e, folder) from None
    train_seconds = time.perf_counter() - t1 + (resume or {}).get("train_seconds", 0.0)
    if guard.tripped:
        raise nan_error(guard.tripped, train["optimizer"])
    history = saver.history
    save_model(model, folder / "model.keras")
    model = dist.local_model(model, build)
    results, scores, predicted = evaluate(model, prep.x_test, prep.y_test, spec.task, loss,
                                          prep.class_names, batch_size, plan)
    return Fitted(history, model_summary(model), results, scores, predicted,
                  param_counts(model), train_seconds, train["epochs"],
                  len(history.get("loss", [])), best_epoch(history, train),
                  layers=layer_table(model),
                  represent=representer(model, spec, prep.x_test, batch_size, plan),
                  extra={"runtime": {**options.describe(), **dist.describe()},
                         **({"resumed_from_epoch": done} if resume else {})})


def best_epoch(history: dict, train: dict) -> int | None:
    """1-based epoch with the best monitored value (EarlyStopping/checkpoint monitor)."""
    monitor = (train["early_stopping"] or train["checkpoint"] or {}).get("monitor", "val_loss")
    values = history.get(monitor)
    if not values:
        return None
    best = np.argmax(values) if ("acc" in monitor or "auc" in monitor) else np.argmin(values)
    return int(best) + 1
