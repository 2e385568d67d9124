"""Pruning from per-epoch validation values: a Keras callback around Optuna's
``trial.report`` / ``trial.should_prune`` (https://optuna.readthedocs.io/en/stable/
tutorial/10_key_features/003_efficient_optimization_algorithms.html).

optuna-integration's ``KerasPruningCallback`` raises ``optuna.TrialPruned`` inside
``model.fit``, which would leave the trial's run folder unfinished. This one stops
training (``model.stop_training``) instead, so a pruned trial is a finished run folder
like any other (evaluated on validation, with its report); the caller then tells Optuna
the trial was pruned.
"""

from __future__ import annotations

import math


def pruning_callback(trial, metric: str):
    """A ``keras.callbacks.Callback`` that, after each epoch, reports ``logs[metric]`` to
    ``trial`` (step: the 1-based epoch) and stops training when the study's pruner says so;
    its ``pruned_at`` is then that epoch (None while not pruned). A NaN or missing value is
    not reported."""
    import keras

    class OptunaPruning(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.pruned_at = None

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(metric)
            if value is None or not math.isfinite(float(value)):
                return
            trial.report(float(value), epoch + 1)
            if trial.should_prune():
                self.pruned_at = epoch + 1
                self.model.stop_training = True

    return OptunaPruning()
