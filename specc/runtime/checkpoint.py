"""Per-epoch training checkpoints, so ``specc train --resume RUN_DIR`` can continue a run
that was killed (SIGKILL, power loss) or stopped with Ctrl-C.

At the end of every epoch :class:`EpochCheckpoint` writes into ``RUN_DIR/checkpoint/``:
``epoch-<n>.weights.h5`` (model and optimizer variables, ``model.save_weights``), and,
when EarlyStopping has just improved and restores best weights, ``es-best-<n>.npz`` (the
model's weights, ``model.get_weights()``);
then ``state.json`` (epochs done, the history so far, the EarlyStopping and
ModelCheckpoint trackers, and the names of the two weights files). A checkpoint is
committed as one unit: each file is written to a temporary name and renamed, new files
never replace the ones the current ``state.json`` names, ``state.json`` is renamed last,
and only then are the files it no longer names deleted, so a kill at any instant leaves
the previous consistent state (never the early-stopping weights of an epoch the state
does not know). The folder is removed when the run finishes.
Keras' ``BackupAndRestore`` does the same for weights and the epoch only; specc also
keeps the history and the callbacks' state so a resumed run ends like an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import keras

from specc.core.files import save_weights, write_error, write_text
from specc.reports.runfolder_layout import CHECKPOINT_DIR as DIR
from specc.reports.runfolder_layout import CHECKPOINT_STATE as STATE

ES_BEST = "es-best-{epoch}.npz"
"""Early stopping's best weights, saved at the end of epoch ``epoch``."""


def _tracker(callbacks: list, kind: type):
    return next((c for c in callbacks if isinstance(c, kind)), None)


class EpochCheckpoint(keras.callbacks.Callback):
    """Write the training state after each epoch (see module docstring).

    Args:
        folder: the run folder.
        callbacks: the fit's other callbacks; EarlyStopping / ModelCheckpoint state is saved.
            This callback must come after them in the list (it reads their updated state).
        history: history of the epochs done before this fit (resume), by metric name.
        seconds_before: training seconds of the epochs done before this fit.
        es_best: the early-stopping weights file the resumed state names, if any.
    """

    def __init__(self, folder: Path, callbacks: list, history: dict | None = None,
                 seconds_before: float = 0.0, es_best: str | None = None):
        super().__init__()
        self._es_best = es_best
        self.seconds_before = seconds_before
        self.dir = Path(folder) / DIR
        self.others = callbacks
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epochs_done = len(next(iter(self.history.values()), []))

    def on_train_begin(self, logs=None):
        """Start the clock (``train_seconds`` in the state adds up over resumed runs)."""
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        """Save weights, then the state that names them; drop the previous weights.
        An epoch whose loss is not finite (NaN guard) is not saved."""
        if not all(math.isfinite(float(v)) for v in (logs or {}).values()):
            return
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        self.epochs_done = epoch + 1
        try:
            self.dir.mkdir(exist_ok=True)
        except OSError as e:
            raise write_error(self.dir, e) from None
        weights = self.dir / f"epoch-{self.epochs_done}.weights.h5"
        save_weights(self.model, weights)
        state = {"epoch": self.epochs_done, "weights": weights.name, "history": self.history,
                 "train_seconds": self.seconds_before + time.perf_counter() - self._t0}
        es = _tracker(self.others, keras.callbacks.EarlyStopping)
        if es is not None:
            best = self._es_best  # the last committed state's, kept when no improvement
            if es.wait == 0 and es.restore_best_weights:
                from specc.runtime.artifacts import write_npz
                best = ES_BEST.format(epoch=self.epochs_done)
                write_npz(self.dir / best, **{f"w{i}": w for i, w in
                                              enumerate(self.model.get_weights())})
            state["early_stopping"] = {"wait": es.wait, "best": _number(es.best),
                                       "best_epoch": es.best_epoch, "weights": best}
        mc = _tracker(self.others, keras.callbacks.ModelCheckpoint)
        if mc is not None:
            state["model_checkpoint"] = {"best": _number(mc.best)}
        write_text(self.dir / STATE, json.dumps(state) + "\n")
        self._es_best = (state.get("early_stopping") or {}).get("weights")
        keep = {weights.name, self._es_best}
        for old in [*self.dir.glob("epoch-*.weights.h5"), *self.dir.glob("es-best*.npz")]:
            if old.name not in keep:
                old.unlink(missing_ok=True)


def _number(value):
    """A tracker value for JSON (``inf`` and None kept as None)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if abs(value) != float("inf") else None


def load_state(folder: Path) -> dict | None:
    """The last saved ``state.json`` of a run folder, validated
    (:func:`specc.reports.runfolder_resume.read_checkpoint_state`: the weights it names
    are plain files inside ``checkpoint/``), or None when no epoch finished.

    Raises:
        UsageError: the state or a file it names is damaged, missing or refused.
    """
    from specc.reports.runfolder_resume import read_checkpoint_state
    return read_checkpoint_state(folder)


def restore(model, folder: Path, state: dict, callbacks: list) -> None:
    """Load the checkpoint's weights (and optimizer state) into a compiled ``model`` and
    put ModelCheckpoint's best value back (EarlyStopping: :class:`ResumeTrackers`)."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    from specc.runtime.safe_load import load_weights
    load_weights(model, Path(folder) / DIR / state["weights"])
    mc = _tracker(callbacks, keras.callbacks.ModelCheckpoint)
    if mc is not None and (state.get("model_checkpoint") or {}).get("best") is not None:
        mc.best = state["model_checkpoint"]["best"]


class ResumeTrackers(keras.callbacks.Callback):
    """Puts saved EarlyStopping state back after Keras' ``on_train_begin`` reset it
    (``wait``, ``best``, ``best_epoch``, and the best weights from the ``es-best-<n>.npz``
    the state names).
    Place it after the other callbacks; with ``state`` None it does nothing."""

    def __init__(self, folder: Path, callbacks: list, state: dict | None):
        super().__init__()
        self.folder, self.others = Path(folder), callbacks
        self.saved = (state or {}).get("early_stopping")

    def on_train_begin(self, logs=None):
        """Runs after the other callbacks' ``on_train_begin``."""
        es = _tracker(self.others, keras.callbacks.EarlyStopping)
        if es is None or not self.saved:
            return
        es.wait, es.best_epoch = self.saved["wait"], self.saved["best_epoch"]
        if self.saved["best"] is not None:
            es.best = self.saved["best"]
        name = self.saved.get("weights")
        if es.restore_best_weights and name is not None:
            from specc.reports.runfolder_resume import read_es_best
            weights = read_es_best(self.folder, name, self.model.get_weights())
            if weights is not None:
                es.best_weights = weights


def interrupted(folder: Path, epochs_done: int):
    """The :class:`~specc.errors.Interrupted` error for Ctrl-C after ``epochs_done`` epochs
    of this process (the saved state may hold more, from before a resume)."""
    from specc.errors import Interrupted
    state = load_state(folder)
    done = max(epochs_done, state["epoch"] if state else 0)
    if done == 0:
        return Interrupted(f"interrupted before the first epoch ended; start the run again "
                           f"with: specc train --resume {folder}")
    return Interrupted(f"interrupted; the last checkpoint is after epoch {done}; continue "
                       f"with: specc train --resume {folder}")


def remove(folder: Path) -> None:
    """Delete the checkpoint folder (the run finished; ``model.keras`` holds the result)."""
    shutil.rmtree(Path(folder) / DIR, ignore_errors=True)
