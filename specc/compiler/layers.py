"""The built-in layers: each one's Keras arguments, shape rule and checks, in one place.

Argument names and defaults are Keras 3's (https://keras.io/api/layers/). Output
lengths follow Keras' ``compute_output_shape`` for 1-D convolution and pooling:
``valid``: ``(T - d*(k-1) - 1) // s + 1``; ``same``/``causal``: ``ceil(T / s)``. A window
(kernel span, pool size) or stride longer than the sequence it meets is refused whatever
the padding: it only pads zeros, and huge values crash TensorFlow. Weight counts
(``params``) are Keras' ``count_params()`` for the layer on that input. All arithmetic is
on Python integers, so absurd sizes give absurd (exact) numbers, never an overflow.
"""

from __future__ import annotations

import math

from specc.compiler.registry import (LAYER_ITEM, LAYERS, MAX_SEED, Context, LayerDef, ShapeError,
                                     Tensor, register, short_int)

# --- argument schema fragments -------------------------------------------------------
POS_INT = {"type": "integer", "minimum": 1}
BOOL = {"type": "boolean"}
RATE = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}
SEED = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SEED}
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
    t = x.shape[0]
    span = d * (k - 1) + 1
    if t is not None and span > t:
        arg = "dilation_rate" if d > 1 and k <= t else "kernel_size"
        raise ShapeError(f"kernel_size {short_int(k)}" + (f" (dilation {short_int(d)}: span "
                                                       f"{short_int(span)})" if d > 1 else "")
                         + f" is longer than the sequence here ({t} steps); use a smaller "
                         f"{arg}", arg)
    _stride_fits(s, t)
    return Tensor((_steps(t, span, s, args.get("padding", "valid")), args["filters"]))


def _conv1d_params(x: Tensor, args: dict, ctx: Context) -> int:
    filters = args["filters"]
    return _int1(args["kernel_size"], 1) * x.shape[-1] * filters + _bias(args, filters)


def _bias(args: dict, units: int) -> int:
    """Bias weights of a layer with ``units`` outputs (none with ``use_bias: false``)."""
    return units if args.get("use_bias", True) else 0


def _stride_fits(s: int, t) -> None:
    """Raise when the stride ``s`` is longer than the sequence (``t`` steps)."""
    if t is not None and s > t:
        raise ShapeError(f"strides {short_int(s)} is longer than the sequence here ({t} steps); "
                         f"use strides of at most {t}", "strides")


def _steps(t, window: int, s: int, padding: str):
    """Output length of a 1-D window ``window`` with stride ``s`` over ``t`` steps."""
    if t is None:
        return None
    return (t - window) // s + 1 if padding == "valid" else -(-t // s)


def _pool1d(name: str):
    def rule(x: Tensor, args: dict, ctx: Context) -> Tensor:
        _need_sequence(x, name, ctx)
        p = _int1(args.get("pool_size"), 2)
        s = _int1(args.get("strides"), p)
        t = x.shape[0]
        if t is not None and p > t:
            raise ShapeError(f"pool_size {short_int(p)} is longer than the sequence here ({t} "
                             f"steps); use a pool_size of at most {t}", "pool_size")
        _stride_fits(s, t)
        return Tensor((_steps(t, p, s, args.get("padding", "valid")), x.shape[1]))
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


GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
"""Weight blocks of each recurrent cell (LSTM: input, forget, cell, output gates)."""


def _rnn_params(name: str):
    def params(x: Tensor, args: dict, ctx: Context) -> int:
        units, gates = args["units"], GATES[name]
        biases = 2 if name == "GRU" and args.get("reset_after", True) else 1
        return gates * units * (x.shape[-1] + units) + biases * _bias(args, gates * units)
    return params


def _inner(args: dict) -> tuple[LayerDef, dict]:
    """The layer Bidirectional wraps and its arguments."""
    (name, inner_args), = args["layer"].items()
    return LAYERS[name], inner_args or {}


def _bidirectional_params(x: Tensor, args: dict, ctx: Context) -> int:
    wrapped, inner_args = _inner(args)
    return 2 * wrapped.count_params(x, inner_args, ctx)


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


def _dense_params(x: Tensor, args: dict, ctx: Context) -> int:
    return x.shape[-1] * args["units"] + _bias(args, args["units"])


def _embedding_params(x: Tensor, args: dict, ctx: Context) -> int:
    return (args.get("input_dim") or ctx.num_words or 0) * args["output_dim"]


def _normalization(name: str):
    """Shape rule of BatchNormalization / LayerNormalization: ``axis`` (default -1) must name
    a feature axis of the input, not the batch axis, with a known size."""
    def rule(x: Tensor, args: dict, ctx: Context) -> Tensor:
        _norm_axis(x, args, name)
        return x
    return rule


def _norm_axis(x: Tensor, args: dict, name: str) -> int:
    """The size of the axis ``args["axis"]`` (default -1) of the batched input ``x``."""
    axis = args.get("axis")
    axis = -1 if axis is None else axis
    rank = x.rank + 1  # with the batch axis
    if axis in (0, -rank):
        raise ShapeError(f"axis {axis} is the batch axis of the input {x}; {name} normalizes "
                         f"a feature axis: use -1 (the features) or 1..{rank - 1}", "axis")
    if not -rank < axis < rank:
        raise ShapeError(f"axis {short_int(axis)} does not exist: the input here is {x}, rank "
                         f"{rank} with the batch axis; use -1 (the features) or an axis in "
                         f"1..{rank - 1} or -{rank - 1}..-1", "axis")
    size = x.shape[axis - 1 if axis > 0 else axis]
    if size is None:
        raise ShapeError(f"axis {axis} of {x} has no fixed size; normalize the features "
                         f"(axis: -1)", "axis")
    return size


def _norm_params(per_feature: int):
    def params(x: Tensor, args: dict, ctx: Context) -> int:
        return per_feature * _norm_axis(x, args, "")
    return params


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
    build_args=_embedding_build, params=_embedding_params, size_args=("input_dim", "output_dim"),
    doc=KERAS_DOC + "core_layers/embedding/",
    args={"input_dim": POS_INT, "output_dim": POS_INT, "mask_zero": BOOL,
          "embeddings_initializer": INITIALIZER, "embeddings_regularizer": REGULARIZER}))
register(LayerDef(
    "Conv1D", required=("filters", "kernel_size"), example={"filters": 64, "kernel_size": 5},
    infer=_conv1d, params=_conv1d_params, size_args=("filters", "kernel_size"),
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
              recurrent=True, params=_rnn_params("SimpleRNN"), size_args=("units",),
              doc=KERAS_DOC + "recurrent_layers/simple_rnn/", args=dict(RNN_COMMON)))
register(LayerDef("LSTM", required=("units",), example={"units": 64}, infer=_rnn("LSTM"),
              recurrent=True, params=_rnn_params("LSTM"), size_args=("units",),
              doc=KERAS_DOC + "recurrent_layers/lstm/",
              args={**RNN_COMMON, **GATED, "unit_forget_bias": BOOL}))
register(LayerDef("GRU", required=("units",), example={"units": 64}, infer=_rnn("GRU"),
              recurrent=True, params=_rnn_params("GRU"), size_args=("units",),
              doc=KERAS_DOC + "recurrent_layers/gru/",
              args={**RNN_COMMON, **GATED, "reset_after": BOOL}))
register(LayerDef(
    "Bidirectional", required=("layer",), example={"layer": {"LSTM": {"units": 64}}},
    infer=_bidirectional, build_args=_bidirectional_build, params=_bidirectional_params,
    size_args=("layer",),
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
              params=_dense_params, size_args=("units",),
              doc=KERAS_DOC + "core_layers/dense/", args=dict(DENSE_ARGS)))
register(LayerDef("Flatten", infer=_flatten, doc=KERAS_DOC + "reshaping_layers/flatten/", args={}))
register(LayerDef("BatchNormalization", infer=_normalization("BatchNormalization"),
              params=_norm_params(4),
              doc=KERAS_DOC + "normalization_layers/batch_normalization/",
              args={**NORM_COMMON, "momentum": {"type": "number", "minimum": 0, "maximum": 1}}))
register(LayerDef("LayerNormalization", infer=_normalization("LayerNormalization"),
              params=_norm_params(2),
              doc=KERAS_DOC + "normalization_layers/layer_normalization/",
              args=dict(NORM_COMMON)))
