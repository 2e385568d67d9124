"""One registry entry per layer: its schema, its semantic checks and its constructor.

Adding a layer to specc is one :func:`register` call in ``specc/compiler/layers.py``:
the JSON Schema (``specc/schema``), the semantic checks run by ``specc validate``
(``specc.compiler.shapes``) and the Keras construction (``specc.compiler.model``)
all read the same :class:`LayerDef`.

Shapes here exclude the batch axis: ``(200,)`` are 200 token ids, ``(200, 64)``
is a sequence of 200 vectors of 64 features, ``(64,)`` one vector; ``None``
stands for a length unknown before data is seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from specc.core.yaml_source import flow

Dim = Optional[int]

MAX_SEED = 2**32 - 1
"""Largest seed a spec may give (``train.seed``, a layer's ``seed``): NumPy's
``RandomState`` and scikit-learn's ``random_state`` take ``[0, 2**32 - 1]``."""


def short_int(n: int) -> str:
    """An integer for a message: ``100000000`` as is, a 300-digit one as ``1.23e299``."""
    text = str(n)
    return text if len(text) <= 15 else f"{text[0]}.{text[1:3]}e{len(text) - 1}"


@dataclass(frozen=True)
class Tensor:
    """Symbolic tensor flowing between layers: ``shape`` without batch axis, ``dtype`` "int" or "float"."""

    shape: tuple[Dim, ...]
    dtype: str = "float"

    @property
    def rank(self) -> int:
        """Number of axes, batch excluded (1: tokens or vector; 2: sequence of vectors)."""
        return len(self.shape)

    def __str__(self) -> str:
        return "(None, " + ", ".join("None" if d is None else str(d) for d in self.shape) + ")"


@dataclass
class Context:
    """What the shape rules may consult about the spec around a layer.

    Attributes:
        num_words: the tokenizer's vocabulary size (ids are in ``[0, num_words)``),
            or None for series input.
        report: ``report(message, arg=None)`` records a semantic error on the
            current layer (or on its argument ``arg``).
        previous: name and args of the previous layer in the stack, or None.
        index: position of the current layer in ``model.layers``.
    """

    num_words: Optional[int]
    report: Callable[..., None]
    previous: Optional[tuple[str, dict]] = None
    index: int = 0


class ShapeError(Exception):
    """Raised by a shape rule when a layer cannot accept its input; stops the walk.

    ``arg`` names the argument to point at (None: the layer itself).
    """

    def __init__(self, message: str, arg: Optional[str] = None):
        super().__init__(message)
        self.arg = arg


@dataclass(frozen=True)
class LayerDef:
    """A supported Keras layer.

    Attributes:
        name: the Keras class name, as written in specs (``LSTM``).
        args: argument name (Keras' own) -> JSON Schema fragment of its value.
        required: arguments the spec must give.
        infer: ``infer(x: Tensor, args: dict, ctx: Context) -> Tensor`` gives the output
            tensor; it calls ``ctx.report`` for problems that do not stop the walk and
            raises :class:`ShapeError` for those that do.
        doc: the Keras documentation page of the layer.
        recurrent: True for SimpleRNN / LSTM / GRU (what Bidirectional may wrap).
        build_args: ``build_args(args, ctx_info) -> dict`` turns spec args into Keras
            constructor kwargs (default: unchanged); used for nested layers and
            values derived from the rest of the spec.
        example: the required arguments with typical values (``{"units": 64}``), shown in
            messages about a layer written without them.
        params: ``params(x: Tensor, args: dict, ctx: Context) -> int``, the number of
            trainable and non-trainable weights the layer creates on input ``x`` (Keras'
            ``count_params()``; exact integers, however large); None: no weights.
        size_args: the arguments that set the layer's size (``units``, ``output_dim``...),
            blamed when the model is too large for memory (``input_dim`` absent stands for
            the tokenizer's ``num_words``; an argument holding a nested layer names that
            layer's own).
    """

    name: str
    args: dict
    infer: Callable[[Tensor, dict, Context], Tensor]
    doc: str
    required: tuple[str, ...] = ()
    recurrent: bool = False
    build_args: Optional[Callable[[dict, dict], dict]] = None
    extra_schema: dict = field(default_factory=dict)
    example: dict = field(default_factory=dict)
    params: Optional[Callable[[Tensor, dict, Context], int]] = None
    size_args: tuple[str, ...] = ()

    def count_params(self, x: Tensor, args: dict, ctx: Context) -> int:
        """Weights of this layer on input ``x`` (0 for a layer without ``params``)."""
        return self.params(x, args, ctx) if self.params is not None else 0

    def arg_schema(self, layer_item_ref: str) -> dict:
        """JSON Schema (Draft-07) of this layer's argument mapping.

        ``layer_item_ref`` is the ``$ref`` of a whole layer item, for arguments that
        hold a nested layer (Bidirectional's ``layer``). A layer with required arguments
        takes a mapping; one without also takes nothing (``- Flatten:``).
        """
        props = {k: _resolve_ref(v, layer_item_ref) for k, v in self.args.items()}
        schema = {
            "type": "object" if self.required else ["object", "null"],
            "description": f"Keras {self.name}: {self.doc}",
            "properties": props,
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        schema.update(self.extra_schema)
        return schema

    def entry(self) -> str:
        """This layer as a spec writes it, in YAML flow style: ``LSTM: {units: 64}``."""
        return f"{self.name}: {flow(self.example)}" if self.example else self.name


LAYER_ITEM = "#layer-item"
"""Placeholder in an argument schema for 'a whole layer item' (replaced by a real $ref)."""


def _resolve_ref(schema: dict, ref: str) -> dict:
    if schema.get("$ref") != LAYER_ITEM:
        return schema
    rest = {k: v for k, v in schema.items() if k != "$ref"}
    # Draft-07 ignores keywords beside $ref: keep them (a description) outside it
    return {**rest, "allOf": [{"$ref": ref}]} if rest else {"$ref": ref}


LAYERS: dict[str, LayerDef] = {}
"""Every supported layer by Keras class name, filled by ``specc.compiler.layers``."""


def register(layer: LayerDef) -> LayerDef:
    """Add ``layer`` to :data:`LAYERS`. Raises ValueError on a duplicate name (a specc bug)."""
    if layer.name in LAYERS:
        raise ValueError(f"layer {layer.name} registered twice")
    LAYERS[layer.name] = layer
    return layer


def bare_layers() -> list[str]:
    """Layers a spec may write as a bare name (``- Flatten``): those with no required argument."""
    return [name for name, d in layers().items() if not d.required]


def bare_name_pattern() -> str:
    """The schema's ``pattern`` of a bare layer name: one of :func:`bare_layers`."""
    return "^(" + "|".join(bare_layers()) + ")$"


def layers() -> dict[str, LayerDef]:
    """All registered layers (imports the built-in definitions on first use)."""
    from specc.compiler import layers as _builtin  # noqa: F401  (fills LAYERS)
    return LAYERS
