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


def import_keras():
    """Import and return ``keras`` with C++-level stderr silenced during the import.

    The backend is ``KERAS_BACKEND`` if set, else tensorflow.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    def _load():
        import keras
        if os.environ["KERAS_BACKEND"] == "tensorflow":
            import tensorflow  # noqa: F401  (loads its C++ runtime while fd 2 is muted)
        return keras
    return _muted_import(_load)
