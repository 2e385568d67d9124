"""The scikit-learn ``Pipeline`` of an ``estimator`` spec: features -> estimator.

``features``: scikit-learn ``TfidfVectorizer`` (``model.features.tfidf``) or frozen
BERT vectors (:class:`specc.compiler.features.BertFeatures`, ``model.features.backbone``);
``estimator``: the scikit-learn class ``model.estimator`` names
(:mod:`specc.compiler.estimators`). The pipeline takes a list of texts and predicts
class ids (https://scikit-learn.org/stable/modules/compose.html#pipeline).
"""

from __future__ import annotations

from pathlib import Path

from sklearn.pipeline import Pipeline

from specc.compiler.estimators import build_estimator, build_tfidf


def build_pipeline(spec) -> Pipeline:
    """Unfitted ``Pipeline([("features", ...), ("estimator", ...)])`` of a validated
    :class:`~specc.loader.validate.Spec` of kind ``estimator``."""
    resolved = spec.resolved
    features = resolved["model"]["features"]
    if "tfidf" in features:
        step = build_tfidf(features["tfidf"])
    else:
        from specc.compiler.features import BertFeatures
        step = BertFeatures(preset=features["backbone"]["preset"], pooling=features["pooling"],
                            max_len=resolved["preprocessing"]["sequence"]["max_len"],
                            batch_size=features["batch_size"], base_dir=str(Path(spec.base_dir)))
    return Pipeline([("features", step),
                     ("estimator", build_estimator(resolved["model"], resolved["train"]["seed"]))])


def estimator_pipeline(spec, n_classes: int | None = None) -> Pipeline:
    """:func:`build_pipeline` (the ``estimator`` kind's builder; ``n_classes`` is unused:
    scikit-learn learns the classes from the labels)."""
    return build_pipeline(spec)


def describe_pipeline(pipeline: Pipeline) -> str:
    """Plain-text description: scikit-learn's repr of the pipeline, plus the frozen
    backbone's parameter count where there is one (loads the backbone)."""
    lines = [repr(pipeline)]
    step = pipeline.named_steps["features"]
    if hasattr(step, "backbone_params"):
        lines.append(f"frozen backbone {step.preset}: {step.backbone_params():,} parameters "
                     f"(not trained), {step.pooling} pooling, max_len {step.max_len}")
    return "\n".join(lines)
