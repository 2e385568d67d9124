"""Semantic rules of the ``model`` section for each model kind (:mod:`specc.compiler.kinds`).

* keras: ``layers`` present; the stack walked from the token ids or series window.
* bert: the preset found (package installed or folder present) and read; the tokenizer
  preset the same as the backbone's; ``max_len`` within the position embeddings; the
  ``layers`` after pooling walked from the ``(hidden_dim,)`` vector.
* estimator: ``features`` (exactly one of tfidf / backbone) and ``estimator`` present;
  the estimator serves the task; Keras-only settings not written.

Each rule yields ``(path, message, at_key)``, or with a fourth item ``"warning"`` where a
resource the spec names is absent on this machine (a preset folder or package, a named
vocabulary: :func:`specc.loader.semantic.absent`); none raises. ``written`` is the spec as
the user wrote it (before defaults), so a default is never blamed on the user.
"""

from __future__ import annotations

from pathlib import Path

from specc.compiler.estimators import ESTIMATORS
from specc.compiler.kinds import model_kind
from specc.compiler.registry import Tensor
from specc.compiler.shapes import walk_stack
from specc.data.backbones import (ARCHITECTURE, PresetError, PresetMissing, backbone_config,
                                  resolve_preset)

KERAS_ONLY_TRAIN = ("optimizer", "batch_size", "epochs", "early_stopping", "checkpoint",
                    "tensorboard")


def model_issues(spec: dict, written: dict, series: bool, base_dir: Path):
    """Yield ``(path, message, at_key)`` for the model section of a schema-valid spec."""
    kind = model_kind(spec["model"])
    if spec["task"] == "masked_lm":
        if kind != "bert":
            yield (("model",), "task masked_lm pretrains a BERT: declare model.backbone "
                               "{BertBackbone: {num_layers, num_heads, hidden_dim, "
                               "intermediate_dim}} (or a preset to pretrain further)", False)
        else:
            yield from _masked_lm(spec, written, base_dir)
        return
    if "masking" in written.get("model", {}):
        yield ("model", "masking"), "masking applies to task masked_lm (specc pretrain)", True
    if kind != "estimator" and spec["data"].get("validation_split") == 0 \
            and spec["data"].get("validation") != "dev":
        yield (("data", "validation_split"), "validation_split: 0 (no validation) applies to "
               "scikit-learn estimators; a Keras model needs validation data for its "
               "per-epoch metrics, early stopping and checkpoint (use e.g. 0.1)", False)
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
    tokenizer = spec["preprocessing"]["tokenizer"]
    for key in ("preset", "wordpiece"):
        if not series and key in tokenizer:
            feeds = ("a pretrained backbone (model.backbone)" if key == "preset" else
                     "a BERT backbone being pretrained (task masked_lm)")
            yield (("preprocessing", "tokenizer", key), f"a tokenizer {key} feeds {feeds}; "
                   f"a Keras stack learns its vocabulary: use num_words, oov_token, "
                   f"standardize, split", True)
            return
    yield from walk_stack(spec, series=series)


def _preset(value: str, path: tuple, base_dir: Path):
    """``(config, issues)`` for a preset value at ``path``."""
    try:
        return backbone_config(value, base_dir), []
    except PresetMissing as e:
        return None, [(path, str(e), False, "warning")]
    except PresetError as e:
        return None, [(path, str(e), False)]


def _backbone_issues(spec, written, path: tuple, base_dir):
    """Yield the issues of the backbone preset at ``path`` and of the tokenizer beside it;
    return the preset's config (None when it cannot be read)."""
    config, issues = _preset(_value(spec, path), path, base_dir)
    yield from issues
    if config is not None:
        yield from _tokenizer_issues(spec, written, path, config, base_dir)
    return config


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
    else:
        yield from _max_len_floor(max_len)


def _max_len_floor(max_len: int):
    """BERT inputs hold [CLS], at least one token and [SEP]."""
    if max_len < 3:
        yield (("preprocessing", "sequence", "max_len"), "must be at least 3: [CLS], a token, "
               "[SEP]", False)


def _value(tree: dict, path: tuple):
    for key in path:
        tree = tree[key]
    return tree


def _bert(spec, written, series, base_dir):
    path = ("model", "backbone", "BertBackbone", "preset")
    args = spec["model"]["backbone"]["BertBackbone"]
    new = [k for k in ARCHITECTURE if k in args]
    if new or "preset" not in args:
        yield (("model", "backbone", "BertBackbone", *(new[:1])), "a classifier fine-tunes a "
               "backbone preset (a name or a folder written by specc pretrain); num_layers, "
               "num_heads, hidden_dim, intermediate_dim declare a new backbone for task "
               "masked_lm", bool(new))
        return
    config = yield from _backbone_issues(spec, written, path, base_dir)
    if config is None:
        return
    yield from walk_stack(spec, series=False, start=Tensor((config.hidden_dim,)))


def _masked_lm(spec, written, base_dir):
    """Rules of a pretraining spec: a new backbone (architecture given) with a learnt
    WordPiece vocabulary, or a preset (its own vocabulary) pretrained further."""
    args = spec["model"]["backbone"]["BertBackbone"]
    tokenizer = (written.get("preprocessing") or {}).get("tokenizer") or {}
    for key in ("layers", "head", "pooling"):
        if key in written["model"]:
            yield (("model", key), f"{key} does not apply to task masked_lm: the masked-LM "
                                   f"head (keras-hub BertMaskedLM) is added by specc", True)
    new = [k for k in ARCHITECTURE if k in args]
    if "preset" in args and new:
        yield (("model", "backbone", "BertBackbone", new[0]), "give a preset or the "
               "architecture of a new backbone, not both", True)
        return
    max_len = spec["preprocessing"]["sequence"]["max_len"]
    if "preset" in args:
        yield from _backbone_issues(spec, written, ("model", "backbone", "BertBackbone",
                                                    "preset"), base_dir)
        return
    if "wordpiece" not in tokenizer:
        yield (("preprocessing", "tokenizer"), "a new backbone needs a vocabulary: tokenizer: "
               "{wordpiece: {vocabulary_size: N}} learns one on the training texts", False)
    elif "vocabulary_size" not in tokenizer["wordpiece"]:
        from specc.preprocessing.vocabulary import store_dir, stored_names
        name = tokenizer["wordpiece"]["name"]
        if name not in stored_names():
            yield (("preprocessing", "tokenizer", "wordpiece", "name"), f"no WordPiece "
                   f"vocabulary named {name!r} in {store_dir()} on this machine (stored: "
                   f"{', '.join(stored_names()) or 'none'}); a run with vocabulary_size and "
                   f"this name stores one", False, "warning")
    if args["hidden_dim"] % args["num_heads"]:
        yield (("model", "backbone", "BertBackbone", "num_heads"), f"hidden_dim "
               f"{args['hidden_dim']} must be a multiple of num_heads {args['num_heads']}", True)
    yield from _max_len_floor(max_len)
    length = spec["model"].get("masking", {}).get("mask_selection_length")
    if length is not None and length > max_len:
        yield (("model", "masking", "mask_selection_length"), f"{length} is more than max_len "
               f"({max_len})", True)


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
    yield from _backbone_issues(spec, written, ("model", "features", "backbone", "preset"),
                                base_dir)
