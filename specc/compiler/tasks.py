"""The tasks a spec can declare, each defined once: its head, loss, metrics, labels and
what its raw model outputs mean.

A :class:`Task` is a plain record (no Keras or scikit-learn import), so ``specc validate``
can use it. ``binary``: one sigmoid unit, ``binary_crossentropy``; ``multiclass``: one
softmax unit per class, ``sparse_categorical_crossentropy``; ``regression``: one linear
unit, ``mse``; ``masked_lm``: BERT masked-language-model pretraining (no head of its own;
keras-hub's ``BertMaskedLM``). Loss and metric names are Keras' own
(https://keras.io/api/losses/, https://keras.io/api/metrics/).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Task:
    """One task.

    Attributes:
        name: the spec's ``task`` value.
        head_units: units of the output ``Dense`` (None: one per class).
        head_activation: its activation (``sigmoid``, ``softmax``, ``linear``).
        loss: the Keras loss name used for training and the test loss.
        metrics: Keras metric names compiled with the model.
        classification: labels are class names (int64 class ids in arrays) rather than
            float32 targets.
        pretraining: the task trains a backbone (``specc pretrain``), not a predictor.
        ranked: the model's scores rank examples: test metrics add ROC AUC and average
            precision (binary).
    """

    name: str
    head_units: int | None
    head_activation: str | None
    loss: str | None
    metrics: tuple[str, ...]
    classification: bool
    pretraining: bool = False
    ranked: bool = False

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` float32 from a Keras head's outputs:
        a binary sigmoid ``(n, 1)`` becomes ``[1 - p, p]``; softmax rows are kept.

        Raises:
            ValueError: a task without class probabilities (regression, masked_lm).
        """
        if not self.classification:
            raise ValueError(f"task {self.name} has no class probabilities")
        out = np.asarray(outputs, dtype="float32")
        if self.head_units == 1:  # one sigmoid unit: P(class 1)
            p = out.reshape(-1)
            return np.stack([1.0 - p, p], axis=1)
        return out


TASKS: dict[str, Task] = {t.name: t for t in (
    Task("binary", 1, "sigmoid", "binary_crossentropy", ("accuracy",), True, ranked=True),
    Task("multiclass", None, "softmax", "sparse_categorical_crossentropy", ("accuracy",), True),
    Task("regression", 1, "linear", "mse", ("mae",), False),
    Task("masked_lm", None, None, None, (), False, pretraining=True),
)}
"""Every task by name."""


def get_task(name: str) -> Task:
    """The :class:`Task` named ``name``.

    Raises:
        KeyError: an unknown task (the schema only lets the four through).
    """
    return TASKS[name]
