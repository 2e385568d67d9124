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


def optimizer_schema() -> dict:
    """Draft-07 schema of ``train.optimizer``: ``name`` picks which arguments are allowed."""
    branches = []
    for name, (_, specific) in OPTIMIZERS.items():
        props = {"name": {"const": name}, "learning_rate": LR, **CLIP, **specific}
        branches.append({"if": {"properties": {"name": {"const": name}}},
                         "then": {"properties": props, "additionalProperties": False}})
    return {
        "type": "object",
        "description": "Keras optimizer: name plus its constructor arguments.",
        "properties": {"name": {"type": "string", "enum": list(OPTIMIZERS), "default": "adam"},
                       "learning_rate": {**LR, "default": 0.001}},
        "required": ["name"],
        "allOf": branches,
        "default": {"name": "adam", "learning_rate": 0.001},
    }


def build_optimizer(config: dict):
    """Return the Keras optimizer for a validated ``train.optimizer`` mapping."""
    import keras
    args = {k: v for k, v in config.items() if k != "name"}
    return getattr(keras.optimizers, OPTIMIZERS[config["name"]][0])(**args)
