"""Reading what ``specc train --resume`` needs from an unfinished run folder, checked:
``run.json`` (how the run was started), the last ``checkpoint/state.json``, the epoch's
HDF5 weights it names and EarlyStopping's best weights, all in the folder's own
``checkpoint`` folder. Any defect is one :class:`~specc.errors.UsageError` line ``<file>:
<field>: <what is wrong>; start the run again``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from specc.core.files import check_regular_file
from specc.errors import UsageError
from specc.reports.runfolder_jsonschemas import fail, short
from specc.reports.runfolder_layout import (
    CHECKPOINT_DIR,
    CHECKPOINT_STATE,
    ES_BEST_NAME,
    HDF5_SIGNATURE,
    MAX_WEIGHTS_BYTES,
    RUN_FILE,
)
from specc.reports.runfolder_read import array_field, open_run_file, present, read_json, read_npz


def read_run_json(folder: str | Path) -> dict:
    """``run.json`` of an unfinished run: ``spec_file`` (a non-empty string), ``overrides``
    (an object; absent in runs started before ``--set`` existed), ``allow_large`` (a
    boolean, optional), ``train_fraction`` (a
    number in ``(0, 1]``).

    Raises:
        UsageError: missing or refused (``<file>: <json path>: <message>``).
    """
    return read_json(Path(folder) / RUN_FILE)


def _checkpoint_dir(folder: Path) -> Path | None:
    """``folder/checkpoint`` if it is a real folder; None when absent.

    Raises:
        UsageError: something else (a link, a file) is there.
    """
    path = folder / CHECKPOINT_DIR
    if not present(path):
        return None
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise fail(path, None, "not a folder (a link or a file); refused")
    return path


def read_checkpoint_state(folder: str | Path) -> dict | None:
    """The last saved ``checkpoint/state.json`` of a run folder, checked (the drop-in of
    :func:`specc.runtime.checkpoint.load_state`): ``epoch`` an integer >= 1; ``weights``
    exactly ``epoch-<epoch>.weights.h5`` (a file name, no path), an HDF5 file in
    ``folder/checkpoint``; ``history`` lists of ``epoch`` numbers; the EarlyStopping and
    ModelCheckpoint trackers typed, EarlyStopping's ``weights`` (when not None) a regular
    file ``es-best-<n>.npz`` in ``folder/checkpoint`` (read with :func:`read_es_best`).

    Returns:
        The state dict, or None when no epoch finished (no ``state.json``).

    Raises:
        UsageError: ``<file>: <field>: <message>; start the run again``.
    """
    directory = _checkpoint_dir(Path(folder))
    path = None if directory is None else directory / CHECKPOINT_STATE
    if path is None or not present(path):
        return None
    try:
        state = read_json(path, CHECKPOINT_STATE)
        epoch = state["epoch"]
        if state["weights"] != f"epoch-{epoch}.weights.h5":
            raise fail(path, "$.weights", f"{short(state['weights'])} is not the weights of "
                                          f"$.epoch {epoch} (epoch-{epoch}.weights.h5)")
        for name, values in state["history"].items():
            if len(values) != epoch:
                raise fail(path, f"$.history.{name}", f"has {len(values)} values; "
                                                      f"$.epoch is {epoch}")
        weights = check_hdf5(directory / state["weights"])
        if weights.resolve().parent != directory.resolve():
            raise fail(path, "$.weights", "names a file outside the checkpoint folder")
        best = (state.get("early_stopping") or {}).get("weights")
        if best is not None:
            check_regular_file(directory / best, MAX_WEIGHTS_BYTES, "early-stopping weights")
    except UsageError as e:
        raise UsageError(f"{e}; start the run again") from None
    return state


def check_hdf5(path: str | Path, limit: int = MAX_WEIGHTS_BYTES) -> Path:
    """``path`` if it is a regular file of at most ``limit`` bytes that starts with the
    HDF5 signature (a ``.weights.h5`` file; its content is checked when Keras loads it).

    Raises:
        UsageError: missing, refused, or not HDF5 (naming the file).
    """
    path = Path(path)
    with open_run_file(path, limit, "weights file") as f:
        try:
            head = f.read(len(HDF5_SIGNATURE))
        except OSError as e:
            raise fail(path, None, f"cannot be read ({e.strerror or e})") from None
    if head != HDF5_SIGNATURE:
        raise fail(path, None, "not an HDF5 weights file")
    return path


def read_es_best(folder: str | Path, name: str, like: list | None = None
                 ) -> list[np.ndarray] | None:
    """EarlyStopping's best weights ``checkpoint/<name>`` (``name`` as
    :data:`ES_BEST_NAME`; arrays ``w0`` .. ``w<m-1>`` of numbers), in order; None when
    absent. ``like``: the model's weights (``model.get_weights()``), whose number, shapes
    and dtypes the arrays must have.

    Raises:
        UsageError: ``<file>: <array>: <message>; start the run again``.
    """
    directory = _checkpoint_dir(Path(folder))
    if not ES_BEST_NAME.fullmatch(name):
        raise fail(Path(folder) / CHECKPOINT_DIR, None, f"{short(name)} is not an "
                   "early-stopping weights file name; start the run again")
    path = None if directory is None else directory / name
    if path is None or not present(path):
        return None
    try:
        arrays = read_npz(path, MAX_WEIGHTS_BYTES, MAX_WEIGHTS_BYTES)
        names = [f"w{i}" for i in range(len(arrays))]
        if sorted(arrays) != sorted(names):
            raise fail(path, None, f"holds {', '.join(sorted(arrays))[:100]}; expected "
                                   "w0, w1, ...")
        weights = [array_field(path, arrays, n, None, finite=False) for n in names]
        if like is not None:
            if len(weights) != len(like):
                raise fail(path, None, f"holds {len(weights)} arrays; the model has "
                                       f"{len(like)} weights")
            for n, w, m in zip(names, weights, like):
                if w.shape != np.shape(m) or w.dtype != np.asarray(m).dtype:
                    raise fail(path, n, f"is {w.dtype}{list(w.shape)}; the model's is "
                                        f"{np.asarray(m).dtype}{list(np.shape(m))}")
    except UsageError as e:
        raise UsageError(f"{e}; start the run again") from None
    return weights
