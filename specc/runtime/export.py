"""``specc export``: a trained run as a portable model that takes raw strings.

* ``keras`` (Keras stacks and BERT): one ``.keras`` file whose input is a batch of
  strings ``(batch,)`` and whose output is the class probabilities ``(batch, n_classes)``
  float32 (regression: ``(batch, 1)``): the run's tokenizer (the fitted
  ``TextVectorization`` vocabulary plus :class:`~specc.preprocessing.padding.PadSequences`
  for the exact ``pre``/``post`` semantics, or keras-hub's BERT preprocessor) in front of
  the trained model. A sidecar ``<file>.json`` holds the class names, the task and the
  resolved spec. It loads with ``keras.saving.load_model(path, safe_mode=True)`` once
  ``specc.preprocessing.padding`` (or keras-hub, for BERT) is imported.
* ``saved_model`` (Keras stacks and BERT, TensorFlow backend): a TensorFlow SavedModel
  (``keras.export.ExportArchive``) whose ``serving_default`` signature takes a 1-D
  ``tf.string`` tensor ``texts`` and returns ``label`` (tf.string class names) and
  ``probabilities`` (float32 ``(batch, n_classes)``); regression returns ``prediction``.
  It loads and predicts with only TensorFlow (``tf.saved_model.load``; no specc, Keras or
  keras-hub import), so TF Serving can serve it: BERT's WordPiece preprocessing is
  rebuilt from core TensorFlow ops (:mod:`specc.preprocessing.wordpiece_tf`).
* scikit-learn runs (either format name): the fitted pipeline as ``.skops`` whose
  ``predict`` returns class names (its estimator's ``classes_`` are the names).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from specc.core.files import save_folder, write_error, write_text
from specc.errors import UsageError

FORMATS = ("keras", "saved_model")


def default_path(run, fmt: str) -> Path:
    """``RUN_DIR/export/<name>.keras`` / ``<name>.skops`` or the folder
    ``RUN_DIR/export/saved_model``."""
    if not run.spec.model_kind.keras:
        return run.folder / "export" / f"{run.name}.skops"
    return run.folder / "export" / (f"{run.name}.keras" if fmt == "keras" else "saved_model")


def export_run(run, fmt: str = "keras", out: str | Path | None = None) -> Path:
    """Write ``run`` (a :class:`specc.api.Run`) as ``fmt`` (see module docstring) to ``out``.

    Returns:
        The path written.

    Raises:
        UsageError: an unknown format, a series run, ``out`` already exists, or a
            ``.keras`` path without that suffix.
        RunError: the export cannot be written.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out) if out is not None else default_path(run, fmt)
    if out.exists():
        raise UsageError(f"{out} already exists; choose another --out or remove it")
    suffix = ".skops" if not run.spec.model_kind.keras else ".keras" if fmt == "keras" else None
    if suffix and out.suffix != suffix:
        what = "scikit-learn" if suffix == ".skops" else "Keras"
        raise UsageError(f"--out {out}: a {what} export's file name must end in {suffix}")
    predictor = run.predictor
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(out.parent, e) from None
    if not run.spec.model_kind.keras:
        return _export_pipeline(run, predictor, out)
    if fmt == "keras":
        from specc.core.files import save_model
        save_model(string_model(run, predictor), out)
        write_text(out.with_name(out.name + ".json"), json.dumps(
            {"task": run.task, "class_names": run.class_names, "spec": run.spec.to_dict()},
            indent=2) + "\n")
        return out
    return _export_saved_model(run, predictor, out)


def _two_columns(run, outputs):
    """A binary task's sigmoid ``(batch, 1)`` as ``[1 - p, p]`` (other outputs as they are)."""
    if run.spec.task_def.classification and run.spec.task_def.head_units == 1:
        ops = _keras_tf().ops
        return ops.concatenate([ops.subtract(1.0, outputs), outputs], axis=1)
    return outputs


def _keras_tf():
    """``keras``, after checking that the backend can hold string tensors.

    Raises:
        UsageError: another backend than TensorFlow.
    """
    from specc.core.quiet import import_keras
    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        raise UsageError("exporting a model that takes strings needs the TensorFlow backend "
                         "(KERAS_BACKEND=tensorflow)")
    return keras


def string_model(run, predictor):
    """Keras model: strings ``(batch,)`` -> the run's model outputs as probabilities
    ``(batch, n_classes)`` (binary sigmoids become two columns) or values ``(batch, 1)``."""
    keras = _keras_tf()
    pre = predictor.encoder.string_model()
    texts = keras.Input(shape=(), dtype="string", name="texts")
    outputs = _two_columns(run, predictor.model(pre(texts)))
    return keras.Model(texts, outputs, name=f"{run.name}_text")


def _export_saved_model(run, predictor, out: Path) -> Path:
    """The SavedModel of the run with the ``serving_default`` signature (module doc):
    BERT inputs from :func:`specc.preprocessing.wordpiece_tf.bert_inputs_fn` (core
    TensorFlow ops only), other models through :func:`string_model`; written to a
    temporary folder beside ``out``, then renamed."""
    import tensorflow as tf
    keras = _keras_tf()
    names = tf.constant(run.class_names or [], dtype=tf.string)
    archive = keras.export.ExportArchive()
    encoder = predictor.encoder
    if hasattr(encoder, "tokenizer"):  # WordPiece: keras-hub's runs TensorFlow Text kernels
        from specc.preprocessing.wordpiece_tf import bert_inputs_fn
        prepare = bert_inputs_fn(encoder.vocabulary(), encoder.tokenizer.lowercase,
                                 encoder.max_len)
        archive.track(predictor.model)
        for table in prepare.tables:
            archive.track(table)

        def model(texts):
            return _two_columns(run, tf.cast(predictor.model(prepare(texts)), tf.float32))
    else:
        model = string_model(run, predictor)
        archive.track(model)

    def serve(texts):
        outputs = tf.cast(model(texts), tf.float32)
        if run.class_names is None:
            return {"prediction": tf.reshape(outputs, [-1])}
        return {"label": tf.gather(names, tf.argmax(outputs, axis=1)), "probabilities": outputs}

    archive.add_endpoint("serving_default", serve,
                         input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    save_folder(out, lambda folder: archive.write_out(str(folder), verbose=False))
    return out


def _export_pipeline(run, predictor, out: Path) -> Path:
    """The run's pipeline with class names as its estimator's ``classes_`` (``.skops``)."""
    import copy

    from specc.runtime.safe_load import save_pipeline
    pipeline = copy.deepcopy(predictor.pipeline)
    if run.class_names:
        est = pipeline.named_steps["estimator"]
        est.classes_ = np.asarray(run.class_names)[np.asarray(est.classes_)]
    save_pipeline(pipeline, out)
    return out
