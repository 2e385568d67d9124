"""Build the Keras 3 model a valid spec declares.

Functional API: ``keras.Input`` (token ids ``(max_len,)`` int32, or a series window
``(window, 1)`` float32) -> each ``model.layers`` entry, constructed from the
registry as ``keras.layers.<Name>(**args)`` -> the head Dense. Only Keras 3 APIs,
so the model is the same on every backend.
"""

from __future__ import annotations

import keras

from specc.compiler.layers import to_keras
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

    Args:
        spec: the resolved spec (defaults filled).
        series: True for series input ``(window, 1)``, False for token ids.
        n_classes: number of classes (needed for ``task: multiclass`` with an auto head).
        file: spec file name for error messages.

    Raises:
        SpecError: Keras rejected a layer that passed validation (a specc bug, reported
            with the layer's spec path rather than a traceback).
    """
    defs = layers()
    x_in = input_tensor(spec, series)
    inputs = keras.Input(shape=x_in.shape, dtype="int32" if x_in.dtype == "int" else "float32",
                         name="tokens" if not series else "window")
    info = {"num_words": None if series else spec["preprocessing"]["tokenizer"]["num_words"]}
    x = inputs
    for i, (name, args) in enumerate(layer_entries(spec)):
        d = defs[name]
        kwargs = to_keras(d.build_args(args, info) if d.build_args else args)
        try:
            x = getattr(keras.layers, name)(**kwargs)(x)
        except (ValueError, TypeError) as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise SpecError([_issue(file, ("model", "layers", i),
                                    f"Keras rejected {name}: {first_line}")]) from None
    if spec["task"] == "multiclass" and n_classes is None and spec["model"].get("head") == "auto":
        raise SpecError([_issue(file, ("model", "head"),
                                "the number of classes is unknown before the data is read")])
    outputs = keras.layers.Dense(**head_args(spec, n_classes), name="head")(x)
    return keras.Model(inputs, outputs, name=spec["name"])


def _issue(file: str, path: tuple, message: str) -> SpecIssue:
    """An issue positioned in the spec file when it can be read again, else at 0:0."""
    from specc.loader.yaml_source import format_path, read_spec
    try:
        return read_spec(file).issue(path, message)
    except Exception:  # noqa: BLE001 - positions are a courtesy; the message must get out
        return SpecIssue(file, 0, 0, format_path(path), message)


def compile_spec(spec, n_classes: int | None = None) -> keras.Model:
    """Model of a :class:`~specc.loader.validate.Spec`, taking the class count from its data.

    For named datasets the count is static; for files the training labels are read.
    """
    from specc.data import describe
    from specc.loader.semantic import is_series
    resolved = spec.resolved
    series = is_series(resolved)
    if n_classes is None and resolved["task"] == "multiclass":
        n_classes = describe(resolved["data"]).get("n_classes")
        if n_classes is None:
            from specc.data import load_dataset
            n_classes = len(load_dataset(resolved["data"], spec.base_dir,
                                         task=resolved["task"]).class_names)
    return build_model(resolved, series=series, n_classes=n_classes, file=str(spec.path))
