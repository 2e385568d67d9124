"""The kinds of model a spec can declare, each defined once as a :class:`ModelKind`.

Told apart by the keys of ``model`` (and the task):

* ``keras``: ``model.layers`` (+ ``head``): a Keras stack on token ids or series windows.
* ``bert``: ``model.backbone`` (+ ``pooling``, ``layers``, ``head``): a pretrained
  keras-hub ``BertBackbone`` fine-tuned with a classification/regression head.
* ``estimator``: ``model.features`` + ``model.estimator``: texts -> tf-idf or frozen
  BERT vectors -> a scikit-learn estimator.
* ``masked_lm``: ``task: masked_lm`` with a backbone: keras-hub ``BertMaskedLM``
  pretraining (``specc pretrain``).

A kind names the code that fits it and the code that loads a trained one back from a
run folder as dotted paths, imported only when used: this module imports no framework,
so ``specc validate`` can use it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

KINDS = ("keras", "bert", "estimator")


@dataclass(frozen=True)
class ModelKind:
    """One kind of model and everything that differs between kinds.

    Attributes:
        name: ``keras``, ``bert``, ``estimator`` or ``masked_lm`` (``model_kind`` in
            ``metrics.json``).
        model_file: the trained model's file in a run folder (``model.keras``; scikit-learn
            pipelines: ``model.skops``, a format that executes no code on load); None when
            the run's product is elsewhere (pretraining writes a keras-hub preset).
        fixed_padding: the padding side the kind imposes (``post`` for BERT inputs), or
            None when the spec's ``preprocessing.sequence.padding`` applies.
        encodes_texts: whether texts become token ids before the model (False: the
            scikit-learn pipeline reads raw texts).
        keras: whether the model is a Keras model (summary, ``--epochs``, graphs,
            ``.keras`` files) rather than a scikit-learn pipeline.
        builder: ``"module:function"`` that builds the untrained model,
            ``build(spec, n_classes)`` (:func:`specc.compiler.model.compile_spec` calls it).
        trainer: ``"module:function"`` that fits it for ``specc train``
            (``fit(spec, prep, folder, *, log, resume, gpus) -> Fitted``).
        predictor: ``"module:Class"`` that loads the trained model from a run folder
            (:class:`specc.runtime.predictors.Predictor`).
    """

    name: str
    model_file: str | None
    fixed_padding: str | None
    encodes_texts: bool
    keras: bool
    builder: str
    trainer: str | None
    predictor: str | None

    def _resolve(self, dotted: str | None, what: str):
        if dotted is None:
            raise ValueError(f"model kind {self.name} has no {what}")
        module, attr = dotted.split(":")
        return getattr(importlib.import_module(module), attr)

    def build(self, spec, n_classes: int | None):
        """The untrained model of ``spec`` (see :attr:`builder`)."""
        return self._resolve(self.builder, "builder")(spec, n_classes)

    def fit(self, *args, **kwargs):
        """Fit the model (see :attr:`trainer`); imports the framework on first use."""
        return self._resolve(self.trainer, "trainer")(*args, **kwargs)

    def load_predictor(self, folder, resolved: dict, class_names: list[str] | None):
        """The :class:`specc.runtime.predictors.Predictor` of the run in ``folder``."""
        return self._resolve(self.predictor, "predictor")(folder, resolved, class_names)


MODEL_KINDS: dict[str, ModelKind] = {k.name: k for k in (
    ModelKind("keras", "model.keras", None, True, True, "specc.compiler.model:keras_stack",
              "specc.runtime.fit_keras:fit_keras",
              "specc.runtime.predictors:KerasPredictor"),
    ModelKind("bert", "model.keras", "post", True, True, "specc.compiler.bert:bert_classifier",
              "specc.runtime.fit_keras:fit_keras",
              "specc.runtime.predictors:KerasPredictor"),
    ModelKind("estimator", "model.skops", None, False, False,
              "specc.compiler.pipeline:estimator_pipeline",
              "specc.runtime.fit_estimator:fit_estimator",
              "specc.runtime.predictors:EstimatorPredictor"),
    ModelKind("masked_lm", None, "post", True, True, "specc.compiler.masked_lm:masked_lm_of",
              None, None),
)}
"""Every model kind by name."""


def kind_of(resolved: dict) -> ModelKind:
    """The :class:`ModelKind` of a resolved spec (its ``model`` section and ``task``)."""
    if resolved.get("task") == "masked_lm":
        return MODEL_KINDS["masked_lm"]
    return MODEL_KINDS[model_kind(resolved["model"])]


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
