"""scikit-learn models a spec may declare: feature extractors and estimators.

``model.features`` turns texts into vectors (``tfidf``: scikit-learn's
``TfidfVectorizer``; ``backbone``: frozen BERT vectors, see
:mod:`specc.compiler.features`), ``model.estimator`` names one scikit-learn estimator
with its own constructor arguments (https://scikit-learn.org/stable/api/). Like the
layer registry, one entry here carries the schema, the tasks it serves and the
constructor, so the JSON Schema and the build can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

POS = {"type": "number", "exclusiveMinimum": 0}
POS_INT = {"type": "integer", "minimum": 1}
CLASS_WEIGHT = {"type": ["string", "null"], "enum": ["balanced", None]}
TOL = {"type": "number", "exclusiveMinimum": 0}


@dataclass(frozen=True)
class EstimatorDef:
    """A supported scikit-learn estimator.

    Attributes:
        name: the scikit-learn class name, as written in specs.
        module: the module it is imported from.
        args: constructor argument -> JSON Schema fragment.
        tasks: the spec tasks it serves.
        scores: ``predict_proba`` (probabilities; test loss is log loss),
            ``decision_function`` (margins; test loss is hinge loss) or ``predict``
            (regression; loss is mean squared error).
        doc: its scikit-learn documentation page.
    """

    name: str
    module: str
    args: dict
    tasks: tuple[str, ...]
    scores: str
    doc: str

    def schema(self) -> dict:
        """JSON Schema of this estimator's argument mapping."""
        return {"type": ["object", "null"], "description": f"scikit-learn {self.name}: {self.doc}",
                "properties": self.args, "additionalProperties": False}


ESTIMATORS: dict[str, EstimatorDef] = {e.name: e for e in (
    EstimatorDef(
        "LogisticRegression", "sklearn.linear_model",
        {"C": POS, "max_iter": POS_INT, "tol": TOL, "class_weight": CLASS_WEIGHT,
         "solver": {"type": "string", "enum": ["lbfgs", "liblinear", "newton-cg",
                                               "newton-cholesky", "sag", "saga"]},
         "fit_intercept": {"type": "boolean"}},
        ("binary", "multiclass"), "predict_proba",
        "https://scikit-learn.org/stable/modules/generated/sklearn.linear_model.LogisticRegression.html"),
    EstimatorDef(
        "LinearSVC", "sklearn.svm",
        {"C": POS, "max_iter": POS_INT, "tol": TOL, "class_weight": CLASS_WEIGHT,
         "loss": {"type": "string", "enum": ["hinge", "squared_hinge"]},
         "dual": {"type": ["boolean", "string"], "enum": [True, False, "auto"]},
         "fit_intercept": {"type": "boolean"}},
        ("binary", "multiclass"), "decision_function",
        "https://scikit-learn.org/stable/modules/generated/sklearn.svm.LinearSVC.html"),
    EstimatorDef(
        "RidgeClassifier", "sklearn.linear_model",
        {"alpha": {"type": "number", "minimum": 0}, "class_weight": CLASS_WEIGHT,
         "max_iter": POS_INT, "tol": TOL, "fit_intercept": {"type": "boolean"}},
        ("binary", "multiclass"), "decision_function",
        "https://scikit-learn.org/stable/modules/generated/sklearn.linear_model.RidgeClassifier.html"),
    EstimatorDef(
        "Ridge", "sklearn.linear_model",
        {"alpha": {"type": "number", "minimum": 0}, "max_iter": POS_INT, "tol": TOL,
         "fit_intercept": {"type": "boolean"}},
        ("regression",), "predict",
        "https://scikit-learn.org/stable/modules/generated/sklearn.linear_model.Ridge.html"),
)}
"""Every supported estimator by scikit-learn class name."""

TFIDF_ARGS = {
    "ngram_range": {"type": "array", "items": POS_INT, "minItems": 2, "maxItems": 2,
                    "description": "[min_n, max_n] word n-grams, e.g. [1, 2]."},
    "min_df": {"type": ["integer", "number"], "minimum": 0,
               "description": "Ignore terms in fewer documents (int) or a smaller fraction."},
    "max_df": {"type": ["integer", "number"], "minimum": 0},
    "max_features": {"type": ["integer", "null"], "minimum": 1},
    "sublinear_tf": {"type": "boolean", "description": "Use 1 + log(tf)."},
    "use_idf": {"type": "boolean"},
    "smooth_idf": {"type": "boolean"},
    "norm": {"type": ["string", "null"], "enum": ["l1", "l2", None]},
    "lowercase": {"type": "boolean"},
    "binary": {"type": "boolean"},
    "strip_accents": {"type": ["string", "null"], "enum": ["ascii", "unicode", None]},
    "analyzer": {"type": "string", "enum": ["word", "char", "char_wb"]},
    "stop_words": {"type": ["string", "null"], "enum": ["english", None]},
}
"""``TfidfVectorizer`` arguments a spec may set (scikit-learn's names)."""


def estimator_schema() -> dict:
    """``model.estimator``: ``{EstimatorName: {args}}``, discriminated by name."""
    return {"type": "object", "minProperties": 1, "maxProperties": 1,
            "description": "One scikit-learn estimator with its constructor arguments.",
            "properties": {n: e.schema() for n, e in ESTIMATORS.items()},
            "additionalProperties": False}


def features_schema(backbone: dict) -> dict:
    """``model.features``: ``tfidf: {...}`` or ``backbone: {...}`` plus ``pooling``."""
    return {"type": "object",
            "description": "Texts to vectors: tf-idf (TfidfVectorizer) or a frozen BERT "
                           "backbone's [CLS]/mean vectors.",
            "properties": {
                "tfidf": {"type": ["object", "null"], "properties": TFIDF_ARGS,
                          "additionalProperties": False,
                          "description": "scikit-learn TfidfVectorizer arguments."},
                "backbone": backbone,
                "pooling": {"type": "string", "enum": ["cls", "mean", "pooled"],
                            "description": "Backbone features: the [CLS] token's vector, "
                                           "the mean over real tokens, or BERT's pooler."},
                "batch_size": {**POS_INT, "description": "Sentences per backbone call."},
            },
            "if": {"required": ["backbone"]},
            "then": {"properties": {"pooling": {"default": "cls"},
                                    "batch_size": {"default": 32}}},
            "minProperties": 1, "additionalProperties": False}


def estimator_entry(model: dict) -> tuple[str, dict]:
    """``(name, args)`` of ``model.estimator`` (null args become ``{}``)."""
    (name, args), = model["estimator"].items()
    return name, dict(args or {})


def build_estimator(model: dict, seed: int):
    """The unfitted scikit-learn estimator of a validated ``model`` section.

    ``train.seed`` is passed as ``random_state`` unless the spec sets it.
    """
    import importlib
    name, args = estimator_entry(model)
    args.setdefault("random_state", seed)  # every registered estimator takes it
    return getattr(importlib.import_module(ESTIMATORS[name].module), name)(**args)


def build_tfidf(args: dict | None):
    """scikit-learn ``TfidfVectorizer`` with the spec's arguments (``ngram_range`` as a tuple)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    args = dict(args or {})
    if "ngram_range" in args:
        args["ngram_range"] = tuple(args["ngram_range"])
    return TfidfVectorizer(**args)
