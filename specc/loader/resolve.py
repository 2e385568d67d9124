"""Shape the resolved spec to its model kind, after validation.

The schema fills every section's defaults; some belong to one model kind only.
Here a valid spec loses the defaults that do not apply to it, so ``spec.yaml`` in a
run folder says exactly what ran:

* bert / backbone features: ``preprocessing.tokenizer`` becomes ``{preset: <the
  backbone's>}`` when not written; ``padding``/``truncating`` go (BERT pads at the end).
* estimator: ``model.head`` and every ``train`` key but ``seed`` go; with tf-idf, the
  whole ``preprocessing`` section goes.
"""

from __future__ import annotations

from specc.compiler.kinds import backbone_preset, model_kind


def resolve_kind(resolved: dict, written: dict) -> dict:
    """Return ``resolved`` (changed in place) without the defaults of other model kinds."""
    model = resolved["model"]
    kind = model_kind(model)
    preset = backbone_preset(model)
    if preset is not None:
        pre = resolved["preprocessing"]
        if "preset" not in pre["tokenizer"]:
            pre["tokenizer"] = {"preset": preset}
        for key in ("padding", "truncating"):
            pre["sequence"].pop(key, None)
    if kind == "estimator":
        if "head" not in written["model"]:
            model.pop("head", None)
        resolved["train"] = {"seed": resolved["train"]["seed"]}
        if "tfidf" in model["features"]:
            resolved.pop("preprocessing", None)
    return resolved
