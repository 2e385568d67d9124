"""Build the Keras 3 model a valid spec declares.

Functional API: ``keras.Input`` (token ids ``(max_len,)`` int32, or a series window
``(window, 1)`` float32) -> each ``model.layers`` entry, constructed from the
registry as ``keras.layers.<Name>(**args)`` -> the head Dense. Only Keras 3 APIs,
so the model is the same on every backend.
"""

from __future__ import annotations

from contextlib import contextmanager

import keras

from specc.compiler.layers import to_keras
from specc.compiler.lengths import uses_bucketing
from specc.compiler.registry import layers
from specc.compiler.shapes import HEAD_RULES, input_tensor, layer_entries
from specc.errors import SpecError, SpecIssue


def head_args(spec: dict, n_classes: int | None) -> dict:
    """Keras ``Dense`` kwargs of the output layer: derived from the task unless overridden."""
    head = spec["model"].get("head", "auto")
    if head != "auto":
        return dict(head)
    units, activation = HEAD_RULES[spec["task"]]
    return {"units": units or n_classes, "activation": activation}


def build_model(spec: dict, *, series: bool, n_classes: int | None = None,
                file: str = "<spec>") -> keras.Model:
    """Construct the (uncompiled) Keras model of a resolved spec dict.

    With length bucketing (:func:`specc.compiler.lengths.uses_bucketing`) the token input
    is ``(None,)`` (any length: batches come trimmed), else ``(max_len,)``.

    Args:
        spec: the resolved spec (defaults filled).
        series: True for series input ``(window, 1)``, False for token ids.
        n_classes: number of classes (needed for ``task: multiclass`` with an auto head).
        file: spec file name for error messages.

    Raises:
        SpecError: Keras rejected a layer that passed validation (a specc bug, reported
            with the layer's spec path rather than a traceback).
    """
    x_in = input_tensor(spec, series)
    shape = (None,) if uses_bucketing(spec, series) else x_in.shape
    inputs = keras.Input(shape=shape, dtype="int32" if x_in.dtype == "int" else "float32",
                         name="tokens" if not series else "window")
    info = {"num_words": None if series else spec["preprocessing"]["tokenizer"]["num_words"]}
    x = apply_layers(inputs, spec, info, file)
    return keras.Model(inputs, output_head(x, spec, n_classes, file), name=spec["name"])


def apply_layers(x, spec: dict, info: dict, file: str = "<spec>"):
    """Apply each ``model.layers`` entry to the Keras tensor ``x``; return the last output.

    ``info`` carries values derived from the rest of the spec (``num_words``).

    Raises:
        SpecError: Keras rejected a layer that passed validation, at the layer's spec path.
    """
    defs = layers()
    for i, (name, args) in enumerate(layer_entries(spec)):
        d = defs[name]
        kwargs = to_keras(d.build_args(args, info) if d.build_args else args)
        try:
            x = getattr(keras.layers, name)(**kwargs)(x)
        except (ValueError, TypeError) as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise SpecError([_issue(file, ("model", "layers", i),
                                    f"Keras rejected {name}: {first_line}")]) from None
    return x


def output_head(x, spec: dict, n_classes: int | None, file: str = "<spec>"):
    """The output ``Dense`` (named ``head``) applied to ``x``: ``(batch, units)``, float32
    even under a mixed-precision policy (Keras' mixed precision guide: keep the outputs
    that feed the loss in float32).

    Raises:
        SpecError: a multiclass auto head without a known class count.
    """
    if spec["task"] == "multiclass" and n_classes is None and spec["model"].get("head") == "auto":
        raise SpecError([_issue(file, ("model", "head"),
                                "the number of classes is unknown before the data is read")])
    return keras.layers.Dense(**head_args(spec, n_classes), name="head", dtype="float32")(x)


def _issue(file: str, path: tuple, message: str) -> SpecIssue:
    """An issue positioned in the spec file when it can be read again, else at 0:0."""
    from specc.core.yaml_source import format_path, read_spec
    try:
        return read_spec(file).issue(path, message)
    except Exception:  # noqa: BLE001 - positions are a courtesy; the message must get out
        return SpecIssue(file, 0, 0, format_path(path), message)


def class_count(spec) -> int | None:
    """Number of classes of a multiclass :class:`~specc.loader.validate.Spec` (else None).

    For named datasets the count is static; for files the training labels are read.
    """
    from specc.data import describe
    resolved = spec.resolved
    task = spec.task_def
    if not (task.classification and task.head_units is None):  # one output per class
        return None
    n_classes = describe(resolved["data"]).get("n_classes")
    if n_classes is None:
        from specc.data import load_dataset
        n_classes = len(load_dataset(resolved["data"], spec.base_dir,
                                     task=resolved["task"]).class_names)
    return n_classes


@contextmanager
def dtype_policy(mixed_precision: bool):
    """Build layers under Keras' ``mixed_float16`` policy (float16 compute, float32
    variables; https://keras.io/api/mixed_precision/) when asked; restore the previous
    global policy afterwards."""
    if not mixed_precision:
        yield
        return
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def compile_spec(spec, n_classes: int | None = None, mixed_precision: bool = False):
    """Model of a :class:`~specc.loader.validate.Spec`: a Keras model (kinds keras and
    bert; keras-hub ``BertMaskedLM`` for task masked_lm) or an unfitted scikit-learn
    ``Pipeline`` (kind estimator).

    ``n_classes`` defaults to :func:`class_count`. ``mixed_precision`` builds the Keras
    model under :func:`dtype_policy` (the runtime asks for it on GPUs).
    """
    kind = spec.model_kind
    if not kind.keras:
        return kind.build(spec, None)
    with dtype_policy(mixed_precision):
        return kind.build(spec, class_count(spec) if n_classes is None else n_classes)


def keras_stack(spec, n_classes: int | None):
    """:func:`build_model` for a :class:`~specc.loader.spec.Spec` (the ``keras`` kind's
    builder, :mod:`specc.compiler.kinds`)."""
    from specc.data import is_series
    return build_model(spec.resolved, series=is_series(spec.resolved), n_classes=n_classes,
                       file=str(spec.path))
