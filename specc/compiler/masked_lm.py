"""A BERT masked-language model (``task: masked_lm``), as ``specc pretrain`` trains it.

keras-hub pieces, nothing of our own: ``BertBackbone`` (new, from the spec's
``num_layers``/``num_heads``/``hidden_dim``/``intermediate_dim``, or a preset),
``MaskedLMMaskGenerator`` (dynamic masking: BERT's 15% / 80-10-10 rule, Devlin et al.
2019, Sec. 3.1 and A.1) and ``BertMaskedLM`` (the backbone + a tied-embedding MLM head,
https://keras.io/keras_hub/api/models/bert/bert_masked_lm/). Inputs are the three BERT
arrays (``token_ids``, ``segment_ids``, ``padding_mask``) plus ``mask_positions``; the
targets are ``mask_ids`` weighted by ``mask_weights``.
"""

from __future__ import annotations

import math
from pathlib import Path

from specc.core.quiet import import_keras_hub
from specc.data.backbones import MASKING_DEFAULTS

SPECIAL = ("[PAD]", "[CLS]", "[SEP]")
"""Tokens never selected for masking."""


def new_backbone(args: dict, vocabulary_size: int, max_len: int):
    """An untrained keras-hub ``BertBackbone`` with the spec's architecture.

    Position embeddings cover ``max_len`` tokens (``max_sequence_length``), which is
    then the longest input the preset accepts.
    """
    return import_keras_hub().models.BertBackbone(
        vocabulary_size=vocabulary_size, num_layers=args["num_layers"],
        num_heads=args["num_heads"], hidden_dim=args["hidden_dim"],
        intermediate_dim=args["intermediate_dim"], dropout=args.get("dropout", 0.1),
        max_sequence_length=max_len)


def masked_lm_backbone(spec: dict, vocabulary_size: int, base_dir: Path | str = "."):
    """The backbone a resolved ``masked_lm`` spec pretrains: its preset (further
    pretraining) or a new one of ``vocabulary_size`` tokens."""
    args = spec["model"]["backbone"]["BertBackbone"]
    if "preset" in args:
        from specc.compiler.bert import load_backbone
        return load_backbone(args["preset"], base_dir, True, args.get("load_weights", True))
    return new_backbone(args, vocabulary_size, spec["preprocessing"]["sequence"]["max_len"])


def masking(spec: dict) -> dict:
    """``model.masking`` with :data:`~specc.data.backbones.MASKING_DEFAULTS` filled in
    and ``mask_selection_length`` resolved (default ``ceil(mask_selection_rate x max_len)``):
    the keyword arguments of ``MaskedLMMaskGenerator`` the spec decides."""
    out = {**MASKING_DEFAULTS, **(spec["model"].get("masking") or {})}
    out.setdefault("mask_selection_length", math.ceil(
        out["mask_selection_rate"] * spec["preprocessing"]["sequence"]["max_len"]))
    return out


def mask_generator(spec: dict, vocabulary: list[str]):
    """keras-hub ``MaskedLMMaskGenerator`` for the spec's ``model.masking``.

    Called on a batch of ``token_ids`` ``(batch, length)`` it returns ``token_ids``
    (masked), ``mask_positions``, ``mask_ids`` and ``mask_weights``, each
    ``(batch, mask_selection_length)`` but the first.
    """
    return import_keras_hub().layers.MaskedLMMaskGenerator(
        vocabulary_size=len(vocabulary), mask_token_id=vocabulary.index("[MASK]"),
        unselectable_token_ids=[vocabulary.index(t) for t in SPECIAL], **masking(spec))


def build_masked_lm(backbone):
    """keras-hub ``BertMaskedLM`` around ``backbone`` (no preprocessor: inputs are ids)."""
    return import_keras_hub().models.BertMaskedLM(backbone=backbone, preprocessor=None)


def declared_vocabulary_size(spec: dict) -> int | None:
    """The vocabulary size a ``masked_lm`` spec declares before any learning: the WordPiece
    ``vocabulary_size`` (an upper bound), a stored named vocabulary's size, or None for a
    preset (its own)."""
    wordpiece = spec["preprocessing"]["tokenizer"].get("wordpiece")
    if not wordpiece:
        return None
    if "vocabulary_size" in wordpiece:
        return wordpiece["vocabulary_size"]
    from specc.preprocessing.vocabulary import load_named
    return len(load_named(wordpiece["name"])[0])


def masked_lm_of(spec, n_classes: int | None = None):
    """:func:`masked_lm_model` for a :class:`~specc.loader.spec.Spec` (the ``masked_lm``
    kind's builder; ``n_classes`` is unused)."""
    return masked_lm_model(spec.resolved, spec.base_dir)


def masked_lm_model(spec: dict, base_dir: Path | str = "."):
    """``BertMaskedLM`` of a resolved ``masked_lm`` spec as ``specc build`` shows it (the
    vocabulary at its declared size; a learnt one may come out smaller)."""
    return build_masked_lm(masked_lm_backbone(spec, declared_vocabulary_size(spec), base_dir))
