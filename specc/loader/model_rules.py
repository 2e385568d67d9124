"""Semantic rules of the ``model`` section for each model kind (:mod:`specc.compiler.kinds`).

* keras: ``layers`` present; the stack walked from the token ids or series window.
* bert: the preset found (package installed or folder present) and read; the tokenizer
  preset the same as the backbone's; ``max_len`` within the position embeddings; the
  ``layers`` after pooling walked from the ``(hidden_dim,)`` vector.
* estimator: ``features`` (exactly one of tfidf / backbone) and ``estimator`` present;
  the estimator serves the task; Keras-only settings not written.

Each rule yields ``(path, message, at_key)``; none raises. ``written`` is the spec as
the user wrote it (before defaults), so a default is never blamed on the user.
"""

from __future__ import annotations

from pathlib import Path

from specc.compiler.backbones import PresetError, backbone_config, resolve_preset
from specc.compiler.estimators import ESTIMATORS
from specc.compiler.kinds import model_kind
from specc.compiler.registry import Tensor
from specc.compiler.shapes import walk_stack

KERAS_ONLY_TRAIN = ("optimizer", "batch_size", "epochs", "early_stopping", "checkpoint",
                    "tensorboard")


def model_issues(spec: dict, written: dict, series: bool, base_dir: Path):
    """Yield ``(path, message, at_key)`` for the model section of a schema-valid spec."""
    kind = model_kind(spec["model"])
    if kind != "keras" and series:
        yield ("model",), "a series needs a Keras layer stack (model.layers), not a text model", False
        return
    yield from {"keras": _keras, "bert": _bert, "estimator": _estimator}[kind](
        spec, written, series, base_dir)


def _keras(spec, written, series, base_dir):
    model = spec["model"]
    if "layers" not in model:
        yield ("model",), ("model needs layers (a Keras stack), backbone (a pretrained BERT to "
                           "fine-tune) or features + estimator (scikit-learn)"), False
        return
    if "pooling" in model:
        yield ("model", "pooling"), "pooling applies to a backbone; a Keras stack pools with " \
                                    "its own layers (GlobalMaxPooling1D, ...)", True
    if not series and "preset" in spec["preprocessing"]["tokenizer"]:
        yield (("preprocessing", "tokenizer", "preset"), "a tokenizer preset feeds a pretrained "
               "backbone (model.backbone); a Keras stack learns its vocabulary: use num_words, "
               "oov_token, standardize", True)
        return
    yield from walk_stack(spec, series=series)


def _preset(value: str, path: tuple, base_dir: Path):
    """``(config, issues)`` for a preset value at ``path``."""
    try:
        return backbone_config(value, base_dir), []
    except PresetError as e:
        return None, [(path, str(e), False)]


def _tokenizer_issues(spec, written, backbone_path: tuple, config, base_dir):
    pre = written.get("preprocessing") or {}
    tok, seq = pre.get("tokenizer") or {}, pre.get("sequence") or {}
    if tok and "preset" not in tok:
        yield (("preprocessing", "tokenizer"), "a backbone reads WordPiece ids from its own "
               "vocabulary: write tokenizer: {preset: ...} with the backbone's preset, or leave "
               "tokenizer out", False)
    elif "preset" in tok:
        try:
            same = resolve_preset(tok["preset"], base_dir) == config.path
        except PresetError as e:
            yield ("preprocessing", "tokenizer", "preset"), str(e), False
            return
        if not same:
            yield (("preprocessing", "tokenizer", "preset"), f"the tokenizer preset must be the "
                   f"backbone's ({_value(written, backbone_path)}): token ids index its "
                   f"embedding table", False)
    for key in ("padding", "truncating"):
        if key in seq:
            yield (("preprocessing", "sequence", key), f"{key} applies to the Keras tokenizer; "
                   f"BERT inputs are [CLS] tokens [SEP] then padding at the end", True)
    max_len = spec["preprocessing"]["sequence"]["max_len"]
    if max_len > config.max_sequence_length:
        yield (("preprocessing", "sequence", "max_len"), f"{max_len} is longer than the "
               f"backbone's position embeddings ({config.max_sequence_length})", False)
    elif max_len < 3:
        yield (("preprocessing", "sequence", "max_len"), "must be at least 3: [CLS], a token, "
               "[SEP]", False)


def _value(tree: dict, path: tuple):
    for key in path:
        tree = tree[key]
    return tree


def _bert(spec, written, series, base_dir):
    path = ("model", "backbone", "BertBackbone", "preset")
    config, issues = _preset(spec["model"]["backbone"]["BertBackbone"]["preset"], path, base_dir)
    yield from issues
    if config is None:
        return
    yield from _tokenizer_issues(spec, written, path, config, base_dir)
    yield from walk_stack(spec, series=False, start=Tensor((config.hidden_dim,)))


def _estimator(spec, written, series, base_dir):
    model, wmodel = spec["model"], written["model"]
    for key in ("features", "estimator"):
        if key not in model:
            other = "estimator" if key == "features" else "features"
            yield (("model",), f"model.{other} needs model.{key}: features (tfidf or backbone) "
                               f"turn texts into vectors, estimator (e.g. LogisticRegression) "
                               f"classifies them", False)
            return
    for key in ("layers", "head", "backbone", "pooling"):
        if key in wmodel:
            yield (("model", key), f"{key} does not apply to a scikit-learn model (features + "
                                   f"estimator)", True)
    features = model["features"]
    sources = [k for k in ("tfidf", "backbone") if k in features]
    if len(sources) != 1:
        yield (("model", "features"), "give exactly one of tfidf (TfidfVectorizer arguments) or "
                                      "backbone ({preset: ...})" +
               (f"; found {', '.join(sources)}" if sources else ""), False)
        return
    name = next(iter(model["estimator"]))
    if spec["task"] not in ESTIMATORS[name].tasks:
        yield (("model", "estimator", name), f"{name} is for task "
               f"{' or '.join(ESTIMATORS[name].tasks)}, not {spec['task']}", True)
    for key in KERAS_ONLY_TRAIN:
        if key in (written.get("train") or {}):
            yield (("train", key), f"train.{key} applies to Keras models; a scikit-learn "
                                   f"estimator is fitted once (set max_iter, C, ... on it)", True)
    if "tfidf" in features:
        for key in ("pooling", "batch_size"):
            if key in features:
                yield ("model", "features", key), f"{key} applies to backbone features", True
        if "preprocessing" in written:
            yield (("preprocessing",), "tf-idf tokenizes by itself: put its arguments under "
                                       "model.features.tfidf (ngram_range, min_df, ...)", True)
        return
    path = ("model", "features", "backbone", "preset")
    config, issues = _preset(features["backbone"]["preset"], path, base_dir)
    yield from issues
    if config is not None:
        yield from _tokenizer_issues(spec, written, path, config, base_dir)
