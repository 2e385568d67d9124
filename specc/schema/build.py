"""Assemble the published JSON Schema (Draft-07) of a specc spec from the registries.

The layer part comes from :data:`specc.compiler.registry.LAYERS`, the optimizer part
from :data:`specc.compiler.optimizers.OPTIMIZERS`, the dataset names from
``specc.data.registry``. ``python -m specc.schema`` writes the result to
``specc/schema/spec.schema.json``, the file editors load through the modeline
``# yaml-language-server: $schema=../specc/schema/spec.schema.json``; a test keeps
the two identical. ``default`` values in it are what ``specc`` fills in.
"""

from __future__ import annotations

from specc.compiler.estimators import estimator_schema, features_schema
from specc.compiler.optimizers import optimizer_schema
from specc.compiler.registry import layers
from specc.data.backbones import ARCHITECTURE, MASKING_DEFAULTS, PRESETS

SCHEMA_ID = "https://specc.dev/schema/spec.schema.json"
POS_INT = {"type": "integer", "minimum": 1}
FRACTION = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}


def layer_item_schema() -> dict:
    """One entry of ``model.layers``: ``{LayerName: {args}}`` or the bare name ``LayerName``.

    Discriminated by property name (one property per layer, ``additionalProperties:
    false``) so that errors name the layer and argument instead of "not valid under
    any of the given schemas".
    """
    defs = layers()
    return {
        "if": {"type": "string"},
        "then": {"enum": list(defs)},
        "else": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {name: d.arg_schema("#/definitions/layer") for name, d in defs.items()},
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
            "format": {"type": "string", "enum": ["csv", "tsv", "jsonl", "folder"]},
            "text_column": {"type": "string", "default": "text"},
            "label_column": {"type": "string", "default": "label"},
            "series": {"type": "object", "properties": {"file": {"type": "string"},
                                                        "column": {"type": "string"},
                                                        "format": {"type": "string", "enum":
                                                                   ["csv", "tsv", "jsonl"]}},
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
    return {
        "properties": {
            "num_words": {"type": "integer", "minimum": 2, "default": 10000,
                          "description": "Vocabulary size incl. padding (0) and OOV (1)."},
            "oov_token": {"type": ["string", "null"], "default": "<OOV>"},
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
    }


def _wordpiece_schema() -> dict:
    return {
        "type": "object",
        "description": "A WordPiece vocabulary learnt on the training texts (keras-hub "
                       "compute_word_piece_vocabulary), or reused by name.",
        "properties": {
            "vocabulary_size": {"type": "integer", "minimum": 16,
                                "description": "Tokens incl. [PAD] [CLS] [SEP] [UNK] [MASK]."},
            "lowercase": {"type": "boolean", "default": False},
            "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
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
        "properties": {"preset": {"type": "string"}, "wordpiece": {"type": "object"}},
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
            "sequence": {
                "type": "object",
                "properties": {
                    "max_len": {**POS_INT, "default": 200},
                    "padding": {"type": "string", "enum": ["pre", "post"], "default": "pre"},
                    "truncating": {"type": "string", "enum": ["pre", "post"], "default": "pre"},
                },
                "additionalProperties": False,
                "default": {},
            },
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
    dense = layers()["Dense"].arg_schema("#/definitions/layer")
    return {"description": "auto: Dense derived from the task; or Dense arguments.",
            "anyOf": [{"const": "auto"}, {**dense, "type": "object"}], "default": "auto"}


def _backbone_args() -> dict:
    return {"type": "object",
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
            "additionalProperties": False}


def _masking_schema() -> dict:
    return {"type": "object",
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
            "additionalProperties": False}


def _model_schema() -> dict:
    backbone_args = _backbone_args()
    features_backbone = {"type": "object",
                         "properties": {"preset": backbone_args["properties"]["preset"]},
                         "required": ["preset"], "additionalProperties": False}
    return {
        "type": "object",
        "description": "A Keras stack (layers), a BERT backbone (fine-tuned, or pretrained "
                       "with task masked_lm) or a scikit-learn model (features + estimator).",
        "properties": {
            "layers": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/layer"}},
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
            "features": features_schema(features_backbone),
            "estimator": estimator_schema(),
        },
        "if": {"required": ["backbone"]},
        "then": {"properties": {"pooling": {"default": "cls"}}},
        "additionalProperties": False,
    }


def _train_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "optimizer": optimizer_schema(),
            "batch_size": {**POS_INT, "default": 32},
            "epochs": {**POS_INT, "default": 10},
            "seed": {"type": "integer", "minimum": 0, "default": 42},
            "early_stopping": {
                "type": ["object", "boolean"],
                "properties": {
                    "monitor": {"type": "string", "default": "val_loss"},
                    "patience": {"type": "integer", "minimum": 0, "default": 2},
                    "min_delta": {"type": "number", "minimum": 0},
                    "restore_best_weights": {"type": "boolean", "default": True},
                    "mode": {"type": "string", "enum": ["auto", "min", "max"]},
                },
                "additionalProperties": False,
                "default": False,
            },
            "checkpoint": {
                "type": ["object", "boolean"],
                "description": "Keep the best epoch's model as best.keras.",
                "properties": {
                    "monitor": {"type": "string", "default": "val_loss"},
                    "mode": {"type": "string", "enum": ["auto", "min", "max"]},
                },
                "additionalProperties": False,
                "default": True,
            },
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
        },
        "additionalProperties": False,
        "default": {},
    }


def _report_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "plots": {"type": "boolean", "default": True},
            "digits": {"type": "integer", "minimum": 1, "maximum": 8, "default": 4},
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


def build_schema() -> dict:
    """The whole spec schema as a dict (Draft-07)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "specc model spec",
        "type": "object",
        "definitions": {"layer": layer_item_schema()},
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                     "description": "Run name; used in the run folder's name."},
            "description": {"type": "string"},
            "task": {"type": "string", "enum": ["binary", "multiclass", "regression", "masked_lm"],
                     "description": "masked_lm: pretrain a BERT backbone on unlabelled texts "
                                    "(specc pretrain)."},
            "data": _data_schema(),
            "preprocessing": _preprocessing_schema(),
            "model": _model_schema(),
            "train": _train_schema(),
            "report": _report_schema(),
        },
        "required": ["name", "task", "data", "model"],
        "additionalProperties": False,
    }
