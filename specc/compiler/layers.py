"""The built-in layers: each one's Keras arguments, shape rule and checks, in one place.

Argument names and defaults are Keras 3's (https://keras.io/api/layers/). Output
lengths follow Keras' ``compute_output_shape`` for 1-D convolution and pooling:
``valid``: ``(T - d*(k-1) - 1) // s + 1``; ``same``/``causal``: ``ceil(T / s)``.
"""

from __future__ import annotations

import math

from specc.compiler.registry import LAYER_ITEM, LAYERS, Context, LayerDef, ShapeError, Tensor, register

# --- argument schema fragments -------------------------------------------------------
POS_INT = {"type": "integer", "minimum": 1}
BOOL = {"type": "boolean"}
RATE = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}
SEED = {"type": ["integer", "null"], "minimum": 0}
ACTIVATIONS = ["linear", "relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "swish",
               "silu", "softplus", "softsign", "exponential", "leaky_relu", "relu6",
               "hard_sigmoid", "hard_silu", "mish", "log_softmax"]
ACTIVATION = {"type": ["string", "null"], "enum": ACTIVATIONS + [None]}
INITIALIZERS = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                "lecun_normal", "orthogonal", "zeros", "ones", "random_normal",
                "random_uniform", "truncated_normal", "variance_scaling"]
INITIALIZER = {"type": "string", "enum": INITIALIZERS}
REGULARIZER = {"anyOf": [
    {"type": ["string", "null"], "enum": ["l1", "l2", "l1_l2", None]},
    {"type": "object", "minProperties": 1, "additionalProperties": False,
     "properties": {f"l{n}": {"type": "number", "minimum": 0,
                              "description": f"L{n} regularization factor (keras.regularizers."
                                             f"L1L2's l{n}; unset: 0)."} for n in (1, 2)}},
]}
"""A Keras regularizer: a name (``l2`` = L2(0.01)) or factors, ``{l2: 1.0e-4}`` = ``L1L2(l2=1e-4)``."""
SIZE_1D = {"anyOf": [POS_INT, {"type": "array", "items": POS_INT, "minItems": 1, "maxItems": 1}]}
PADDING = {"type": "string", "enum": ["valid", "same"]}

DENSE_ARGS = {
    "units": POS_INT, "activation": ACTIVATION, "use_bias": BOOL,
    "kernel_initializer": INITIALIZER, "bias_initializer": INITIALIZER,
    "kernel_regularizer": REGULARIZER, "bias_regularizer": REGULARIZER,
}
RNN_COMMON = {
    "units": POS_INT, "activation": ACTIVATION, "use_bias": BOOL,
    "kernel_initializer": INITIALIZER, "recurrent_initializer": INITIALIZER,
    "bias_initializer": INITIALIZER, "kernel_regularizer": REGULARIZER,
    "recurrent_regularizer": REGULARIZER, "dropout": RATE, "recurrent_dropout": RATE,
    "return_sequences": BOOL, "go_backwards": BOOL, "unroll": BOOL, "seed": SEED,
}
GATED = {"recurrent_activation": ACTIVATION}
NORM_COMMON = {"axis": {"type": "integer"}, "epsilon": {"type": "number", "exclusiveMinimum": 0},
               "center": BOOL, "scale": BOOL}
KERAS_DOC = "https://keras.io/api/layers/"


def to_keras(args: dict) -> dict:
    """Spec arguments -> Keras constructor kwargs: regularizer factors become ``keras.regularizers.L1L2``."""
    out = dict(args)
    for key, value in args.items():
        if key.endswith("_regularizer") and isinstance(value, dict):
            import keras
            out[key] = keras.regularizers.L1L2(**value)
    return out


def _int1(value, default):
    """An int-or-[int] Keras size argument as an int (``default`` when absent or None)."""
    if value is None:
        return default
    return value[0] if isinstance(value, list) else value


def _need_sequence(x: Tensor, name: str, ctx: Context) -> None:
    """Raise unless ``x`` is a sequence of vectors ``(T, F)``; explain the usual causes."""
    if x.rank == 2:
        return
    if x.rank == 1 and x.dtype == "int":
        raise ShapeError(f"{name} expects a 3-D input (batch, timesteps, features) but gets "
                         f"token ids {x}; put an Embedding layer before it")
    prev = ctx.previous
    if prev and LAYERS.get(prev[0]) is not None and _returns_vector(prev):
        raise ShapeError(f"{name} expects a 3-D input (batch, timesteps, features) but "
                         f"layers[{ctx.index - 1}] {prev[0]} returns one vector {x}; set "
                         f"return_sequences: true on layers[{ctx.index - 1}]")
    raise ShapeError(f"{name} expects a 3-D input (batch, timesteps, features) but gets {x}")


def _returns_vector(prev: tuple[str, dict]) -> bool:
    name, args = prev
    if name == "Bidirectional":
        inner = (args or {}).get("layer") or {}
        return any(not (a or {}).get("return_sequences", False) for a in inner.values())
    return LAYERS[name].recurrent and not (args or {}).get("return_sequences", False)


# --- rules -------------------------------------------------------------------------
def _embedding(x: Tensor, args: dict, ctx: Context) -> Tensor:
    if not (x.rank == 1 and x.dtype == "int"):
        raise ShapeError(f"Embedding takes integer token ids (batch, sequence_length) but gets "
                         f"{x} here; it must be the first layer, on text input")
    input_dim = args.get("input_dim")
    if input_dim is not None and ctx.num_words is not None and input_dim != ctx.num_words:
        ctx.report(f"input_dim {input_dim} does not match preprocessing.tokenizer.num_words "
                   f"{ctx.num_words} (token ids are 0..{ctx.num_words - 1}); omit input_dim to "
                   f"take it from num_words", "input_dim")
    return Tensor(x.shape + (args["output_dim"],))


def _embedding_build(args: dict, info: dict) -> dict:
    return {"input_dim": info["num_words"], **args}


def _conv1d(x: Tensor, args: dict, ctx: Context) -> Tensor:
    _need_sequence(x, "Conv1D", ctx)
    k = _int1(args["kernel_size"], 1)
    s = _int1(args.get("strides"), 1)
    d = _int1(args.get("dilation_rate"), 1)
    padding = args.get("padding", "valid")
    t = x.shape[0]
    if padding == "valid":
        span = d * (k - 1) + 1
        if t is not None and span > t:
            raise ShapeError(f"kernel_size {k}" + (f" (dilation {d}: span {span})" if d > 1 else "")
                             + f" is longer than the sequence here ({t} steps); use a smaller "
                             f"kernel_size or padding: same", "kernel_size")
        t = None if t is None else (t - span) // s + 1
    else:
        t = None if t is None else math.ceil(t / s)
    return Tensor((t, args["filters"]))


def _pool1d(name: str):
    def rule(x: Tensor, args: dict, ctx: Context) -> Tensor:
        _need_sequence(x, name, ctx)
        p = _int1(args.get("pool_size"), 2)
        s = _int1(args.get("strides"), p)
        t = x.shape[0]
        if args.get("padding", "valid") == "valid":
            if t is not None and p > t:
                raise ShapeError(f"pool_size {p} is longer than the sequence here ({t} steps); "
                                 f"use a smaller pool_size or padding: same", "pool_size")
            t = None if t is None else (t - p) // s + 1
        else:
            t = None if t is None else math.ceil(t / s)
        return Tensor((t, x.shape[1]))
    return rule


def _global_pool(name: str):
    def rule(x: Tensor, args: dict, ctx: Context) -> Tensor:
        _need_sequence(x, name, ctx)
        return Tensor((1, x.shape[1]) if args.get("keepdims") else (x.shape[1],))
    return rule


def _rnn(name: str):
    def rule(x: Tensor, args: dict, ctx: Context) -> Tensor:
        _need_sequence(x, name, ctx)
        units = args["units"]
        return Tensor((x.shape[0], units) if args.get("return_sequences") else (units,))
    return rule


def _bidirectional(x: Tensor, args: dict, ctx: Context) -> Tensor:
    inner = args["layer"]
    if not isinstance(inner, dict) or len(inner) != 1:
        raise ShapeError("layer must hold exactly one recurrent layer, e.g. {LSTM: {units: 32}}",
                         "layer")
    (name, inner_args), = inner.items()
    wrapped = LAYERS.get(name)
    if wrapped is None or not wrapped.recurrent:
        raise ShapeError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM or GRU), "
                         f"not {name}", "layer")
    y = wrapped.infer(x, inner_args or {}, ctx)
    if args.get("merge_mode", "concat") == "concat":
        return Tensor(y.shape[:-1] + (2 * y.shape[-1],))
    return y


def _bidirectional_build(args: dict, info: dict) -> dict:
    import keras  # local: only the compiler's build step needs Keras
    (name, inner_args), = args["layer"].items()
    return {**args, "layer": getattr(keras.layers, name)(**to_keras(inner_args or {}))}


def _identity(x: Tensor, args: dict, ctx: Context) -> Tensor:
    return x


def _spatial_dropout(x: Tensor, args: dict, ctx: Context) -> Tensor:
    _need_sequence(x, "SpatialDropout1D", ctx)
    return x


def _dense(x: Tensor, args: dict, ctx: Context) -> Tensor:
    if x.dtype == "int":
        raise ShapeError(f"Dense on raw token ids {x} treats ids as numbers; put an Embedding "
                         f"layer first")
    return Tensor(x.shape[:-1] + (args["units"],))


def _flatten(x: Tensor, args: dict, ctx: Context) -> Tensor:
    if x.dtype == "int":
        raise ShapeError(f"Flatten on raw token ids {x}; put an Embedding layer first")
    if any(d is None for d in x.shape):
        raise ShapeError(f"Flatten needs a fixed sequence length but gets {x}; set "
                         f"preprocessing.sequence.max_len or use GlobalMaxPooling1D")
    return Tensor((math.prod(x.shape),))


# --- the registry entries ------------------------------------------------------------
register(LayerDef(
    "Embedding", required=("output_dim",), example={"output_dim": 64}, infer=_embedding,
    build_args=_embedding_build,
    doc=KERAS_DOC + "core_layers/embedding/",
    args={"input_dim": POS_INT, "output_dim": POS_INT, "mask_zero": BOOL,
          "embeddings_initializer": INITIALIZER, "embeddings_regularizer": REGULARIZER}))
register(LayerDef(
    "Conv1D", required=("filters", "kernel_size"), example={"filters": 64, "kernel_size": 5},
    infer=_conv1d,
    doc=KERAS_DOC + "convolution_layers/convolution1d/",
    args={"filters": POS_INT, "kernel_size": SIZE_1D, "strides": SIZE_1D,
          "padding": {"type": "string", "enum": ["valid", "same", "causal"]},
          "dilation_rate": SIZE_1D, "activation": ACTIVATION, "use_bias": BOOL,
          "kernel_initializer": INITIALIZER, "bias_initializer": INITIALIZER,
          "kernel_regularizer": REGULARIZER}))
for _pool in ("MaxPooling1D", "AveragePooling1D"):
    register(LayerDef(
        _pool, infer=_pool1d(_pool),
        doc=KERAS_DOC + f"pooling_layers/{_pool.replace('ing1D', '').lower()}1d/",
        args={"pool_size": SIZE_1D, "strides": {"anyOf": [SIZE_1D, {"type": "null"}]},
              "padding": PADDING}))
for _pool in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
    register(LayerDef(
        _pool, infer=_global_pool(_pool),
        doc=KERAS_DOC + f"pooling_layers/{_pool.replace('ing1D', '').lower()}1d/",
        args={"keepdims": BOOL}))
register(LayerDef("SimpleRNN", required=("units",), example={"units": 64}, infer=_rnn("SimpleRNN"),
              recurrent=True,
              doc=KERAS_DOC + "recurrent_layers/simple_rnn/", args=dict(RNN_COMMON)))
register(LayerDef("LSTM", required=("units",), example={"units": 64}, infer=_rnn("LSTM"),
              recurrent=True,
              doc=KERAS_DOC + "recurrent_layers/lstm/",
              args={**RNN_COMMON, **GATED, "unit_forget_bias": BOOL}))
register(LayerDef("GRU", required=("units",), example={"units": 64}, infer=_rnn("GRU"),
              recurrent=True,
              doc=KERAS_DOC + "recurrent_layers/gru/",
              args={**RNN_COMMON, **GATED, "reset_after": BOOL}))
register(LayerDef(
    "Bidirectional", required=("layer",), example={"layer": {"LSTM": {"units": 64}}},
    infer=_bidirectional, build_args=_bidirectional_build,
    doc=KERAS_DOC + "recurrent_layers/bidirectional/",
    args={"layer": {"$ref": LAYER_ITEM,
                    "description": "The recurrent layer run forwards and backwards: "
                                   "SimpleRNN, LSTM or GRU with its arguments, e.g. "
                                   "{LSTM: {units: 64}} (Keras: an RNN instance)."},
          "merge_mode": {"type": "string", "enum": ["concat", "sum", "mul", "ave"]}}))
register(LayerDef("Dropout", required=("rate",), example={"rate": 0.5}, infer=_identity,
              doc=KERAS_DOC + "regularization_layers/dropout/",
              args={"rate": RATE, "seed": SEED}))
register(LayerDef("SpatialDropout1D", required=("rate",), example={"rate": 0.5},
              infer=_spatial_dropout,
              doc=KERAS_DOC + "regularization_layers/spatial_dropout1d/",
              args={"rate": RATE, "seed": SEED}))
register(LayerDef("Dense", required=("units",), example={"units": 64}, infer=_dense,
              doc=KERAS_DOC + "core_layers/dense/", args=dict(DENSE_ARGS)))
register(LayerDef("Flatten", infer=_flatten, doc=KERAS_DOC + "reshaping_layers/flatten/", args={}))
register(LayerDef("BatchNormalization", infer=_identity,
              doc=KERAS_DOC + "normalization_layers/batch_normalization/",
              args={**NORM_COMMON, "momentum": {"type": "number", "minimum": 0, "maximum": 1}}))
register(LayerDef("LayerNormalization", infer=_identity,
              doc=KERAS_DOC + "normalization_layers/layer_normalization/",
              args=dict(NORM_COMMON)))
