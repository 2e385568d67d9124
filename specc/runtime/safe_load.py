"""Load the model files of a run folder without executing code from them.

A run folder may come from someone else, so nothing in it is trusted:

* ``.keras`` files: the archive's ``config.json`` is read first (size-limited) and every
  object in it must be a Keras or keras-hub class, or one of specc's own registered layers
  (:data:`SPECC_CLASSES`); a ``Lambda`` layer, a serialized Python function (for example
  a ``TextVectorization`` whose ``standardize`` or ``split`` is a callable, a known way
  around Keras' safe mode) or any other class is refused. The model is then loaded with
  ``keras.saving.load_model(..., safe_mode=True)``
  (https://keras.io/api/models/model_saving_apis/model_saving_and_loading/).
* Checkpoint weights (``checkpoint/epoch-<n>.weights.h5``): :func:`load_weights` checks
  the file is a regular HDF5 file before Keras reads it.
* scikit-learn pipelines: ``model.skops`` is read with ``skops.io.load`` and an explicit
  list of trusted types (:data:`TRUSTED_SKOPS_TYPES`); any other type in the file is
  refused before anything is built (https://skops.readthedocs.io/en/stable/persistence.html).
  Pickle files (``model.joblib``, ``*.pkl``) are refused outright: unpickling runs code.

Any failure to read such a file (a truncated or random file, h5py or zip errors, Keras'
``ValueError``) is one :class:`~specc.errors.UsageError` line naming the file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from specc.errors import UsageError, one_line

MAX_MODEL_BYTES = 16 << 30
"""Largest model file loaded (16 GiB)."""

MAX_CONFIG_BYTES = 64 << 20
"""Largest ``config.json`` inside a ``.keras`` file that is read (a zip bomb guard)."""

SPECC_CLASSES = {"specc>TokenVector", "specc>PadSequences", "specc>BertStringInputs"}
"""specc's own registered Keras layers (``registered_name``) a model may contain."""

PICKLES = ("model.joblib", "*.pkl", "*.pickle", "*.joblib")
"""File names that hold pickles; a run folder with one is refused."""

TRUSTED_SKOPS_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.linear_model._ridge.RidgeClassifier",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.preprocessing._label.LabelBinarizer",
    "specc.compiler.features.BertFeatures",
    "builtins.int", "builtins.float", "builtins.str", "builtins.bool", "builtins.dict",
    "builtins.list", "builtins.tuple", "builtins.slice",
    "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32", "numpy.ndarray",
    "numpy.dtype", "numpy.core.multiarray._reconstruct", "numpy.str_",
    "scipy.sparse._csr.csr_matrix",
]
"""Types a specc scikit-learn pipeline is made of: only these may be in ``model.skops``."""


def refuse_pickles(folder: Path) -> None:
    """Raise if the run folder holds a pickle file (see module docstring).

    Raises:
        UsageError: naming the file.
    """
    for pattern in PICKLES:
        for path in sorted(Path(folder).glob(pattern)):
            raise UsageError(f"{path}: specc does not load pickle files (loading one can run "
                             "any code); retrain the run with this specc version, which "
                             "stores scikit-learn pipelines as model.skops")


def _objects(node):
    """Every dict in a JSON tree (iteratively: a deeply nested config cannot recurse)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _failure(path: Path, what: str, error: BaseException) -> UsageError:
    """``<path>: <what>: <the error's first line>`` as one line (at most 300 characters)."""
    first = (str(error).strip().splitlines() or [""])[0][:300] or type(error).__name__
    return UsageError(one_line(f"{path}: {what}: {first}"))


def keras_config(path: Path) -> dict:
    """The ``config.json`` of a ``.keras`` file, checked (see module docstring).

    Raises:
        UsageError: not a ``.keras`` archive, an archive that unpacks to more than
            :data:`MAX_MODEL_BYTES`, an oversized or unreadable config, or a class that
            could run code on load (named in the message).
    """
    from specc.reports.runfolder_read import open_run_file
    try:
        with open_run_file(path, MAX_MODEL_BYTES, "model file") as f, \
                zipfile.ZipFile(f) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_MODEL_BYTES:
                raise UsageError(f"{path}: unpacks to more than {MAX_MODEL_BYTES} bytes; "
                                 "refused")
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise UsageError(f"{path}: config.json is {info.file_size} bytes; refused")
            config = json.loads(archive.read(info).decode("utf-8"))
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - zip, UTF-8, JSON, recursion: a foreign file
        raise UsageError(f"{path}: not a readable .keras model file ({type(e).__name__})") from None
    if not isinstance(config, dict):
        raise UsageError(f"{path}: config.json is not a JSON object; not a .keras model file")
    for obj in _objects(config):
        name = obj.get("class_name")
        if not isinstance(name, str):
            continue
        module, registered = obj.get("module"), obj.get("registered_name")
        if name in ("Lambda", "__lambda__", "function") or (
                "function_type" in obj or name == "__function__"):
            raise UsageError(f"{path}: the model contains Python code ({name}); refused "
                             "(specc never runs code from a run folder)")
        if registered in SPECC_CLASSES:
            continue
        if module is None and registered is None:
            continue  # resolved among Keras' own classes only (e.g. "Functional")
        if not (isinstance(module, str) and (module == "keras" or module.startswith(
                ("keras.", "keras_hub.")))):
            raise UsageError(f"{path}: the model contains the class {name!r} from "
                             f"{module or registered!r}, which specc does not load; refused")
        if name == "TextVectorization":
            inner = obj.get("config") or {}
            for key in ("standardize", "split"):
                if not (inner.get(key) is None or isinstance(inner.get(key), str)):
                    raise UsageError(f"{path}: TextVectorization's {key} is a Python "
                                     "callable; refused (specc never runs code from a run "
                                     "folder)")
    return config


def load_keras_model(path: Path):
    """The Keras model in ``path``, checked by :func:`keras_config`, then loaded with
    ``safe_mode=True`` and without its training configuration (``compile=False``).

    Raises:
        UsageError: a refused or unreadable file (one line).
    """
    config = keras_config(path)
    from specc.core.quiet import import_keras, import_keras_hub
    keras = import_keras()
    text = json.dumps(config)
    if "keras_hub" in text:
        import_keras_hub()  # registers keras-hub's classes for deserialization
    if "specc>" in text:
        import specc.compiler.bert  # noqa: F401  (registers TokenVector)
        import specc.preprocessing.padding  # noqa: F401  (registers PadSequences)
        from specc.preprocessing.wordpiece import bert_string_inputs
        bert_string_inputs()  # registers BertStringInputs
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # noqa: BLE001 - any failure of a foreign file is one line
        raise _failure(path, "the model cannot be loaded", e) from None


def load_weights(model, path: Path) -> None:
    """``model.load_weights(path)`` for a checkpoint's ``.weights.h5`` file (model and
    optimizer variables), after checking it is a regular HDF5 file in size limits
    (:func:`specc.reports.runfolder_resume.check_hdf5`).

    Raises:
        UsageError: a missing, refused, truncated or random file, or weights that do not
            fit ``model`` (one line naming the file).
    """
    from specc.reports.runfolder_resume import check_hdf5
    check_hdf5(path, MAX_MODEL_BYTES)
    try:
        model.load_weights(path)
    except Exception as e:  # noqa: BLE001 - h5py, Keras: any failure of a foreign file
        raise _failure(path, "the checkpoint weights cannot be loaded", e) from None


def save_pipeline(pipeline, path: Path) -> None:
    """Write a fitted scikit-learn pipeline with ``skops.io.dumps``, atomically."""
    import skops.io as sio

    from specc.core.files import write_bytes
    features = pipeline.named_steps["features"]
    if hasattr(features, "stop_words_"):
        features.stop_words_ = None  # only lists discarded terms: keeps the file small
    from specc.preprocessing.tfidf import packed_vocabulary
    with packed_vocabulary(pipeline):  # tf-idf terms as 2 arrays: 13 MB, not 230 MB of JSON
        write_bytes(path, sio.dumps(pipeline))


def load_pipeline(path: Path):
    """The scikit-learn pipeline in ``path`` (``.skops``), loaded only if every type in it
    is in :data:`TRUSTED_SKOPS_TYPES`.

    Raises:
        UsageError: an untrusted type (named), or an unreadable file.
    """
    import skops.io as sio

    from specc.reports.runfolder_read import read_bytes
    data = read_bytes(path, MAX_MODEL_BYTES, "model file")
    try:
        untrusted = [t for t in sio.get_untrusted_types(data=data)
                     if t not in TRUSTED_SKOPS_TYPES]
    except Exception as e:  # noqa: BLE001 - a foreign file: one line
        raise UsageError(f"{path}: not a readable .skops file ({type(e).__name__})") from None
    if untrusted:
        raise UsageError(f"{path}: holds types specc does not trust: {', '.join(untrusted[:5])}; "
                         "refused")
    from specc.preprocessing.tfidf import unpack_vocabulary
    try:
        return unpack_vocabulary(sio.loads(data, trusted=TRUSTED_SKOPS_TYPES))
    except Exception as e:  # noqa: BLE001
        raise _failure(path, "the pipeline cannot be loaded", e) from None
