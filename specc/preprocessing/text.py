"""Word tokenization with the semantics of Keras' classic ``Tokenizer`` + ``pad_sequences``.

The vocabulary is learnt by ``keras.layers.TextVectorization`` (the Keras 3
successor of ``keras.preprocessing.text.Tokenizer``) on the training texts only.
Ids follow the classic Tokenizer: ``0`` is padding, ``1`` the OOV token, ``2..`` the
words by descending frequency, ``num_words`` ids in all. With ``oov_token: null``
out-of-vocabulary words are dropped, as the classic Tokenizer does. Sequences are
then cut and padded by ``keras.utils.pad_sequences`` (``pre`` or ``post``).
See https://keras.io/api/layers/preprocessing_layers/text/text_vectorization/.

The ids are NumPy arrays whatever the Keras backend: ``TextVectorization`` runs its
TensorFlow ops under every backend (TensorFlow stays the tokenization library), in its
dense mode (``ragged=True`` exists on the TensorFlow backend only). A fitted encoder
restored from the preprocessing cache builds no layer until it encodes, so a run whose
ids are cached trains where TensorFlow is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from specc.core.quiet import import_keras, import_tensorflow

ENCODE_BATCH = 2048
"""Texts vectorized per call, at most."""

ENCODE_IDS = 1 << 23
"""Ids per call, at most (rows x the longest row's estimated tokens): bounds the dense
intermediate ``TextVectorization`` returns, right-padded to the batch's longest text
(8 Mi int64 ids = 64 MiB; one text longer than this is encoded alone)."""


def encode_batches(texts: list[str], split: str) -> list[tuple[int, int]]:
    """``(start, stop)`` slices of ``texts`` in order, each at most :data:`ENCODE_BATCH`
    texts whose row count times the longest text's estimated token count (whitespace
    words, or characters with ``split: character``) stays within :data:`ENCODE_IDS`."""
    out, start, longest = [], 0, 0
    for i, text in enumerate(texts):
        size = len(text) if split == "character" else len(text.split())
        longest = max(longest, size, 1)
        if i > start and ((i - start + 1) * longest > ENCODE_IDS or i - start == ENCODE_BATCH):
            out.append((start, i))
            start, longest = i, max(size, 1)
    if start < len(texts):
        out.append((start, len(texts)))
    return out


def pad_rows(values: np.ndarray, splits: np.ndarray, max_len: int, padding: str = "pre",
             truncating: str = "pre") -> np.ndarray:
    """Ragged rows (``values`` cut at ``splits``, as a ``tf.RaggedTensor`` stores them) as an
    int32 ``(rows, max_len)`` array, cut and padded with 0 exactly as
    ``keras.utils.pad_sequences(rows, maxlen=max_len, padding=..., truncating=...)``
    (https://keras.io/api/data_loading/text/), in vectorized NumPy instead of a loop per row.
    """
    splits = np.asarray(splits, dtype=np.int64)
    lens = np.diff(splits)
    n = len(lens)
    kept = np.minimum(lens, max_len)
    first = splits[:-1] + (lens - kept if truncating == "pre" else 0)
    column = max_len - kept if padding == "pre" else np.zeros(n, np.int64)
    within = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    out = np.zeros((n, max_len), np.int32)
    out[np.repeat(np.arange(n), kept), np.repeat(column, kept) + within] = \
        np.asarray(values)[np.repeat(first, kept) + within]
    return out


class TextEncoder:
    """Fit a word vocabulary on training texts and turn texts into ``(n, max_len)`` int32 ids.

    Args:
        num_words: vocabulary size including padding (0) and OOV (1); ids < num_words.
        oov_token: the OOV token's name, or None to drop unknown words.
        standardize: TextVectorization's ``standardize`` ("lower_and_strip_punctuation",
            "lower", "strip_punctuation" or None).
        max_len: length of every output row.
        padding, truncating: ``"pre"`` or ``"post"``, as in ``keras.utils.pad_sequences``.
        split: ``"whitespace"`` (word tokens) or ``"character"`` (one token per Unicode
            character: Hangul syllables for Korean; the classic Tokenizer's ``char_level``).
    """

    def __init__(self, num_words: int, oov_token: str | None, standardize: str | None,
                 max_len: int, padding: str = "pre", truncating: str = "pre",
                 split: str = "whitespace"):
        self.num_words = num_words
        self.oov_token = oov_token
        self.standardize = standardize
        self.max_len = max_len
        self.padding = padding
        self.truncating = truncating
        self.split = split
        self._layer = None
        self._vocab: list[str] | None = None

    @classmethod
    def from_spec(cls, preprocessing: dict) -> "TextEncoder":
        """The encoder a resolved spec's ``preprocessing`` section declares."""
        tok, seq = preprocessing["tokenizer"], preprocessing["sequence"]
        return cls(tok["num_words"], tok["oov_token"], tok["standardize"], seq["max_len"],
                   seq["padding"], seq["truncating"], tok.get("split", "whitespace"))

    def fit(self, texts: list[str]) -> "TextEncoder":
        """Learn the vocabulary from ``texts`` (the training split only)."""
        self._layer = self._vectorizer()
        self._layer.adapt(np.asarray(texts, dtype=object), batch_size=ENCODE_BATCH)
        vocab = list(self._layer.get_vocabulary())
        vocab[1] = self.oov_token if self.oov_token is not None else "[UNK]"
        self._vocab = vocab
        return self

    @property
    def vocabulary(self) -> list[str]:
        """Tokens by id: ``[""(padding), oov_token, most frequent word, ...]``.

        Raises:
            ValueError: the encoder is neither fitted nor restored.
        """
        if self._vocab is None:
            raise ValueError("the text encoder has no vocabulary yet (fit or restore it)")
        return list(self._vocab)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Token ids of ``texts``: int32 array ``(len(texts), max_len)``.

        Texts go through ``TextVectorization`` in slices (:func:`encode_batches`); each
        dense, right-padded slice is turned back into rows (ids are never 0: 0 is padding)
        and cut and padded by :func:`pad_rows`.
        """
        if self._layer is None:
            self._layer = self._vectorizer(vocabulary=self.vocabulary[2:])
        parts = [np.zeros((0, self.max_len), np.int32)]
        for start, stop in encode_batches(texts, self.split):
            dense = np.asarray(self._layer(np.asarray(texts[start:stop], dtype=object)))
            keep = dense != 0
            if self.oov_token is None:  # the classic Tokenizer drops unknown words
                keep &= dense != 1
            splits = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
            parts.append(pad_rows(dense[keep].astype(np.int32), splits, self.max_len,
                                  self.padding, self.truncating))
        return np.concatenate(parts)

    @classmethod
    def load(cls, folder: Path) -> "TextEncoder":
        """The encoder saved by :meth:`save` in a run folder (same ids for the same texts)."""
        folder = Path(folder)
        config = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        # bytes, split at "\n" only: read_text would turn a "\r" token into a line break
        vocab = (folder / "vocab.txt").read_bytes().decode("utf-8").split("\n")
        vocab = vocab[:config["vocabulary_size"]]
        for index, token in config.get("line_break_tokens", {}).items():
            if not 0 <= int(index) < len(vocab) or not isinstance(token, str):
                raise ValueError(f"line_break_tokens: no token {index!r} in vocab.txt")
            vocab[int(index)] = token
        enc = cls(config["num_words"], config["oov_token"], config["standardize"],
                  config["max_len"], config["padding"], config["truncating"],
                  config.get("split", "whitespace"))
        return enc._use_vocabulary(vocab)

    def _use_vocabulary(self, vocab: list[str]) -> "TextEncoder":
        """Take a vocabulary as :attr:`vocabulary` lists it (padding and OOV first); the
        ``TextVectorization`` layer is built when :meth:`encode` first needs it."""
        self._vocab, self._layer = list(vocab), None
        return self

    def _vectorizer(self, **kwargs):
        """The ``keras.layers.TextVectorization`` these settings describe: int ids,
        right-padded with 0 to the batch's longest text."""
        keras = import_keras()
        import_tensorflow()  # the layer's ops, quietly, whatever the backend
        return keras.layers.TextVectorization(
            max_tokens=self.num_words, standardize=self.standardize, split=self.split,
            output_mode="int", ragged=False, **kwargs)

    def string_model(self, name: str = "text_to_ids"):
        """A Keras model: a batch of raw strings ``(batch,)`` -> the int32 ids
        ``(batch, max_len)`` :meth:`encode` gives (``TextVectorization`` with the fitted
        vocabulary, then :class:`~specc.preprocessing.padding.PadSequences`). TensorFlow
        backend only (string tensors)."""
        from specc.preprocessing.padding import PadSequences
        keras = import_keras()
        texts = keras.Input(shape=(), dtype="string", name="texts")
        ids = self._vectorizer(vocabulary=self.vocabulary[2:])(texts)
        ids = PadSequences(self.max_len, self.padding, self.truncating,
                           drop_oov=self.oov_token is None)(ids)
        return keras.Model(texts, ids, name=name)

    def settings(self) -> dict:
        """Everything that decides the ids besides the training texts (a cache key part)."""
        return {"kind": "words", "num_words": self.num_words, "oov_token": self.oov_token,
                "standardize": self.standardize, "max_len": self.max_len,
                "padding": self.padding, "truncating": self.truncating, "split": self.split}

    def state(self) -> dict[str, np.ndarray]:
        """The fitted state as arrays (the vocabulary), for the preprocessing cache."""
        return {"vocabulary": np.asarray(self.vocabulary, dtype=str)}

    def restore(self, state: dict[str, np.ndarray]) -> "TextEncoder":
        """Undo :meth:`state`: the encoder as fitted, without fitting again."""
        return self._use_vocabulary([str(t) for t in state["vocabulary"]])

    def save(self, folder: Path) -> None:
        """Write ``vocab.txt`` (one token per line; line ``i`` is id ``i``) and ``tokenizer.json``.

        A token holding a line break (``split: character`` makes ``"\\n"`` and ``"\\r"``
        tokens of texts with several lines) cannot be a line of ``vocab.txt``: its line is
        left empty and ``tokenizer.json``'s ``line_break_tokens`` maps its id to it, so
        :meth:`load` gives every token its id back.
        """
        from specc.core.files import write_text
        vocab = self.vocabulary
        breaks = {str(i): t for i, t in enumerate(vocab) if "\n" in t or "\r" in t}
        lines = ["" if str(i) in breaks else t for i, t in enumerate(vocab)]
        write_text(folder / "vocab.txt", "\n".join(lines) + "\n")
        config = {**self.settings(), "vocabulary_size": len(vocab),
                  **({"line_break_tokens": breaks} if breaks else {})}
        write_text(folder / "tokenizer.json", json.dumps(config, indent=2) + "\n")
