"""Assemble the published JSON Schema (Draft-07) of a specc spec from the registries.

The layer part comes from :data:`specc.compiler.registry.LAYERS`, the optimizer part
from :data:`specc.compiler.optimizers.OPTIMIZERS`, the dataset names from
``specc.data.registry``. ``python -m specc.schema`` writes the result to
``specc/schema/spec.schema.json``, the file editors load through the modeline
``# yaml-language-server: $schema=../specc/schema/spec.schema.json``; a test keeps
the two identical. ``default`` values in it are what ``specc`` fills in.

Every property has a ``description`` (editors show it on hover). Those of library
arguments (Keras layers, optimizers and callbacks, keras-hub, scikit-learn) are read
from the library's own docstrings by :mod:`specc.schema.keras_docs`, so building the
schema imports them; a description written here (or in a registry) wins where specc's
meaning differs from the library's. Validation reads only the JSON file.
"""

from __future__ import annotations

from specc.compiler.estimators import ESTIMATORS, estimator_schema, features_schema
from specc.compiler.optimizers import OPTIMIZERS, optimizer_schema
from specc.compiler.registry import MAX_SEED, LayerDef, bare_layers, bare_name_pattern, layers
from specc.data.backbones import ARCHITECTURE, MASKING_DEFAULTS, PRESETS
from specc.schema.keras_docs import arg_docs, class_summary, doc_versions, without_default

SCHEMA_ID = "https://specc.dev/schema/spec.schema.json"
LAYER_REF = "#/definitions/layer"
POS_INT = {"type": "integer", "minimum": 1}
FRACTION = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
CONDITIONALS = ("if", "then", "else", "allOf", "anyOf", "oneOf")
MAX_NAME = 100
"""Longest run or vocabulary name: it becomes part of a file name (``runs/<name>-<UTC
time>``), and file systems refuse names over 255 bytes."""
NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$", "maxLength": MAX_NAME}
"""A name that is safe as (part of) a file name: ASCII letters, digits, ``_ . -``."""
MIN_NUM_WORDS = 3
"""Smallest tokenizer vocabulary: ids 0 (padding) and 1 (OOV) are reserved, and the lookup
table of the words needs at least one (TensorFlow refuses an empty one)."""


def described(schema: dict, text: str | None) -> dict:
    """``schema`` with the description ``text``, unless it has one (or ``text`` is empty).

    Where the schema carries specc's own ``default``, the library's "Defaults to ..."
    sentences are left out. A ``$ref`` is wrapped in ``allOf``: Draft-07 ignores
    keywords beside ``$ref``.
    """
    if not text or "description" in schema:
        return schema
    if "default" in schema:
        text = without_default(text) or text
    if "$ref" in schema:
        return {"description": text, "allOf": [schema]}
    return {**schema, "description": text}


def documented(schema: dict, *sources: str) -> dict:
    """``schema`` whose properties get the description of the first of ``sources``
    (dotted paths of library classes or functions) that documents them."""
    docs: dict[str, str] = {}
    for source in sources:
        docs = {**arg_docs(source), **docs}
    return {**schema, "properties": {key: described(sub, docs.get(key))
                                     for key, sub in schema["properties"].items()}}


def layer_schema(d: LayerDef) -> dict:
    """Schema of one layer's argument mapping, described from the Keras class docstring.

    A recurrent layer's arguments that the layer leaves to its cell are described from
    the cell (``SimpleRNNCell``).
    """
    sources = [f"keras.layers.{d.name}"] + ([f"keras.layers.{d.name}Cell"] if d.recurrent else [])
    schema = documented(d.arg_schema(LAYER_REF), *sources)
    return {**schema, "description": f"Keras {d.name}: {class_summary(sources[0])} {d.doc}"}


def layer_item_schema() -> dict:
    """One entry of ``model.layers``: ``{LayerName: {args}}`` or the bare name ``LayerName``.

    Discriminated by property name (one property per layer, ``additionalProperties:
    false``) so that errors name the layer and argument instead of "not valid under
    any of the given schemas". The bare name is allowed only for layers that need no
    arguments (``- Flatten``; ``- LSTM`` is refused), and it is matched by a ``pattern``,
    not an ``enum``: yaml-language-server offers an enum's values beside the object
    form's property names, so each of those layers would be completed twice.
    """
    defs = layers()
    example = next(d for d in defs.values() if d.required and d.example)
    bare = bare_layers()
    return {
        "if": {"type": "string"},
        "then": {"pattern": bare_name_pattern(),
                 "description": "A layer that needs no arguments, by name alone (Keras' "
                                "defaults apply): " + ", ".join(bare) + ".",
                 "patternErrorMessage": f"Only a layer that needs no arguments may be written "
                                        f"as a bare name ({', '.join(bare)}); write the others "
                                        f"with their arguments, e.g. - {example.entry()}"},
        "else": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {name: layer_schema(d) for name, d in defs.items()},
            "additionalProperties": False,
        },
    }


def _data_schema() -> dict:
    from specc.data import registry as datasets
    return {
        "type": "object",
        "description": "Where the examples come from: a named dataset, train/test files, "
                       "or a numeric series.",
        "properties": {
            "dataset": {"type": "string", "enum": list(datasets.names()),
                        "description": "A named dataset, read from SPECC_DATA_DIR."},
            "options": {"type": "object", "description": "Options of the named dataset."},
            "train": {"type": "string", "description": "Training file or folder-per-class."},
            "test": {"type": "string", "description": "Test file or folder-per-class."},
            "dev": {"type": "string", "description": "Optional dev file (validation: dev)."},
            "format": {"type": "string", "enum": ["csv", "tsv", "jsonl", "folder"],
                       "description": "Format of the train/test/dev files (default: from the "
                                      "extension, .csv .tsv .jsonl/.json; a directory is "
                                      "folder: one subfolder of .txt files per class)."},
            "text_column": {"type": "string", "default": "text",
                            "description": "Column (CSV/TSV header) or JSON key of the texts."},
            "label_column": {"type": "string", "default": "label",
                             "description": "Column (CSV/TSV header) or JSON key of the labels "
                                            "(class names, or numbers for regression)."},
            "series": {"type": "object",
                       "description": "A numeric series in one column of a file: windows of "
                                      "window steps predict the next step (task regression).",
                       "properties": {
                           "file": {"type": "string", "description": "The file, relative to "
                                                                     "the spec's folder."},
                           "column": {"type": "string", "description": "Column (header) or "
                                                                       "JSON key of the values."},
                           "format": {"type": "string", "enum": ["csv", "tsv", "jsonl"],
                                      "description": "Format of file (default: from its "
                                                     "extension)."}},
                       "required": ["file", "column"], "additionalProperties": False},
            "window": {**POS_INT, "description": "Series: steps per input window."},
            "test_split": {**FRACTION, "description": "Series: last fraction kept for test."},
            "validation": {"type": "string", "enum": ["split", "dev"], "default": "split",
                           "description": "split: hold out validation_split of train; "
                                          "dev: the dataset's own dev split."},
            "validation_split": {"type": "number", "minimum": 0, "exclusiveMaximum": 1,
                                 "default": 0.2,
                                 "description": "Share of train held out for validation "
                                                "(stratified, with train.seed). 0: no "
                                                "validation; scikit-learn estimators only "
                                                "(fit on all training data)."},
            "grouped_validation": {"type": "boolean", "default": True,
                                   "description": "Where the dataset records groups (imdb: "
                                                  "the movie reviewed), keep each group on one "
                                                  "side of the validation split, as the test "
                                                  "split does."},
            "max_train_samples": {**POS_INT, "description": "Stratified subsample of train."},
            "max_test_samples": {**POS_INT, "description": "Stratified subsample of test."},
        },
        "additionalProperties": False,
    }


def _keras_tokenizer_schema() -> dict:
    return documented({
        "properties": {
            "num_words": {"type": "integer", "minimum": MIN_NUM_WORDS, "default": 10000,
                          "description": "Vocabulary size incl. padding (0) and OOV (1), so "
                                         f"at least {MIN_NUM_WORDS}."},
            "oov_token": {"type": ["string", "null"], "default": "<OOV>",
                          "description": "Token (id 1) that replaces words outside the "
                                         "vocabulary; null: drop them, as the classic Keras "
                                         "Tokenizer does."},
            "standardize": {"type": ["string", "null"], "default":
                            "lower_and_strip_punctuation",
                            "enum": ["lower_and_strip_punctuation", "lower",
                                     "strip_punctuation", None]},
            "split": {"type": "string", "enum": ["whitespace", "character"],
                      "default": "whitespace",
                      "description": "Tokens are words (whitespace) or characters (character: "
                                     "one token per Unicode character, e.g. Hangul syllables; "
                                     "TextVectorization's split, the classic Tokenizer's "
                                     "char_level)."},
        },
        "additionalProperties": False,
    }, "keras.layers.TextVectorization")


def _wordpiece_schema() -> dict:
    return {
        "type": "object",
        "description": "A WordPiece vocabulary learnt on the training texts (keras-hub "
                       "compute_word_piece_vocabulary), or reused by name.",
        "properties": {
            "vocabulary_size": {"type": "integer", "minimum": 16,
                                "description": "Tokens incl. [PAD] [CLS] [SEP] [UNK] [MASK]."},
            "lowercase": {"type": "boolean", "default": False,
                          "description": "Lowercase texts before learning and applying the "
                                         "vocabulary."},
            "name": {**NAME,
                     "description": "Store the learnt vocabulary under this name (in "
                                    "$SPECC_CACHE_DIR/vocabularies); without vocabulary_size: "
                                    "reuse the stored one."},
        },
        "anyOf": [{"required": ["vocabulary_size"]}, {"required": ["name"]}],
        "additionalProperties": False,
    }


def _tokenizer_schema() -> dict:
    return {
        "type": "object",
        "description": "Keras Tokenizer settings; {preset: NAME} for the WordPiece tokenizer "
                       "of a pretrained backbone ([CLS]/[SEP] added); or {wordpiece: {...}} "
                       "for a WordPiece vocabulary learnt on the training texts.",
        "properties": {"preset": {"type": "string", "description": "The WordPiece tokenizer "
                                  "of this backbone preset (name or folder)."},
                       "wordpiece": {"type": "object", "description": "A WordPiece vocabulary "
                                     "learnt on the training texts, or reused by name."}},
        "if": {"required": ["preset"]},
        "then": {"properties": {"preset": {"type": "string", "description":
                                           "A backbone preset name or folder."}},
                 "additionalProperties": False},
        "else": {
            "if": {"required": ["wordpiece"]},
            "then": {"properties": {"wordpiece": _wordpiece_schema()},
                     "additionalProperties": False},
            "else": _keras_tokenizer_schema(),
        },
        "default": {},
    }


def _preprocessing_schema() -> dict:
    return {
        "type": "object",
        "description": "Text to padded token ids: Keras Tokenizer + pad_sequences semantics.",
        "properties": {
            "tokenizer": _tokenizer_schema(),
            "sequence": documented({
                "type": "object",
                "description": "Token ids per text: cut or padded to max_len "
                               "(keras.utils.pad_sequences).",
                "properties": {
                    "max_len": {**POS_INT, "default": 200,
                                "description": "Tokens per text after cutting and padding "
                                               "(pad_sequences' maxlen)."},
                    "padding": {"type": "string", "enum": ["pre", "post"], "default": "pre"},
                    "truncating": {"type": "string", "enum": ["pre", "post"], "default": "pre"},
                },
                "additionalProperties": False,
                "default": {},
            }, "keras.utils.pad_sequences"),
            "cache": {"type": "boolean", "default": True,
                      "description": "Keep the tokenized, padded splits on disk (in "
                                     "$SPECC_CACHE_DIR, default ~/.cache/specc), keyed by a hash "
                                     "of the data and the data/preprocessing settings, so a "
                                     "second run skips tokenization."},
        },
        "additionalProperties": False,
        "default": {},
    }


def _head_schema() -> dict:
    dense = layer_schema(layers()["Dense"])
    return {"description": "auto: Dense derived from the task; or Dense arguments.",
            "anyOf": [{"const": "auto"}, {**dense, "type": "object"}], "default": "auto"}


def _backbone_args() -> dict:
    return documented({
        "type": "object",
        "description": "A preset (pretrained; load_weights: false for the same "
                       "architecture untrained) or, for task masked_lm, a new backbone "
                       "(num_layers, num_heads, hidden_dim, intermediate_dim) — keras-hub "
                       "BertBackbone's argument names.",
        "properties": {"preset": {"type": "string", "description":
                                  "Preset name (" + ", ".join(PRESETS) + ") or a folder in "
                                  "Hugging Face or keras-hub format (e.g. one written by "
                                  "specc pretrain)."},
                       "trainable": {"type": "boolean", "default": True,
                                     "description": "false: freeze the backbone."},
                       "load_weights": {"type": "boolean", "default": True,
                                        "description": "false: the preset's architecture "
                                                       "and vocabulary with random weights "
                                                       "(training from scratch)."},
                       "num_layers": POS_INT, "num_heads": POS_INT, "hidden_dim": POS_INT,
                       "intermediate_dim": POS_INT,
                       "dropout": {"type": "number", "minimum": 0, "maximum": 1,
                                   "default": 0.1}},
        "anyOf": [{"required": ["preset"]}, {"required": list(ARCHITECTURE)}],
        "additionalProperties": False}, "keras_hub.models.BertBackbone")


def _masking_schema() -> dict:
    return documented({
        "type": "object",
        "description": "task masked_lm: keras-hub MaskedLMMaskGenerator arguments "
                       "(Devlin et al. 2019, Sec. 3.1: 15% of tokens, of which 80% "
                       "[MASK], 10% random, 10% unchanged).",
        "properties": {
            "mask_selection_rate": {**FRACTION,
                                    "default": MASKING_DEFAULTS["mask_selection_rate"]},
            "mask_selection_length": {**POS_INT, "description": "Most tokens masked per "
                                      "sequence (default: ceil(rate x max_len))."},
            **{key: {"type": "number", "minimum": 0, "maximum": 1,
                     "default": MASKING_DEFAULTS[key]}
               for key in ("mask_token_rate", "random_token_rate")}},
        "additionalProperties": False}, "keras_hub.layers.MaskedLMMaskGenerator")


def _estimator_schema() -> dict:
    """``model.estimator``; each estimator's arguments described from its scikit-learn class."""
    schema = estimator_schema()
    return {**schema, "properties": {
        name: documented(sub, f"{ESTIMATORS[name].module}.{name}")
        for name, sub in schema["properties"].items()}}


def _features_schema(backbone: dict) -> dict:
    """``model.features``; the tfidf arguments described from ``TfidfVectorizer``."""
    schema = features_schema(backbone)
    tfidf = documented(schema["properties"]["tfidf"],
                       "sklearn.feature_extraction.text.TfidfVectorizer")
    return {**schema, "properties": {**schema["properties"], "tfidf": tfidf}}


def _model_schema() -> dict:
    backbone_args = _backbone_args()
    features_backbone = {"type": "object",
                         "description": "A pretrained backbone whose vectors are the features "
                                        "(frozen; the estimator is what learns).",
                         "properties": {"preset": backbone_args["properties"]["preset"]},
                         "required": ["preset"], "additionalProperties": False}
    return {
        "type": "object",
        "description": "A Keras stack (layers), a BERT backbone (fine-tuned, or pretrained "
                       "with task masked_lm) or a scikit-learn model (features + estimator).",
        "properties": {
            "layers": {"type": "array", "minItems": 1, "items": {"$ref": LAYER_REF},
                       "description": "The Keras layers, first to last, each '- Name: {args}' "
                                      "with Keras' argument names, or '- Name' for one that "
                                      "needs none; model.head follows them."},
            "head": _head_schema(),
            "backbone": {"type": "object", "minProperties": 1, "maxProperties": 1,
                         "description": "A keras-hub backbone, fine-tuned with the head.",
                         "properties": {"BertBackbone": backbone_args},
                         "additionalProperties": False},
            "pooling": {"type": "string", "enum": ["cls", "mean", "pooled"],
                        "description": "Backbone output -> one vector: the [CLS] token's "
                                       "vector, the mean over real tokens, or BERT's pooler "
                                       "(tanh Dense on [CLS], as keras-hub's BertTextClassifier)."},
            "masking": _masking_schema(),
            "features": _features_schema(features_backbone),
            "estimator": _estimator_schema(),
        },
        "if": {"required": ["backbone"]},
        "then": {"properties": {"pooling": {"default": "cls"}}},
        "additionalProperties": False,
    }


def _optimizer_schema() -> dict:
    """``train.optimizer``; each optimizer's arguments described from its Keras class."""
    schema = optimizer_schema()
    branches = []
    for branch in schema["allOf"]:
        keras_class = OPTIMIZERS[branch["if"]["properties"]["name"]["const"]][0]
        branches.append({**branch, "then": documented(branch["then"],
                                                      f"keras.optimizers.{keras_class}")})
    return {**schema, "allOf": branches}


def _train_schema() -> dict:
    return {
        "type": "object",
        "description": "Training settings: optimizer, batch size, epochs and callbacks of "
                       "Keras models (model.fit); seed for every model.",
        "properties": {
            "optimizer": _optimizer_schema(),
            "batch_size": {**POS_INT, "default": 32,
                           "description": "Examples per gradient step (model.fit's "
                                          "batch_size)."},
            "epochs": {**POS_INT, "default": 10,
                       "description": "Passes over the training split (model.fit's epochs); "
                                      "early_stopping may end training sooner."},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED, "default": 42,
                     "description": "Seed of everything random: weights, shuffling, dropout, "
                                    "the validation split (keras.utils.set_random_seed; "
                                    "random_state of scikit-learn estimators)."},
            "early_stopping": documented({
                "type": ["object", "boolean"],
                "description": "Stop when the monitored value stops improving "
                               "(keras.callbacks.EarlyStopping); true: with these defaults.",
                "properties": {
                    "monitor": {"type": "string", "default": "val_loss"},
                    "patience": {"type": "integer", "minimum": 0, "default": 2},
                    "min_delta": {"type": "number", "minimum": 0},
                    "restore_best_weights": {"type": "boolean", "default": True},
                    "mode": {"type": "string", "enum": ["auto", "min", "max"]},
                },
                "additionalProperties": False,
                "default": False,
            }, "keras.callbacks.EarlyStopping"),
            "checkpoint": documented({
                "type": ["object", "boolean"],
                "description": "Keep the best epoch's model as best.keras.",
                "properties": {
                    "monitor": {"type": "string", "default": "val_loss"},
                    "mode": {"type": "string", "enum": ["auto", "min", "max"]},
                },
                "additionalProperties": False,
                "default": True,
            }, "keras.callbacks.ModelCheckpoint"),
            "tensorboard": {"type": "boolean", "default": False,
                            "description": "Write TensorBoard logs to <run folder>/tensorboard "
                                           "(keras.callbacks.TensorBoard)."},
            "bucketing": {"enum": ["auto", True, False], "default": "auto",
                          "description": "Length bucketing: batches of similar-length sequences, "
                                         "each trimmed to its longest instead of max_len. auto: "
                                         "on where padding is masked (Embedding mask_zero + "
                                         "recurrent layers, or BERT), so results do not depend "
                                         "on it."},
            "jit_compile": {"enum": ["auto", True, False], "default": "auto",
                            "description": "Compile train/predict steps with XLA "
                                           "(model.compile(jit_compile=...)). auto: where "
                                           "measured to help (see README, Performance)."},
            "mixed_precision": {"enum": ["auto", True, False], "default": "auto",
                                "description": "Keras mixed_float16 policy (float16 compute, "
                                               "float32 variables and outputs). auto: on when a "
                                               "GPU is visible."},
            "backend": {"enum": ["auto", "tensorflow", "jax", "torch"], "default": "auto",
                        "description": "Keras backend that trains the model "
                                       "(https://keras.io/getting_started/#configuring-your-"
                                       "backend). KERAS_BACKEND wins where it is set. auto: "
                                       "the backend measured fastest for this kind of model "
                                       "among those installed (see README, Backends)."},
            "distribution": {"enum": ["none", "mirrored", "multi_worker"], "default": "none",
                             "description": "Data-parallel training. mirrored: every local "
                                            "device (tf.distribute.MirroredStrategy; JAX: "
                                            "keras.distribution.DataParallel). multi_worker: "
                                            "several processes or machines configured by "
                                            "TF_CONFIG (tf.distribute."
                                            "MultiWorkerMirroredStrategy). batch_size is the "
                                            "global batch; the learning rate is not rescaled."},
            "tracking": _tracking_schema(),
        },
        "additionalProperties": False,
        "default": {},
    }


def _tracking_schema() -> dict:
    """``train.tracking``: experiment tracking of each run (the ``specc[mlflow]`` extra)."""
    return {
        "type": "object",
        "description": "Log each run to an experiment tracker once it finishes: the resolved "
                       "spec as params, per-epoch and test metrics, the report and the model "
                       "as artifacts (specc tune: trials as nested runs).",
        "properties": {
            "mlflow": {
                "type": "object",
                "description": "MLflow tracking (pip install \"specc[mlflow]\").",
                "properties": {
                    "tracking_uri": {"type": "string", "minLength": 1,
                                     "description": "MLflow tracking URI "
                                                    "(mlflow.set_tracking_uri); default: a "
                                                    "local store in the working folder."},
                    "experiment": {"type": "string", "minLength": 1,
                                   "description": "MLflow experiment name "
                                                  "(mlflow.set_experiment); default: the "
                                                  "spec's name."},
                },
                "additionalProperties": False,
            },
        },
        "required": ["mlflow"],
        "additionalProperties": False,
    }


SEARCH_BOUNDS = {"type": "array", "minItems": 2, "maxItems": 2}


def _search_schema() -> dict:
    """``search``: the hyperparameter search ``specc tune`` runs (Optuna)."""
    return {
        "type": "object",
        "description": "Hyperparameter search for specc tune (Optuna: TPE sampler, pruning "
                       "on per-epoch validation metrics). specc train ignores it.",
        "properties": {
            "objective": {
                "type": "object",
                "description": "The validation value each trial is scored by (its best "
                               "epoch); never a test value.",
                "properties": {
                    "metric": {"type": "string", "default": "val_loss",
                               "description": "A validation value the run logs: val_loss or "
                                              "val_ plus one of the task's metrics."},
                    "direction": {"enum": ["minimize", "maximize"],
                                  "description": "Optuna's study direction; default: "
                                                 "minimize for losses and errors, maximize "
                                                 "for the other metrics."},
                },
                "additionalProperties": False,
                "default": {},
            },
            "parameters": {
                "type": "object",
                "minProperties": 1,
                "description": "What to search: a path into this spec as written "
                               "(model.layers[1].Conv1D.filters) -> its range.",
                "additionalProperties": {
                    "type": "object",
                    "description": "One of int, float or choice, with log or step for a "
                                   "number range.",
                    "properties": {
                        "int": {**SEARCH_BOUNDS, "items": {"type": "integer"},
                                "description": "An integer in [low, high] "
                                               "(trial.suggest_int)."},
                        "float": {**SEARCH_BOUNDS, "items": {"type": "number"},
                                  "description": "A number in [low, high] "
                                                 "(trial.suggest_float)."},
                        "choice": {"type": "array", "minItems": 1,
                                   "items": {"type": ["string", "number", "boolean", "null"]},
                                   "description": "One of these values "
                                                  "(trial.suggest_categorical)."},
                        "log": {"type": "boolean",
                                "description": "Sample int or float on a log scale (Optuna's "
                                               "log=True)."},
                        "step": {"type": "number", "exclusiveMinimum": 0,
                                 "description": "Spacing of int or float values (not with "
                                                "log)."},
                    },
                    "oneOf": [{"required": ["int"]}, {"required": ["float"]},
                              {"required": ["choice"]}],
                    "additionalProperties": False,
                },
            },
            "trials": {**POS_INT, "maximum": 100000, "default": 20,
                       "description": "Trials in the study, all specc tune processes together "
                                      "(Optuna's n_trials)."},
            "timeout": {"type": ["string", "number"],
                        "pattern": "^[0-9]+(\\.[0-9]+)?(s|m|h)$", "exclusiveMinimum": 0,
                        "description": "Start no new trial after this long (per process): "
                                       "seconds, or a number with s, m or h (90m, 1h)."},
            "pruner": {"enum": ["median", "hyperband", "none"], "default": "median",
                       "description": "Stop unpromising trials early from their per-epoch "
                                      "validation values: optuna.pruners.MedianPruner, "
                                      "HyperbandPruner, or none (NopPruner)."},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED,
                     "description": "Seed of the TPE sampler (optuna.samplers.TPESampler); "
                                    "default: train.seed."},
        },
        "required": ["parameters"],
        "additionalProperties": False,
    }


def _report_schema() -> dict:
    return {
        "type": "object",
        "description": "What report.md shows after training.",
        "properties": {
            "plots": {"type": "boolean", "default": True,
                      "description": "Draw the plots (learning curves, confusion matrix, "
                                     "representations)."},
            "digits": {"type": "integer", "minimum": 1, "maximum": 8, "default": 4,
                       "description": "Decimal places of the metrics in the report."},
            "examples": {"type": "integer", "minimum": 0, "maximum": 100, "default": 8,
                         "description": "How many misclassified test examples to show (the "
                                        "most confident mistakes)."},
            "representation_samples": {
                "type": "integer", "minimum": 0, "maximum": 10000, "default": 1000,
                "description": "Test examples whose penultimate-layer vectors are drawn "
                               "with PCA and t-SNE (0: no representation plot)."},
        },
        "additionalProperties": False,
        "default": {},
    }


def inherit_descriptions(schema):
    """``schema`` where a property of a conditional branch (``then``, ``allOf``, ...) without
    a description takes that of the same property beside the branch.

    E.g. ``then: {properties: {pooling: {default: cls}}}`` gets ``model.pooling``'s text.
    """
    if isinstance(schema, list):
        return [inherit_descriptions(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: inherit_descriptions(v) for k, v in schema.items()}
    outer = out.get("properties", {})
    for key in CONDITIONALS:
        for branch in out[key] if isinstance(out.get(key), list) else [out.get(key)]:
            if isinstance(branch, dict) and isinstance(branch.get("properties"), dict):
                branch["properties"] = {name: described(sub, outer.get(name, {}).get("description"))
                                        for name, sub in branch["properties"].items()}
    return out


def build_schema() -> dict:
    """The whole spec schema as a dict (Draft-07)."""
    return inherit_descriptions({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "specc model spec",
        "$comment": f"Generated by python -m specc.schema; argument descriptions from the "
                    f"docstrings of {doc_versions()}.",
        "type": "object",
        "definitions": {"layer": layer_item_schema()},
        "properties": {
            "name": {**NAME, "description": "Run name; used in the run folder's name "
                                             "(runs/<name>-<UTC time>), so letters, digits, "
                                             "'_', '.' and '-' only, at most "
                                             f"{MAX_NAME} characters."},
            "description": {"type": "string",
                            "description": "Free text about the run, kept with its results."},
            "task": {"type": "string", "enum": ["binary", "multiclass", "regression", "masked_lm"],
                     "description": "binary / multiclass: one label per text from two / more "
                                    "classes; regression: a number per text or series window; "
                                    "masked_lm: pretrain a BERT backbone on unlabelled texts "
                                    "(specc pretrain)."},
            "data": _data_schema(),
            "preprocessing": _preprocessing_schema(),
            "model": _model_schema(),
            "train": _train_schema(),
            "report": _report_schema(),
            "search": _search_schema(),
        },
        "required": ["name", "task", "data", "model"],
        "additionalProperties": False,
    })
