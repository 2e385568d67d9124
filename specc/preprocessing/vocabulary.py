"""WordPiece vocabularies learnt on training texts, saved with the run and reusable by name.

Learning uses the Hugging Face ``tokenizers`` library (``BertWordPieceTokenizer``, a
keras-hub dependency; 9 s for 500k Korean reviews on one core, where keras-hub's
``compute_word_piece_vocabulary`` needs minutes per 100k). Encoding then uses keras-hub's
``BertTokenizer`` with that vocabulary, which splits text the same way (whitespace,
punctuation, CJK ideographs; checked token for token in tests/test_vocabulary.py).
Wu et al., "Google's Neural Machine Translation System", 2016 (WordPiece);
https://huggingface.co/docs/tokenizers/api/models#tokenizers.models.WordPiece.

A vocabulary given a ``name`` is also stored in ``$SPECC_CACHE_DIR/vocabularies/NAME/``
(``vocab.txt``, ``vocabulary.json``); a later spec with ``wordpiece: {name: NAME}`` and
no ``vocabulary_size`` reuses it instead of learning one. A stored vocabulary is the
user's data, not a disposable cache entry: a damaged one is a one-line
:class:`~specc.errors.DataError` naming the file (:func:`load_named`), and a spec that
learns the vocabulary (``vocabulary_size``) replaces it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from specc.errors import DataError
from specc.preprocessing.wordpiece import WordPieceEncoder

RESERVED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
"""Special tokens, ids 0-4 ([PAD] must be 0: padding masks and masking skip id 0)."""


def learn_wordpiece(texts: list[str], vocabulary_size: int, lowercase: bool) -> list[str]:
    """A WordPiece vocabulary (tokens in id order, :data:`RESERVED` first) learnt on ``texts``.

    ``vocabulary_size`` is an upper bound: a small corpus may yield fewer tokens. Accents
    are kept (Hangul syllables decompose under accent stripping). The learner breaks ties
    between equally frequent merges in hash order, so two learnings on the same texts can
    differ in a few rare tokens (26 of 4,000 on 30k NSMC reviews): a run is reproduced from
    the vocabulary it saved (run folder, named store, preprocessing cache), not relearnt.
    """
    from tokenizers import BertWordPieceTokenizer
    learner = BertWordPieceTokenizer(lowercase=lowercase, strip_accents=False, clean_text=True,
                                     handle_chinese_chars=True)
    learner.train_from_iterator(texts, vocab_size=vocabulary_size, special_tokens=RESERVED,
                                show_progress=False)
    return [token for token, _ in sorted(learner.get_vocab().items(), key=lambda kv: kv[1])]


def store_dir() -> Path:
    """Where named vocabularies live: ``$SPECC_CACHE_DIR/vocabularies``."""
    from specc.core.cache import cache_dir
    return cache_dir() / "vocabularies"


def stored_names() -> list[str]:
    """Names of the stored vocabularies, sorted."""
    folder = store_dir()
    return sorted(p.parent.name for p in folder.glob("*/vocab.txt")) if folder.is_dir() else []


def save_named(name: str, vocabulary: list[str], info: dict) -> Path:
    """Store ``vocabulary`` under ``name`` (replacing an older one); returns its folder."""
    from specc.core.files import write_text
    folder = store_dir() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        from specc.errors import RunError
        raise RunError(f"cannot create {folder} for the vocabulary {name!r}: "
                       f"{e.strerror or e}") from None
    write_text(folder / "vocab.txt", "\n".join(vocabulary) + "\n")
    write_text(folder / "vocabulary.json", json.dumps(info, indent=2) + "\n")
    return folder


def load_named(name: str) -> tuple[list[str], dict]:
    """``(vocabulary, info)`` stored under ``name``.

    A stored vocabulary is the user's data (a spec that reuses it has no texts to learn it
    again from), so a damaged one is an error, never silently replaced.

    Raises:
        DataError: no vocabulary of that name (lists the stored ones and the folder), or
            a damaged one: a file that is missing, not a regular file (link, device,
            folder), oversized, not UTF-8/JSON, or whose content is inconsistent (one line
            naming the file, what is wrong, and how to learn it again).
    """
    from specc.errors import UsageError, one_line
    from specc.preprocessing.saved import MAX_TOKENIZER_BYTES, MAX_VOCABULARY_BYTES
    folder = store_dir() / name
    vocab_file, info_file = folder / "vocab.txt", folder / "vocabulary.json"
    if not os.path.lexists(vocab_file):
        known = ", ".join(stored_names()) or "none"
        raise DataError(f"no WordPiece vocabulary named {name!r} in {store_dir()} (stored: "
                        f"{known}); give vocabulary_size to learn one on the training "
                        f"texts")
    fix = (f"; delete {folder} and give vocabulary_size to learn the vocabulary {name!r} "
           f"again")
    current = vocab_file
    try:
        lines = _read_text(vocab_file, MAX_VOCABULARY_BYTES).split("\n")
        current = info_file
        info = json.loads(_read_text(info_file, MAX_TOKENIZER_BYTES))
    except UsageError as e:  # check_regular_file's one line, naming the file
        raise DataError(f"{e}{fix}") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{current}: stored vocabulary file cannot be read "
                        f"({type(e).__name__}: {one_line(str(e))[:120]}){fix}") from None
    problem = _info_problem(info, len(lines))
    if problem:
        raise DataError(f"{info_file}: damaged stored vocabulary ({problem}){fix}")
    vocab = lines[:info["vocabulary_size"]]
    problem = vocabulary_problem(vocab)
    if problem:
        raise DataError(f"{vocab_file}: damaged stored vocabulary ({problem}){fix}")
    return vocab, info


def _read_text(path: Path, max_bytes: int) -> str:
    """The UTF-8 text of ``path``, a regular file of at most ``max_bytes`` bytes.

    Raises:
        UsageError: missing, not a regular file or too large (naming the file).
        OSError, UnicodeDecodeError: unreadable.
    """
    from specc.core.files import check_regular_file
    return check_regular_file(path, max_bytes, "stored vocabulary file").read_text(
        encoding="utf-8")


def _info_problem(info, n_lines: int) -> str | None:
    """What is wrong with a stored ``vocabulary.json`` content for a ``vocab.txt`` of
    ``n_lines`` lines, or None."""
    if not isinstance(info, dict):
        return f"a JSON {type(info).__name__}, expected an object"
    size = info.get("vocabulary_size")
    if type(size) is not int or not len(RESERVED) <= size <= n_lines:
        return (f"vocabulary_size {size!r}, expected a whole number from {len(RESERVED)} to "
                f"the {n_lines} lines of vocab.txt")
    if not isinstance(info.get("lowercase"), bool):
        return f"lowercase {info.get('lowercase')!r}, expected true or false"
    return None


def vocabulary_problem(vocab: list[str]) -> str | None:
    """What makes ``vocab`` (tokens in id order) unusable as a WordPiece vocabulary, or
    None: it must start with :data:`RESERVED` and hold no empty or repeated token."""
    if vocab[:len(RESERVED)] != RESERVED:
        return f"the first tokens are {vocab[:len(RESERVED)]}, expected {RESERVED}"
    if "" in vocab:
        return f"token {vocab.index('')} is empty"
    if len(set(vocab)) < len(vocab):
        return "repeated tokens"
    return None


class LearnedWordPieceEncoder(WordPieceEncoder):
    """:class:`WordPieceEncoder` whose vocabulary is learnt by :meth:`fit` on the training
    texts (or reused by name). Outputs BERT inputs, each int32 ``(n, max_len)``.

    Args:
        wordpiece: the spec's ``tokenizer.wordpiece`` (``vocabulary_size``, ``lowercase``,
            ``name``).
        max_len: tokens per row incl. [CLS] and [SEP].
    """

    def __init__(self, wordpiece: dict, max_len: int):
        self.wordpiece, self.max_len = dict(wordpiece), max_len
        self.preset = self.folder = None
        self.lowercase = wordpiece.get("lowercase", False)
        self.learnt = "vocabulary_size" in wordpiece
        self.tokenizer = self.packer = None
        if not self.learnt:
            vocab, info = load_named(wordpiece["name"])
            self.lowercase = info["lowercase"]
            self._vocabulary(vocab)

    def _vocabulary(self, vocab: list[str]) -> "LearnedWordPieceEncoder":
        from specc.core.quiet import import_keras_hub
        self._use(import_keras_hub().models.BertTokenizer(vocabulary=list(vocab),
                                                          lowercase=self.lowercase))
        return self

    def fit(self, texts) -> "LearnedWordPieceEncoder":
        """Learn the vocabulary on ``texts`` (stored under ``name`` if given); a reused
        named vocabulary is kept as it is."""
        if not self.learnt:
            return self
        texts = list(texts)
        vocab = learn_wordpiece(texts, self.wordpiece["vocabulary_size"], self.lowercase)
        self._store(vocab, learnt_on_texts=len(texts))
        return self._vocabulary(vocab)

    def _store(self, vocab: list[str], **info) -> None:
        """Keep a learnt vocabulary under the spec's ``name`` (if it gives one)."""
        if self.learnt and self.wordpiece.get("name"):
            save_named(self.wordpiece["name"], vocab, {
                "vocabulary_size": len(vocab), "lowercase": self.lowercase,
                "learner": "tokenizers.BertWordPieceTokenizer", **info})

    def settings(self) -> dict:
        """What decides the ids besides the training texts: the learning settings, or the
        reused vocabulary's content; max_len."""
        from specc.core.cache import cache_key
        source = (self.wordpiece if self.learnt else
                  {"reused": cache_key(vocabulary=self.vocabulary())})
        return {"kind": "wordpiece-learnt", "lowercase": self.lowercase, "source": source,
                "max_len": self.max_len}

    def state(self) -> dict[str, np.ndarray]:
        """The learnt vocabulary, for the preprocessing cache."""
        return {"vocabulary": np.asarray(self.vocabulary(), dtype=str)}

    def restore(self, state: dict[str, np.ndarray]) -> "LearnedWordPieceEncoder":
        """Take the vocabulary :meth:`state` stored (no learning); a named vocabulary is
        stored again, so the name exists after a cached run too."""
        vocab = [str(t) for t in state["vocabulary"]]
        self._store(vocab)
        return self._vocabulary(vocab)

    def tokenizer_config(self) -> dict:
        """``tokenizer.json``'s content: the wordpiece settings, ``max_len``, the size."""
        return {"kind": "wordpiece-learnt", **self.wordpiece, "lowercase": self.lowercase,
                "max_len": self.max_len, "vocabulary_size": len(self.vocabulary())}
