"""The published schema as editors use it: descriptions, bare layer names, completion shape.

Every property carries a ``description`` (editors show it on hover); those of layer
arguments are Keras' own docstring text. A bare layer name (``- Flatten``) is accepted
only for layers that need no arguments, by the schema as by ``specc validate``, and the
schema offers each layer name to completion once.
"""

from __future__ import annotations

import inspect
import textwrap

import pytest
from jsonschema import Draft7Validator

from specc.compiler.registry import bare_layers, layers
from specc.errors import SpecError
from specc.loader.validate import load_spec
from specc.schema import load_schema
from specc.schema.keras_docs import MAX_CHARS, clean, google_args, numpydoc_params
from tests.test_validate import BASE

SPEC = BASE + "    - Embedding: {output_dim: 8}\n"


def errors_of(path) -> list[tuple]:
    """``(line, path, message)`` of every error ``specc validate`` finds (warnings about
    absent data left out: this machine may not hold the data mirror)."""
    try:
        load_spec(path)
    except SpecError as e:
        return [(i.line, i.path, i.message) for i in e.issues if i.severity == "error"]
    return []


def properties(node, path="$"):
    """``(path, name, schema)`` of every property in a schema, branches and definitions too."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    yield path, name, sub
            yield from properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{path}[{i}]")


def layer_args():
    """``(layer, arg, schema)`` of every argument in the layer definition of the schema."""
    for name, schema in load_schema()["definitions"]["layer"]["else"]["properties"].items():
        for arg, sub in schema["properties"].items():
            yield name, arg, sub


def test_every_property_has_a_description():
    found = list(properties(load_schema()))
    missing = [f"{path}: {name}" for path, name, sub in found if not sub.get("description")]
    assert len(found) > 300 and not missing, missing


def test_descriptions_are_one_line_and_short():
    for path, name, sub in properties(load_schema()):
        text = sub["description"]
        assert "\n" not in text and len(text) <= max(MAX_CHARS, 400), (path, name)


def test_layer_arguments_say_what_keras_says():
    by_arg = {(layer, arg): sub["description"] for layer, arg, sub in layer_args()}
    assert by_arg["LSTM", "units"] == "Positive integer, dimensionality of the output space."
    assert by_arg["Dropout", "rate"] == ("Float between 0 and 1. Fraction of the input units "
                                         "to drop.")
    assert by_arg["Conv1D", "kernel_size"].startswith("int or tuple/list of 1 integer")


def test_layer_argument_descriptions_come_from_keras_docstrings():
    keras = pytest.importorskip("keras")

    def normalized(cls) -> str:
        return " ".join((inspect.getdoc(cls) or "").split()).replace("( ", "(")

    from_keras = 0
    for layer, arg, sub in layer_args():
        classes = [getattr(keras.layers, layer)]
        if layers()[layer].recurrent:
            classes.append(getattr(keras.layers, layer + "Cell"))
        docs = " ".join(normalized(c) for cls in classes for c in inspect.getmro(cls))
        text = sub["description"].removesuffix("…")
        if text in docs:
            from_keras += 1
        else:  # written in the registry, where specc's meaning differs from Keras'
            assert "description" in layers()[layer].args[arg], (layer, arg, text)
    assert from_keras >= sum(1 for _ in layer_args()) - 1


def test_bare_names_only_for_layers_without_required_arguments():
    assert set(bare_layers()) == {n for n, d in layers().items() if not d.required}
    assert {"Flatten", "GlobalMaxPooling1D"} <= set(bare_layers())
    assert not {"LSTM", "Dense", "Embedding", "Dropout"} & set(bare_layers())
    validator = Draft7Validator(load_schema())
    for name in layers():
        spec = {"name": "t", "task": "binary", "data": {"dataset": "imdb"},
                "model": {"layers": [{"Embedding": {"output_dim": 8}}, name]}}
        errors = list(validator.iter_errors(spec))
        assert (not errors) == (name in bare_layers()), (name, [e.message for e in errors])


def test_each_layer_name_is_offered_once():
    # yaml-language-server completes an enum's values and the object form's property
    # names alike; no enum may repeat the layer names
    item = load_schema()["definitions"]["layer"]
    assert set(item["else"]["properties"]) == set(layers())

    def enums(node):
        if isinstance(node, dict):
            yield from node.get("enum", [])
            for key, value in node.items():
                if key != "properties":
                    yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)
    assert not set(layers()) & set(enums(item))


@pytest.mark.parametrize("entry, line, path, message", [
    ("- LSTM", 10, "$.model.layers[1]",
     "LSTM needs arguments (units); write `- LSTM: {units: 64}`"),
    ("- LSTM:", 10, "$.model.layers[1].LSTM",
     "LSTM needs arguments (units); write `LSTM: {units: 64}`"),
    ("- Conv1D", 10, "$.model.layers[1]",
     ("Conv1D needs arguments (filters, kernel_size); write "
      "`- Conv1D: {filters: 64, kernel_size: 5}`")),
    ("- Bidirectional: {layer: GRU}", 10, "$.model.layers[1].Bidirectional.layer",
     "GRU needs arguments (units); write `layer: {GRU: {units: 64}}`"),
    ("- Lstm", 10, "$.model.layers[1]", "unknown layer 'Lstm' (did you mean 'LSTM'?)"),
])
def test_layer_without_its_arguments_is_a_schema_error(write_spec, entry, line, path, message):
    found = errors_of(write_spec(SPEC + f"    {entry}\n    - GlobalMaxPooling1D\n"))
    assert found == [(line, path, message)]


@pytest.mark.parametrize("stack", ["- GlobalMaxPooling1D", "- Flatten", "- Flatten:",
                                   "- GlobalMaxPooling1D: {keepdims: false}"])
def test_bare_layers_that_need_no_arguments_are_fine(write_spec, stack):
    assert errors_of(write_spec(SPEC + f"    {stack}\n")) == []


def test_google_args_first_paragraph():
    doc = textwrap.dedent("""\
        A layer.

        Args:
            units: Positive integer,
                the size.

                More about units.
            mode: One of:

                - `"a"`: first.
                - `"b"`: second.

                Not in the description.
            seed (int): A seed.

        Call arguments:
            inputs: Not an argument.
        """)
    assert google_args(doc) == {"units": "Positive integer, the size.",
                                "mode": 'One of: - `"a"`: first. - `"b"`: second.',
                                "seed": "A seed."}


def test_numpydoc_params_with_type_and_without_refs():
    doc = textwrap.dedent("""\
        Model.

        Parameters
        ----------
        C : float, default=1.0
            Inverse of regularization strength. For an example, see
            :ref:`sphx_glr_example.py`.

            .. versionadded:: 0.19

        tol : float
            Tolerance of :class:`~sklearn.Thing`.

        Attributes
        ----------
        coef_ : ndarray
            Not a parameter.
        """)
    assert numpydoc_params(doc) == {
        "C": "Inverse of regularization strength. (float, default=1.0)",
        "tol": "Tolerance of `sklearn.Thing`. (float)"}


def test_clean_cuts_long_text_at_a_sentence_end():
    text = "First sentence, e.g. `x`. " + "Second sentence is long. " * 20
    cut = clean(text)
    assert len(cut) <= MAX_CHARS and cut.startswith("First sentence, e.g. `x`. Second")
    assert cut.endswith("long.")
    assert clean("word " * 100).endswith("…")
