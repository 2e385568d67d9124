"""Which Keras backend trains a spec: ``KERAS_BACKEND``, else ``train.backend``, else the
``auto`` rule below.

``auto`` is the backend measured fastest for the kind of model on a CPU machine like the
one specc is developed on (bench/backends.py; README, Backends), among the backends
installed; TensorFlow wherever no other backend was measured clearly faster. A process
that has already imported Keras keeps its backend (Keras reads ``KERAS_BACKEND`` once).
This module imports no framework (``specc validate`` uses the spec layer only).
"""

from __future__ import annotations

import importlib.util
import os

from specc.compiler.kinds import kind_of
from specc.core.quiet import BACKEND_PACKAGES, import_keras, loaded_backend

AUTO_BACKENDS: dict[str, tuple[str, ...]] = {
    "keras": ("tensorflow",),
    "bert": ("tensorflow",),
    "estimator": ("tensorflow",),
    "masked_lm": ("tensorflow",),
}
"""Model kind -> the backends ``auto`` tries, fastest first (the first one installed wins)."""


def choose_backend(resolved) -> str:
    """The backend a resolved spec trains on: ``KERAS_BACKEND`` where set; else the
    backend of a Keras already imported in this process when ``train.backend`` is auto;
    else ``train.backend``; else the ``auto`` rule (:data:`AUTO_BACKENDS`).

    Returns ``tensorflow``, ``jax`` or ``torch`` (an unknown ``KERAS_BACKEND`` is
    returned as it is; :func:`specc.core.quiet.import_keras` refuses it in one line).
    """
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env
    asked = (resolved.get("train") or {}).get("backend", "auto")
    if asked != "auto":
        return asked
    loaded = loaded_backend()
    if loaded:
        return loaded
    for backend in AUTO_BACKENDS[kind_of(resolved).name]:
        if importlib.util.find_spec(BACKEND_PACKAGES[backend]) is not None:
            return backend
    return "tensorflow"


def use_backend(spec):
    """Import Keras on the backend :func:`choose_backend` gives for ``spec`` (a
    :class:`~specc.loader.spec.Spec`) and return ``keras``; call it before anything else
    of the run imports Keras.

    Raises:
        UsageError: an unknown ``KERAS_BACKEND``.
        RunError: the backend is not installed, or Keras is already imported here on
            another backend (see :func:`specc.core.quiet.import_keras`).
    """
    return import_keras(choose_backend(spec.resolved))
