"""The three kinds of model a spec can declare, told apart by the keys of ``model``.

* ``keras``: ``model.layers`` (+ ``head``): a Keras stack on token ids or series windows.
* ``bert``: ``model.backbone`` (+ ``pooling``, ``layers``, ``head``): a pretrained
  keras-hub ``BertBackbone`` fine-tuned with a classification/regression head.
* ``estimator``: ``model.features`` + ``model.estimator``: texts -> tf-idf or frozen
  BERT vectors -> a scikit-learn estimator.
"""

from __future__ import annotations

KINDS = ("keras", "bert", "estimator")


def model_kind(model: dict) -> str:
    """``"keras"``, ``"bert"`` or ``"estimator"`` for a ``model`` section (see module doc)."""
    if "estimator" in model or "features" in model:
        return "estimator"
    if "backbone" in model:
        return "bert"
    return "keras"


def backbone_preset(model: dict) -> str | None:
    """The backbone preset a model section names (fine-tuned or as features), else None."""
    if "backbone" in model:
        (_, args), = model["backbone"].items()
        return (args or {}).get("preset")
    backbone = (model.get("features") or {}).get("backbone")
    return (backbone or {}).get("preset")
