"""Texts -> BERT inputs with the WordPiece tokenizer of a backbone preset.

keras-hub's ``BertTokenizer.from_preset`` reads the preset's ``vocab.txt`` (token ids
equal the Hugging Face tokenizer's) and ``BertTextClassifierPreprocessor`` packs
``[CLS] tokens [SEP]`` then padding, truncating to ``max_len``
(https://keras.io/keras_hub/api/models/bert/bert_text_classifier_preprocessor/).
The preprocessor is built with the spec's ``max_len`` explicitly: ``from_preset`` on a
sentence-transformers folder would keep its own 256 (see ../shared/NOTES.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from specc.data.backbones import read_config, resolve_preset

CHUNK = 2048
"""Texts tokenized per call (bounds memory on large splits)."""


class WordPieceEncoder:
    """Encode texts as ``{"token_ids", "segment_ids", "padding_mask"}``, each int32 ``(n, max_len)``.

    Same interface as :class:`specc.preprocessing.text.TextEncoder`: ``fit`` (a no-op:
    the vocabulary is the preset's), ``encode``, ``vocabulary``, ``save``.
    """

    def __init__(self, preset: str, max_len: int, base_dir: Path | str = "."):
        """Load the tokenizer of ``preset`` (name or folder; see :mod:`specc.data.backbones`).

        Raises:
            PresetError: the preset cannot be found.
        """
        from specc.core.quiet import import_keras_hub
        keras_hub = import_keras_hub()
        self.preset, self.max_len = preset, max_len
        self.folder = resolve_preset(preset, base_dir)
        self.config = read_config(self.folder)
        self._use(keras_hub.models.BertTokenizer.from_preset(str(self.folder)))

    def _use(self, tokenizer) -> None:
        """Encode with the keras-hub ``BertTokenizer`` ``tokenizer`` from now on."""
        from specc.core.quiet import import_keras_hub
        self.tokenizer = tokenizer
        self.packer = import_keras_hub().models.BertTextClassifierPreprocessor(
            tokenizer=tokenizer, sequence_length=self.max_len)

    @classmethod
    def from_spec(cls, preprocessing: dict, base_dir: Path | str = ".") -> "WordPieceEncoder":
        """Encoder for a resolved ``preprocessing`` section: ``tokenizer: {preset: ...}``
        (the backbone's vocabulary) or ``{wordpiece: {...}}`` (one learnt on the training
        texts, :class:`~specc.preprocessing.vocabulary.LearnedWordPieceEncoder`)."""
        tokenizer, max_len = preprocessing["tokenizer"], preprocessing["sequence"]["max_len"]
        if "wordpiece" in tokenizer:
            from specc.preprocessing.vocabulary import LearnedWordPieceEncoder
            return LearnedWordPieceEncoder(tokenizer["wordpiece"], max_len)
        return cls(tokenizer["preset"], max_len, base_dir)

    @classmethod
    def load(cls, folder: Path | str) -> "WordPieceEncoder":
        """The encoder a run folder's ``vocab.txt`` + ``tokenizer.json`` describe (written by
        :meth:`save`): keras-hub's ``BertTokenizer`` on that vocabulary with the saved
        casing and ``max_len``; the preset folder the run was trained from is not needed.

        Raises:
            KeyError, ValueError, OSError: a missing or malformed file (the caller turns
                them into one-line errors).
        """
        from specc.core.quiet import import_keras_hub
        folder = Path(folder)
        config = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        vocab = vocab[:int(config["vocabulary_size"])]
        enc = cls.__new__(cls)
        enc.preset, enc.folder, enc.config = config.get("preset"), None, None
        enc.max_len, enc.lowercase = int(config["max_len"]), bool(config["lowercase"])
        enc._use(import_keras_hub().models.BertTokenizer(vocabulary=vocab,
                                                         lowercase=enc.lowercase))
        return enc

    def string_model(self, name: str = "text_to_ids"):
        """A Keras model: a batch of raw strings ``(batch,)`` -> the three int32 BERT
        inputs ``(batch, max_len)`` (:func:`bert_string_inputs`)."""
        from specc.core.quiet import import_keras
        keras = import_keras()
        texts = keras.Input(shape=(), dtype="string", name="texts")
        layer = bert_string_inputs()(self.vocabulary(), self.tokenizer.lowercase, self.max_len)
        return keras.Model(texts, layer(texts), name=name)

    def fit(self, texts) -> "WordPieceEncoder":
        """No-op (the vocabulary is fixed by the preset); returns self."""
        return self

    def encode(self, texts) -> dict[str, np.ndarray]:
        """BERT inputs for ``texts``: three int32 arrays of shape ``(len(texts), max_len)``."""
        texts = list(texts)
        parts: dict[str, list[np.ndarray]] = {"token_ids": [], "segment_ids": [],
                                              "padding_mask": []}
        for start in range(0, len(texts), CHUNK):
            packed = self.packer(texts[start:start + CHUNK])
            for key in parts:
                parts[key].append(np.asarray(packed[key]).astype("int32"))
        return {k: (np.concatenate(v) if v else np.zeros((0, self.max_len), "int32"))
                for k, v in parts.items()}

    def settings(self) -> dict:
        """Everything that decides the ids (a cache key part): the preset's files, max_len."""
        from specc.core.cache import folder_digest
        return {"kind": "wordpiece", "preset": folder_digest(str(self.folder)),
                "max_len": self.max_len}

    def state(self) -> dict[str, np.ndarray]:
        """No fitted state (the vocabulary is the preset's)."""
        return {}

    def restore(self, state: dict[str, np.ndarray]) -> "WordPieceEncoder":
        """Nothing to restore; returns self."""
        return self

    def vocabulary(self) -> list[str]:
        """The WordPiece vocabulary, id order."""
        return list(self.tokenizer.get_vocabulary())

    def tokenizer_config(self) -> dict:
        """``tokenizer.json``'s content: the preset, ``max_len``, casing, vocabulary size."""
        return {"kind": "wordpiece", "preset": self.preset, "preset_folder": str(self.folder),
                "max_len": self.max_len, "lowercase": self.config.lowercase,
                "vocabulary_size": self.config.vocabulary_size}

    def save(self, folder: Path | str) -> None:
        """Write ``vocab.txt`` (line ``i`` is id ``i``) and ``tokenizer.json``
        (:meth:`tokenizer_config`)."""
        from specc.core.files import write_text
        folder = Path(folder)
        write_text(folder / "vocab.txt", "\n".join(self.vocabulary()) + "\n")
        write_text(folder / "tokenizer.json", json.dumps(self.tokenizer_config(), indent=2) + "\n")


_STRING_INPUTS = None


def bert_string_inputs():
    """The Keras layer class ``specc>BertStringInputs``: strings ``(batch,)`` -> BERT's
    ``{"token_ids", "segment_ids", "padding_mask"}``, each int32 ``(batch, max_len)``,
    by keras-hub's ``BertTokenizer`` + ``BertTextClassifierPreprocessor``.

    Its config holds the vocabulary itself (a list of strings), so a ``.keras`` file that
    contains it rebuilds the tokenizer while the model is reconstructed (keras-hub's own
    preprocessor loads its vocabulary only afterwards, which a functional model cannot
    wait for). Defined on first use, after keras-hub is imported; registered with Keras
    so it loads with ``safe_mode=True``.
    """
    global _STRING_INPUTS
    if _STRING_INPUTS is not None:
        return _STRING_INPUTS
    from specc.core.quiet import import_keras, import_keras_hub
    keras, keras_hub = import_keras(), import_keras_hub()

    @keras.saving.register_keras_serializable(package="specc")
    class BertStringInputs(keras.layers.Layer):
        """See :func:`bert_string_inputs`."""

        def __init__(self, vocabulary, lowercase: bool, max_len: int, **kwargs):
            super().__init__(**kwargs)
            self.vocabulary, self.lowercase = list(vocabulary), bool(lowercase)
            self.max_len = int(max_len)
            self.packer = keras_hub.models.BertTextClassifierPreprocessor(
                tokenizer=keras_hub.models.BertTokenizer(vocabulary=self.vocabulary,
                                                         lowercase=self.lowercase),
                sequence_length=self.max_len)

        def call(self, texts):
            """The packed BERT inputs of ``texts``."""
            return dict(self.packer(texts))

        def compute_output_spec(self, texts):
            """Three int32 ``(batch, max_len)`` tensors."""
            return {k: keras.KerasTensor((texts.shape[0], self.max_len), dtype="int32")
                    for k in ("token_ids", "segment_ids", "padding_mask")}

        def get_config(self):
            """Keras config (the vocabulary, casing and length)."""
            return {**super().get_config(), "vocabulary": self.vocabulary,
                    "lowercase": self.lowercase, "max_len": self.max_len}

    _STRING_INPUTS = BertStringInputs
    return BertStringInputs
