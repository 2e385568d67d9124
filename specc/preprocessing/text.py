"""Word tokenization with the semantics of Keras' classic ``Tokenizer`` + ``pad_sequences``.

The vocabulary is learnt by ``keras.layers.TextVectorization`` (the Keras 3
successor of ``keras.preprocessing.text.Tokenizer``) on the training texts only.
Ids follow the classic Tokenizer: ``0`` is padding, ``1`` the OOV token, ``2..`` the
words by descending frequency, ``num_words`` ids in all. With ``oov_token: null``
out-of-vocabulary words are dropped, as the classic Tokenizer does. Sequences are
then cut and padded by ``keras.utils.pad_sequences`` (``pre`` or ``post``).
See https://keras.io/api/layers/preprocessing_layers/text/text_vectorization/.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from specc.core.quiet import import_keras

ENCODE_BATCH = 2048
"""Texts vectorized per call (bounds the dense intermediate: batch x longest text)."""


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
        return self

    @property
    def vocabulary(self) -> list[str]:
        """Tokens by id: ``[""(padding), oov_token, most frequent word, ...]``."""
        vocab = list(self._layer.get_vocabulary())
        vocab[1] = self.oov_token if self.oov_token is not None else "[UNK]"
        return vocab

    def encode(self, texts: list[str]) -> np.ndarray:
        """Token ids of ``texts``: int32 array ``(len(texts), max_len)``."""
        parts = [np.zeros((0, self.max_len), np.int32)]
        for start in range(0, len(texts), ENCODE_BATCH):
            ragged = self._layer(np.asarray(texts[start:start + ENCODE_BATCH], dtype=object))
            values = np.asarray(ragged.flat_values, dtype=np.int32)
            splits = np.asarray(ragged.row_splits, dtype=np.int64)
            if self.oov_token is None:  # the classic Tokenizer drops unknown words
                keep = values != 1
                splits = np.concatenate([[0], np.cumsum(keep)])[splits]
                values = values[keep]
            parts.append(pad_rows(values, splits, self.max_len, self.padding, self.truncating))
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
        """Take a vocabulary as :attr:`vocabulary` lists it (padding and OOV first)."""
        self._layer = self._vectorizer(vocabulary=list(vocab[2:]))
        return self

    def _vectorizer(self, ragged: bool = True, **kwargs):
        """The ``keras.layers.TextVectorization`` these settings describe (int ids; ragged,
        or right-padded with 0 to the batch's longest text)."""
        keras = import_keras()
        return keras.layers.TextVectorization(
            max_tokens=self.num_words, standardize=self.standardize, split=self.split,
            output_mode="int", ragged=ragged, **kwargs)

    def string_model(self, name: str = "text_to_ids"):
        """A Keras model: a batch of raw strings ``(batch,)`` -> the int32 ids
        ``(batch, max_len)`` :meth:`encode` gives (``TextVectorization`` with the fitted
        vocabulary, then :class:`~specc.preprocessing.padding.PadSequences`). TensorFlow
        backend only (string tensors)."""
        from specc.preprocessing.padding import PadSequences
        keras = import_keras()
        texts = keras.Input(shape=(), dtype="string", name="texts")
        ids = self._vectorizer(ragged=False, vocabulary=list(self.vocabulary[2:]))(texts)
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
