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
the user wrote it (before defaults), so a default is never blamed on the user. A model
that walks without error is then sized (:mod:`specc.loader.memory`): one that cannot fit
in this machine's memory is an error unless ``allow_large``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specc.compiler.estimators import ESTIMATORS
from specc.compiler.kinds import model_kind
from specc.compiler.registry import Tensor, short_int
from specc.compiler.shapes import SEQUENCE_KEYS, walk_stack
from specc.data.backbones import (ARCHITECTURE, MASKING_DEFAULTS, PresetError, PresetMissing,
                                  backbone_config, resolve_preset)
from specc.loader.memory import bert_cost, memory_issues

KERAS_ONLY_TRAIN = ("optimizer", "batch_size", "epochs", "early_stopping", "checkpoint",
                    "tensorboard")


def model_issues(spec: dict, written: dict, series: bool, base_dir: Path,
                 allow_large: bool = False):
    """Yield ``(path, message, at_key)`` for the model section of a schema-valid spec;
    ``allow_large`` skips the memory check (:func:`specc.loader.memory.memory_issues`)."""
    kind = model_kind(spec["model"])
    budget = Budget((("train", "batch_size"), spec["train"].get("batch_size", 1)))
    if spec["task"] == "masked_lm":
        if kind != "bert":
            yield (("model",), "task masked_lm pretrains a BERT: declare model.backbone "
                               "{BertBackbone: {num_layers, num_heads, hidden_dim, "
                               "intermediate_dim}} (or a preset to pretrain further)", False)
        else:
            yield from _sized(_masked_lm(spec, written, base_dir, budget), budget, allow_large)
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
    rule = {"keras": _keras, "bert": _bert, "estimator": _estimator}[kind]
    yield from _sized(rule(spec, written, series, base_dir, budget), budget, allow_large)


@dataclass
class Budget:
    """What a model rule found about the model's size, for the memory check.

    Attributes:
        costs: the :class:`~specc.compiler.shapes.LayerCost` of each part (none: not sized).
        batch: ``(path, value)`` of the examples per step (``train.batch_size``, or
            ``model.features.batch_size`` for backbone features).
        training: False for a frozen model that only predicts (backbone features).
    """

    batch: tuple
    costs: list = field(default_factory=list)
    training: bool = True


def _sized(issues, budget: Budget, allow_large: bool):
    """Yield ``issues`` (a rule's); then, when none is an error, the memory check of the
    parts the rule recorded in ``budget``."""
    errors = False
    for issue in issues:
        errors = errors or len(issue) < 4 or issue[3] != "warning"
        yield issue
    if not errors:
        path, batch = budget.batch
        yield from memory_issues(budget.costs, batch, path, budget.training, allow_large)


def _keras(spec, written, series, base_dir, budget):
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
    yield from walk_stack(spec, series=series, costs=budget.costs)


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
        yield (("preprocessing", "sequence", "max_len"), f"{short_int(max_len)} is longer than "
               f"the backbone's position embeddings ({config.max_sequence_length})", False)
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


MAX_LEN = SEQUENCE_KEYS["text"]
"""Where a text spec's sequence length is written (``preprocessing.sequence.max_len``)."""


def _preset_cost(spec, config, path: tuple, masked: int = 0):
    """The :func:`~specc.loader.memory.bert_cost` of a preset backbone at ``path``."""
    return bert_cost(path, hidden=config.hidden_dim, layers=config.num_layers,
                     heads=config.num_heads, intermediate=config.intermediate_dim,
                     vocabulary=config.vocabulary_size, positions=config.max_sequence_length,
                     seq_len=(MAX_LEN, _value(spec, MAX_LEN)), masked=masked)


def _bert(spec, written, series, base_dir, budget):
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
    budget.costs.append(_preset_cost(spec, config, path))
    yield from walk_stack(spec, series=False, start=Tensor((config.hidden_dim,)),
                          costs=budget.costs)


def _masked_lm(spec, written, base_dir, budget):
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
    masked = _masked_tokens(spec)
    if "preset" in args:
        path = ("model", "backbone", "BertBackbone", "preset")
        config = yield from _backbone_issues(spec, written, path, base_dir)
        if config is not None:
            budget.costs.append(_preset_cost(spec, config, path, masked))
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
        yield (("model", "masking", "mask_selection_length"), f"{short_int(length)} is more "
               f"than max_len ({max_len})", True)
    here = ("model", "backbone", "BertBackbone")
    vocabulary = (tokenizer.get("wordpiece") or {}).get("vocabulary_size")
    sizes = tuple((here + (k,), args[k]) for k in ARCHITECTURE)
    if vocabulary is not None:
        sizes += ((("preprocessing", "tokenizer", "wordpiece", "vocabulary_size"), vocabulary),)
    budget.costs.append(bert_cost(here, hidden=args["hidden_dim"], layers=args["num_layers"],
                                  heads=args["num_heads"], intermediate=args["intermediate_dim"],
                                  vocabulary=vocabulary or 0, positions=max_len,
                                  seq_len=(MAX_LEN, max_len), masked=masked, sizes=sizes))


C_INT_MAX = 2**31 - 1
"""Largest integer scikit-learn's compiled solvers take (liblinear's ``max_iter`` is a C
``int``)."""


def _estimator_args(task: str, name: str, args: dict):
    """Yield issues for estimator arguments the schema allows but scikit-learn refuses: an
    integer past :data:`C_INT_MAX`, the two-class ``liblinear`` solver on task multiclass."""
    here = ("model", "estimator", name)
    for key, value in args.items():
        if isinstance(value, int) and not isinstance(value, bool) and value > C_INT_MAX:
            yield (here + (key,), f"{short_int(value)} is too large: scikit-learn's solvers "
                   f"take at most {C_INT_MAX}", False)
    if args.get("solver") == "liblinear" and task == "multiclass":
        yield (here + ("solver",), "liblinear fits two classes only (scikit-learn refuses it "
               "for three or more); use lbfgs, the default", False)


def _tfidf(args: dict):
    """Yield issues for ``TfidfVectorizer`` arguments the schema allows but scikit-learn
    refuses: ``ngram_range`` [min_n, max_n] out of order; ``min_df``/``max_df`` as a
    fraction (a float) above 1.0 or as a count (an integer) below 1, ``max_df: 0.0``,
    ``min_df`` above ``max_df`` (both counts, or both fractions)."""
    here = ("model", "features", "tfidf")
    ngrams = args.get("ngram_range")
    if isinstance(ngrams, list) and len(ngrams) == 2 and ngrams[0] > ngrams[1]:
        yield (here + ("ngram_range",), f"[min_n, max_n] needs min_n <= max_n, got "
               f"[{short_int(ngrams[0])}, {short_int(ngrams[1])}]", False)
    for key in ("min_df", "max_df"):
        value = args.get(key)
        if isinstance(value, float) and value > 1:
            yield (here + (key,), f"a float {key} is a fraction of the documents, at most "
                   f"1.0; got {value} (an integer is a count of documents)", False)
        elif isinstance(value, int) and value < 1:
            yield (here + (key,), f"an integer {key} counts documents: at least 1 (or a "
                   f"fraction such as 0.5)", False)
        elif key == "max_df" and value == 0:
            yield here + (key,), "max_df 0.0 keeps no term: use a fraction above 0", False
    low, high = args.get("min_df"), args.get("max_df")
    if type(low) is type(high) and low is not None and low > high:
        yield (here + ("min_df",), f"min_df {low} is above max_df {high}: no term could be "
               f"kept", False)


def _masked_tokens(spec) -> int:
    """Tokens masked (predicted) per sequence: ``mask_selection_length``, else
    ``ceil(mask_selection_rate x max_len)``."""
    masking = spec["model"].get("masking", {})
    max_len = spec["preprocessing"]["sequence"]["max_len"]
    length = masking.get("mask_selection_length")
    if length is not None:
        return length
    rate = masking.get("mask_selection_rate", MASKING_DEFAULTS["mask_selection_rate"])
    return -(-max_len * int(rate * 10**6) // 10**6)


def _estimator(spec, written, series, base_dir, budget):
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
    yield from _estimator_args(spec["task"], name, model["estimator"][name] or {})
    if "tfidf" in features:
        yield from _tfidf(features["tfidf"] or {})
        for key in ("pooling", "batch_size"):
            if key in features:
                yield ("model", "features", key), f"{key} applies to backbone features", True
        if "preprocessing" in written:
            yield (("preprocessing",), "tf-idf tokenizes by itself: put its arguments under "
                                       "model.features.tfidf (ngram_range, min_df, ...)", True)
        return
    path = ("model", "features", "backbone", "preset")
    config = yield from _backbone_issues(spec, written, path, base_dir)
    if config is not None:
        budget.costs.append(_preset_cost(spec, config, path))
        budget.batch = (("model", "features", "batch_size"), features["batch_size"])
        budget.training = False
