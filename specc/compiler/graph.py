"""``specc graph``: the compiled Keras model as a diagram, like ``keras.utils.plot_model``.

``keras.utils.model_to_dot`` (needs the ``pydot`` package) builds the graph with each
layer's name, type, activation and input/output shapes; Graphviz's ``dot`` program
(Debian package ``graphviz``) renders it to SVG, PNG or PDF. Without ``dot`` the graph is
still written as a ``.dot`` text file, with a message saying how to render it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from specc.errors import RunError, UsageError

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL = "pip install pydot and install Graphviz (Debian/Ubuntu: apt-get install graphviz)"


def to_dot(model):
    """The ``pydot.Dot`` graph of a Keras model (shapes, layer names and activations shown).

    Raises:
        UsageError: pydot is not installed.
    """
    import importlib.util
    if importlib.util.find_spec("pydot") is None:
        raise UsageError(f"specc graph needs the pydot package: {INSTALL}")
    import keras
    return keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=True,
                                    show_layer_activations=True, show_dtype=False, dpi=96)


def write_graph(model, path: str | Path) -> Path:
    """Write the model's diagram to ``path``; its suffix picks the format (``.svg``,
    ``.png``, ``.pdf`` or ``.dot``).

    Returns:
        The file written.

    Raises:
        UsageError: unknown suffix; pydot missing; Graphviz's ``dot`` missing for an image
            format (the ``.dot`` text is written beside ``path`` first, and named).
        RunError: the file cannot be written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"{path}: the file name must end in one of "
                         f"{', '.join('.' + f for f in FORMATS)}")
    graph = to_dot(model)
    from specc.core.files import write_bytes, write_text
    if fmt == "dot":
        write_text(path, graph.to_string())
        return path
    if shutil.which("dot") is None:
        fallback = path.with_suffix(".dot")
        write_text(fallback, graph.to_string())
        raise UsageError(f"Graphviz's dot program was not found, so {path} was not drawn; "
                         f"wrote {fallback} instead (render it with: dot -T{fmt} {fallback} "
                         f"-o {path}). To draw directly: {INSTALL}")
    try:
        data = graph.create(format=fmt)
    except Exception as e:  # noqa: BLE001 - pydot reports Graphviz failures as bare exceptions
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise RunError(f"Graphviz could not draw {path}: {first}") from None
    write_bytes(path, data)
    return path
