"""What a run folder holds: the names of its files and the size limits each is read under.

Finished runs hold :data:`METRICS`, :data:`HISTORY`, :data:`SUMMARY`, the spec as
resolved and as written, the prediction arrays and the saved text encoder; unfinished ones
:data:`RUN_FILE` and the :data:`CHECKPOINT_DIR` folder (:data:`CHECKPOINT_STATE` and the
weights it names); a sweep folder :data:`LEARNING_CURVE`.
"""

from __future__ import annotations

import re

METRICS = "metrics.json"
HISTORY = "history.csv"
SUMMARY = "summary.txt"
SPEC_RESOLVED = "spec.yaml"
SPEC_SOURCE = "spec.source.yaml"
PREDICTIONS = "predictions.npz"
REPRESENTATIONS = "representations.npz"
EXAMPLES = "examples.json"
RUN_FILE = "run.json"
ERROR_FILE = "error.txt"
TOKENIZER = "tokenizer.json"
VOCABULARY = "vocab.txt"
LEARNING_CURVE = "learning_curve.json"
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_STATE = "state.json"

MAX_JSON_BYTES = 64 << 20
"""Largest JSON file read (``metrics.json``, ``examples.json``, ...; a few KB normally)."""

MAX_TEXT_BYTES = 16 << 20
"""Largest ``history.csv``, ``summary.txt`` or ``error.txt`` read."""

MAX_SPEC_BYTES = 1 << 20
"""Largest ``spec.yaml``/``spec.source.yaml`` read."""

MAX_VOCABULARY_BYTES = 256 << 20
"""Largest ``vocab.txt`` read."""

MAX_NPZ_BYTES = 1 << 30
"""Largest ``predictions.npz``/``representations.npz`` read."""

MAX_NPZ_UNPACKED = 4 << 30
"""Largest total of an ``.npz`` file's arrays once unpacked (a zip bomb guard)."""

MAX_WEIGHTS_BYTES = 16 << 30
"""Largest checkpoint weights file accepted."""

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""The first 8 bytes of every HDF5 file (``.weights.h5``)."""

WEIGHTS_NAME = re.compile(r"epoch-([1-9][0-9]*)\.weights\.h5")
"""The only weights file name a checkpoint's ``state.json`` may give."""

ES_BEST_NAME = re.compile(r"es-best(-[1-9][0-9]*)?\.npz")
"""The names of EarlyStopping's best-weights file a checkpoint may give
(``es-best-<epoch>.npz``; ``es-best.npz`` before the epoch was part of the name)."""
