"""Optimizers a spec may name, with the Keras arguments each accepts.

``train.optimizer`` is ``{name: adam, learning_rate: 0.001, ...}``: ``name`` is the
Keras identifier (https://keras.io/api/optimizers/), the other keys are the
Keras constructor's own argument names.
"""

from __future__ import annotations

LR = {"type": "number", "exclusiveMinimum": 0}
NUM = {"type": "number", "minimum": 0}
CLIP = {"clipnorm": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "clipvalue": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "global_clipnorm": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "weight_decay": {"type": ["number", "null"], "minimum": 0}}
ADAM = {"beta_1": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "beta_2": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "epsilon": {"type": "number", "exclusiveMinimum": 0}, "amsgrad": {"type": "boolean"}}

OPTIMIZERS: dict[str, tuple[str, dict]] = {
    "adam": ("Adam", ADAM),
    "adamw": ("AdamW", ADAM),
    "nadam": ("Nadam", {k: v for k, v in ADAM.items() if k != "amsgrad"}),
    "sgd": ("SGD", {"momentum": NUM, "nesterov": {"type": "boolean"}}),
    "rmsprop": ("RMSprop", {"rho": NUM, "momentum": NUM, "epsilon": ADAM["epsilon"],
                            "centered": {"type": "boolean"}}),
    "adagrad": ("Adagrad", {"initial_accumulator_value": NUM, "epsilon": ADAM["epsilon"]}),
}
"""spec name -> (Keras class name, its specific arguments' JSON Schema)."""

SCHEDULE = {
    "warmup_ratio": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.0,
                     "description": "Fraction of all training steps over which the learning "
                                    "rate rises linearly from 0 (BERT fine-tuning: 0.1)."},
    "schedule": {"type": "string", "enum": ["constant", "cosine"], "default": "constant",
                 "description": "After warm-up: keep learning_rate, or cosine decay to 0 "
                                "(keras.optimizers.schedules.CosineDecay)."},
}
"""Learning-rate schedule keys, shared by every optimizer (not Keras constructor args)."""


def optimizer_schema() -> dict:
    """Draft-07 schema of ``train.optimizer``: ``name`` picks which arguments are allowed."""
    name_doc = ("The Keras optimizer's identifier (keras.optimizers.get): "
                + ", ".join(f"{n} ({cls})" for n, (cls, _) in OPTIMIZERS.items()) + ".")
    lr = {**LR, "description": "The learning rate, a number (where warmup_ratio or schedule "
                               "is set: the peak of the schedule). specc's default, 0.001, "
                               "holds for every optimizer."}
    branches = []
    for name, (_, specific) in OPTIMIZERS.items():
        props = {"name": {"const": name, "description": name_doc}, "learning_rate": lr,
                 **CLIP, **SCHEDULE, **specific}
        branches.append({"if": {"properties": {"name": {"const": name, "description": name_doc}}},
                         "then": {"properties": props, "additionalProperties": False}})
    return {
        "type": "object",
        "description": "Keras optimizer: name plus its constructor arguments.",
        "properties": {"name": {"type": "string", "enum": list(OPTIMIZERS), "default": "adam",
                                "description": name_doc},
                       "learning_rate": {**lr, "default": 0.001}, **SCHEDULE},
        "required": ["name"],
        "allOf": branches,
        "default": {"name": "adam", "learning_rate": 0.001},
    }


def learning_rate(config: dict, total_steps: int | None):
    """``learning_rate`` as a float, or a warm-up/decay schedule over ``total_steps`` steps.

    Warm-up (``warmup_ratio`` > 0) and ``schedule: cosine`` use Keras'
    ``CosineDecay(0, decay_steps, alpha, warmup_target=learning_rate, warmup_steps)``:
    linear rise from 0 over ``warmup_ratio * total_steps`` steps, then cosine decay to 0
    (``alpha=0``) or a constant rate (``alpha=1``). Devlin et al. (2019), BERT, Sec. A.2,
    use warm-up over the first 10% of steps.
    """
    lr = config["learning_rate"]
    ratio, kind = config.get("warmup_ratio", 0.0), config.get("schedule", "constant")
    if not total_steps or (ratio == 0 and kind == "constant"):
        return lr
    import keras
    warmup = int(round(ratio * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else lr, decay_steps=max(total_steps - warmup, 1),
        alpha=1.0 if kind == "constant" else 0.0,
        warmup_target=lr if warmup else None, warmup_steps=warmup)


def build_optimizer(config: dict, total_steps: int | None = None):
    """Return the Keras optimizer for a validated ``train.optimizer`` mapping.

    ``total_steps`` (batches per epoch x epochs) sizes the learning-rate schedule.
    AdamW leaves biases and LayerNorm/BatchNorm scales out of weight decay, as BERT does.
    """
    import keras
    args = {k: v for k, v in config.items() if k not in ("name", *SCHEDULE)}
    args["learning_rate"] = learning_rate(config, total_steps)
    optimizer = getattr(keras.optimizers, OPTIMIZERS[config["name"]][0])(**args)
    if config["name"] == "adamw":
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer
