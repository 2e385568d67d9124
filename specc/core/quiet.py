"""Import Keras/TensorFlow without their start-up noise on the user's terminal.

``import tensorflow`` prints absl, oneDNN and CUDA lines from C++ that
``TF_CPP_MIN_LOG_LEVEL`` does not hide; redirecting file descriptor 2 around the
import does (see ../shared/NOTES.md). Python warnings and real errors after the
import are untouched.
"""

from __future__ import annotations

import os
import sys


def _muted_import(import_fn):
    """Run ``import_fn()`` with file descriptor 2 pointed at /dev/null; return its result."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            return import_fn()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import and return ``tensorflow`` quietly: the tokenization library
    (``TextVectorization``, keras-hub's tokenizers) under every Keras backend.

    Raises:
        RunError: TensorFlow is not installed (texts cannot be tokenized here; a run whose
            token ids are in the preprocessing cache needs none).
    """
    if sys.modules.get("tensorflow") is not None:
        return sys.modules["tensorflow"]
    import importlib
    import importlib.util
    if importlib.util.find_spec("tensorflow") is None:
        from specc.errors import RunError
        raise RunError("tokenizing texts needs TensorFlow, which is not installed: pip install "
                       "tensorflow (or train from token ids already in the preprocessing cache)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return _muted_import(lambda: importlib.import_module("tensorflow"))


def import_keras_hub():
    """Import and return ``keras_hub`` (after :func:`import_keras`), quietly.

    Raises:
        RunError: keras-hub is not installed (with the install command).
    """
    import_keras()
    if "keras_hub" in sys.modules:
        return sys.modules["keras_hub"]
    import importlib
    import importlib.util
    if importlib.util.find_spec("keras_hub") is None:
        from specc.errors import RunError
        raise RunError("pretrained backbones need keras-hub: pip install keras-hub safetensors")
    return _muted_import(lambda: importlib.import_module("keras_hub"))


BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
"""The Keras backends specc trains on (https://keras.io/getting_started/#configuring-your-
backend), each with the module it needs and the PyPI package that installs it."""


def loaded_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None (not imported)."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else None


def import_keras(backend: str | None = None):
    """Import and return ``keras`` on ``backend``, with C++-level stderr silenced during
    the import.

    Args:
        backend: ``tensorflow``, ``jax`` or ``torch``; None: ``KERAS_BACKEND`` if set, else
            the backend already loaded, else tensorflow. The choice is made before Keras
            is imported (Keras reads ``KERAS_BACKEND`` once, at import).

    Raises:
        UsageError: not one of the three backends.
        ModuleNotFoundError: Keras is not installed (``name="keras"``).
        RunError: the backend's package is not installed (one line naming what to
            install), or Keras is already imported in this process on another backend.
    """
    from specc.errors import RunError, UsageError
    backend = backend or os.environ.get("KERAS_BACKEND") or loaded_backend() or "tensorflow"
    if backend not in BACKEND_PACKAGES:
        raise UsageError(f"{backend!r} is not a Keras backend specc trains on (KERAS_BACKEND or "
                         f"train.backend): use one of {', '.join(BACKEND_PACKAGES)}")
    if sys.modules.get("keras") is not None:
        loaded = loaded_backend()
        if loaded != backend:
            raise RunError(f"Keras is already imported in this process on the {loaded} backend, "
                           f"not {backend}: a process runs one backend; start a new one with "
                           f"KERAS_BACKEND={backend}")
        return sys.modules["keras"]
    import importlib.util
    if importlib.util.find_spec("keras") is None:  # the CLI names the extra to install
        raise ModuleNotFoundError("No module named 'keras'", name="keras")
    package = BACKEND_PACKAGES[backend]
    if importlib.util.find_spec(package) is None:
        raise RunError(f"the {backend} backend needs {package}, which is not installed: "
                       f"pip install {package}")
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    def _load():
        import keras
        if backend == "tensorflow":
            import tensorflow  # noqa: F401  (loads its C++ runtime while fd 2 is muted)
        return keras
    return _muted_import(_load)
