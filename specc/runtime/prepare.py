"""Dataset -> model-ready arrays: subsample, validation split, tokenization.

The order of work keeps the test split untouched until evaluation: train is
(optionally) subsampled and split into train/validation with the spec's seed
(stratified for classification, chronological for series; grouped when the dataset
records groups, e.g. IMDB's movies, so validation sees unseen movies as test does;
``validation_split: 0``, scikit-learn estimators only, keeps no validation rows); the
tokenizer is fitted on the remaining training texts only; validation and test are then
encoded with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specc.compiler.tasks import get_task
from specc.data import SeriesDataset, TextDataset, subsample, validation_split
from specc.data.splits import nested_subset
from specc.errors import RunError
from specc.preprocessing.text import TextEncoder


def make_encoder(spec: dict, base_dir="."):
    """The text encoder a resolved spec declares: Keras-style :class:`TextEncoder`,
    a backbone's :class:`~specc.preprocessing.wordpiece.WordPieceEncoder`, or None
    (a scikit-learn pipeline reads the raw texts)."""
    from specc.compiler.kinds import kind_of
    if not kind_of(spec).encodes_texts:
        return None
    tokenizer = spec["preprocessing"]["tokenizer"]
    if "preset" in tokenizer or "wordpiece" in tokenizer:
        from specc.preprocessing.wordpiece import WordPieceEncoder
        return WordPieceEncoder.from_spec(spec["preprocessing"], base_dir)
    return TextEncoder.from_spec(spec["preprocessing"])


@dataclass
class Prepared:
    """Arrays for ``model.fit`` / ``evaluate``.

    ``x_*``: int32 ``(n, max_len)`` token ids, a dict of such arrays (BERT inputs),
    float32 ``(n, window, 1)`` windows, or the texts themselves (scikit-learn pipelines);
    ``y_*``: int64 class ids or float32 targets, ``(n,)``. ``test_texts`` are kept for
    reports; ``encoder`` is None for series data. ``cache_hit``: whether the encoded
    splits came from the preprocessing cache (None: not cached).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] | None
    encoder: object | None
    test_texts: list[str] | None = None
    grouped_by: str = ""
    train_fraction: float = 1.0
    cache_hit: bool | None = None

    def counts(self) -> dict:
        """Example counts per split, per class (``class_counts``: ``{split: [count per class
        id]}``, classification only), the validation grouping (``""`` when not grouped),
        the training fraction used and whether the ids came from the preprocessing cache."""
        out = {"n_train": len(self.y_train), "n_validation": len(self.y_val),
               "n_test": len(self.y_test), "validation_grouped_by": self.grouped_by,
               "train_fraction": self.train_fraction, "preprocessing_cache_hit": self.cache_hit}
        if self.class_names:
            k = len(self.class_names)
            out["class_counts"] = {
                split: np.bincount(np.asarray(y, dtype=np.int64), minlength=k).tolist()
                for split, y in (("train", self.y_train), ("validation", self.y_val),
                                 ("test", self.y_test))}
        return out


def take(x, idx):
    """Rows ``idx`` of model inputs: an array, a list of texts, or a dict of arrays."""
    if isinstance(x, dict):
        return {k: v[idx] for k, v in x.items()}
    return [x[i] for i in idx] if isinstance(x, list) else x[idx]


def prepare(spec: dict, dataset: TextDataset | SeriesDataset, base_dir=".",
            train_fraction: float = 1.0, allow_large: bool = False, *,
            holdout: str = "test") -> Prepared:
    """Split and encode ``dataset`` as the resolved ``spec`` says (see module docstring).

    ``base_dir`` is where relative backbone preset paths resolve. ``train_fraction`` < 1
    keeps that share of the training part (after the validation split, so validation and
    test stay the same; stratified and nested, see
    :func:`specc.data.splits.nested_subset`) — one point of a learning curve.

    ``holdout="validation"``: the validation split also fills the ``*_test`` slots (a
    ``specc tune`` trial is scored on validation; its test split is never encoded).

    Raises:
        RunError: the padded token ids cannot fit in this machine's memory
            (:func:`check_ids_memory`; not with ``allow_large``).
    """
    data, seed = spec["data"], spec["train"]["seed"]
    classify = get_task(spec["task"]).classification
    names = dataset.class_names
    if isinstance(dataset, SeriesDataset):
        x, y, x_test, y_test, texts_test = (dataset.train_x, dataset.train_y, dataset.test_x,
                                            dataset.test_y, None)
    else:
        x, y = dataset.train_texts, dataset.train_labels
        x_test, y_test, texts_test = dataset.test_texts, dataset.test_labels, dataset.test_texts
        if "max_test_samples" in data:
            keep = subsample(y_test if classify else len(y_test), data["max_test_samples"],
                             seed, classify, names)
            x_test, y_test, texts_test = take(x_test, keep), y_test[keep], take(texts_test, keep)
    groups = getattr(dataset, "train_groups", None) if data["grouped_validation"] else None
    if "max_train_samples" in data:
        keep = subsample(y if classify else len(y), data["max_train_samples"], seed, classify,
                         names)
        x, y = take(x, keep), y[keep]
        groups = None if groups is None else groups[keep]
    if data["validation"] == "dev":
        x_val, y_val = dataset.dev_texts, dataset.dev_labels
    elif data["validation_split"] == 0:  # scikit-learn only: fit on all of it, no validation
        x_val, y_val = take(x, np.arange(0)), y[:0]
    else:
        tr, va = validation_split(y if classify else len(y), data["validation_split"], seed,
                                  classify and not isinstance(dataset, SeriesDataset), names,
                                  groups=groups)
        x, y, x_val, y_val = take(x, tr), y[tr], take(x, va), y[va]
    if train_fraction < 1:
        keep = nested_subset(y if classify else len(y), train_fraction, seed, classify)
        x, y = take(x, keep), y[keep]
    if holdout == "validation":  # the test split is not encoded at all
        x_test, y_test = take(x_val, np.arange(0)), y_val[:0]
        texts_test = None if isinstance(dataset, SeriesDataset) else x_val
    encoder = make_encoder(spec, base_dir) if isinstance(dataset, TextDataset) else None
    cache_hit = None
    if encoder is not None:
        if not allow_large:
            check_ids_memory(len(x) + len(x_val) + len(x_test), encoder.max_len,
                             len(BERT_INPUTS) if hasattr(encoder, "tokenizer") else 1)
        (x, x_val, x_test), cache_hit = encode_splits(
            encoder, (x, x_val, x_test), spec["preprocessing"].get("cache", True))
    if holdout == "validation":
        x_test, y_test = x_val, y_val
    grouped_by = dataset.group_name if groups is not None and data["validation"] == "split" else ""
    return Prepared(_array(x), np.asarray(y), _array(x_val), np.asarray(y_val),
                    _array(x_test), np.asarray(y_test), names, encoder, texts_test,
                    grouped_by, train_fraction, cache_hit)


def check_ids_memory(n_texts: int, max_len: int, arrays: int = 1) -> None:
    """Refuse to pad ``n_texts`` texts to ``max_len`` token ids (int32, ``arrays`` arrays
    per text: 3 for BERT's token ids, segment ids and padding mask) when those arrays
    alone would exceed this machine's total memory (the spec's check at validation,
    :mod:`specc.loader.memory`, cannot count the texts of a data file).

    Raises:
        RunError: naming the bytes needed and the machine's memory.
    """
    from specc.loader.memory import format_bytes, machine_memory
    total, needed = machine_memory(), 4 * arrays * n_texts * max_len
    if total is not None and needed > total:
        raise RunError(f"the token ids of {n_texts:,} texts padded to max_len {max_len:,} "
                       f"need about {format_bytes(needed)}; this machine has "
                       f"{format_bytes(total)} (lower preprocessing.sequence.max_len, or "
                       "--allow-large to try anyway)")


SPLITS = ("train", "validation", "test")

CACHE_VERSION = 1
"""Part of every preprocessing cache key: bump it when the stored layout changes."""


def encode_splits(encoder, texts: tuple, use_cache: bool = True) -> tuple[tuple, bool | None]:
    """``((train, validation, test) ids, cache_hit)``: ``encoder`` fitted on the training
    texts, then every split encoded.

    With ``use_cache`` the result (and the encoder's fitted state) is kept in the cache
    (:func:`specc.core.cache.cached_arrays`, kind ``prepared``) under a SHA-256 of the
    three splits' texts and the encoder's settings, so a second run of the spec, or of a
    spec that differs only outside data/preprocessing, skips fitting and encoding.
    ``cache_hit`` is None when the cache is off.
    """
    def compute() -> dict:
        encoder.fit(texts[0])
        out = {f"state.{k}": v for k, v in encoder.state().items()}
        for split, part in zip(SPLITS, texts):
            ids = encoder.encode(part)
            out.update({f"{split}.{k}": v for k, v in ids.items()} if isinstance(ids, dict)
                       else {split: ids})
        return out

    if not use_cache:
        arrays, hit = compute(), None
    else:
        from specc.core.cache import cache_key, cached_arrays, texts_digest
        key = cache_key(encoder=encoder.settings(), version=CACHE_VERSION,
                        **{split: texts_digest(part) for split, part in zip(SPLITS, texts)})
        arrays, hit = cached_arrays("prepared", key, compute, entry_check(encoder, texts))
        if hit:
            encoder.restore(_split_arrays(arrays, "state"))
    return tuple(_split_arrays(arrays, split) for split in SPLITS), hit


BERT_INPUTS = ("token_ids", "segment_ids", "padding_mask")
"""The arrays a WordPiece encoder gives per split (``<split>.<name>`` in the cache)."""


def entry_check(encoder, texts: tuple):
    """The ``validate`` callback of :func:`encode_splits`' cache entries: a read entry
    must hold exactly the arrays ``compute`` stores (the encoder's vocabulary, unless it
    is a preset's, then each split's ids), each split's ids int32 ``(len(split texts),
    max_len)`` and within ``[0, vocabulary size)`` (segment ids and padding mask within
    ``[0, 2)``), so an entry an older specc wrote, or one edited by hand, is recomputed
    instead of reaching the model. The callback returns None or what is wrong."""
    from specc.preprocessing.vocabulary import LearnedWordPieceEncoder, vocabulary_problem
    from specc.preprocessing.wordpiece import WordPieceEncoder
    bert = isinstance(encoder, WordPieceEncoder)
    preset = bert and not isinstance(encoder, LearnedWordPieceEncoder)
    ids = {split: [f"{split}.{k}" for k in BERT_INPUTS] if bert else [split] for split in SPLITS}
    expected = {name for names in ids.values() for name in names} | (
        set() if preset else {"state.vocabulary"})

    def check(arrays: dict) -> str | None:
        if set(arrays) != expected:
            return f"arrays {sorted(arrays)}, expected {sorted(expected)}"
        if preset:
            size = len(encoder.vocabulary())
        else:
            vocab = arrays["state.vocabulary"]
            if vocab.ndim != 1 or vocab.dtype.kind != "U":
                return f"state.vocabulary is {vocab.dtype} {vocab.shape}, expected tokens"
            tokens = [str(t) for t in vocab]
            problem = (vocabulary_problem(tokens) if bert else
                       "repeated tokens" if len(set(tokens)) < len(tokens) else None)
            if problem:
                return f"state.vocabulary: {problem}"
            size = len(vocab)
        for split, part in zip(SPLITS, texts):
            for name in ids[split]:
                problem = _ids_problem(arrays[name], (len(part), encoder.max_len),
                                       2 if name.endswith(BERT_INPUTS[1:]) else size)
                if problem:
                    return f"{name} {problem}"
        return None
    return check


def _ids_problem(ids: np.ndarray, shape: tuple[int, int], size: int) -> str | None:
    """What is wrong with cached ``ids`` that should be int32 ``shape`` within
    ``[0, size)``, or None."""
    if ids.dtype != np.int32 or ids.shape != shape:
        return f"is {ids.dtype} {ids.shape}, expected int32 {shape}"
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        return f"holds ids in [{ids.min()}, {ids.max()}], outside [0, {size})"
    return None


def _split_arrays(arrays: dict, split: str):
    """One part of :func:`encode_splits`' flat dict: a split's ids (an array, or BERT's
    dict), or the encoder's ``state`` (the dict of ``state.*`` arrays)."""
    if split in arrays:
        return arrays[split]
    prefix = f"{split}."
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _array(x):
    """Arrays stay arrays, dicts of arrays (BERT inputs) stay dicts, texts stay a list."""
    if isinstance(x, dict) or (isinstance(x, list) and (not x or isinstance(x[0], str))):
        return x
    return np.asarray(x)
