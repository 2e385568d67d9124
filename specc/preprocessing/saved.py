"""The text encoder a run folder saved (``vocab.txt`` + ``tokenizer.json``), loaded back.

``tokenizer.json``'s ``kind`` says which encoder wrote it: ``words``
(:class:`specc.preprocessing.text.TextEncoder`), ``wordpiece`` or ``wordpiece-learnt``
(:class:`specc.preprocessing.wordpiece.WordPieceEncoder`: the saved vocabulary, no
preset folder needed).
"""

from __future__ import annotations

import json
from pathlib import Path

from specc.core.files import check_regular_file
from specc.errors import UsageError

MAX_TOKENIZER_BYTES = 1 << 20
"""Largest ``tokenizer.json`` read (its content is a handful of settings); also the limit
of a stored named vocabulary's ``vocabulary.json``
(:func:`specc.preprocessing.vocabulary.load_named`)."""

MAX_VOCABULARY_BYTES = 256 << 20
"""Largest ``vocab.txt`` read (a run folder's or a stored named vocabulary's)."""


def load_encoder(folder: str | Path):
    """The fitted encoder saved in the run folder ``folder``: ``encode(texts)`` gives the
    same ids as during training (int32 ``(n, max_len)``, or BERT's dict of three arrays).

    Raises:
        UsageError: a missing, oversized or malformed ``tokenizer.json``/``vocab.txt`` (one
            line naming the file).
    """
    folder = Path(folder)
    path = check_regular_file(folder / "tokenizer.json", MAX_TOKENIZER_BYTES)
    check_regular_file(folder / "vocab.txt", MAX_VOCABULARY_BYTES)
    try:
        kind = json.loads(path.read_text(encoding="utf-8")).get("kind", "words")
        if kind == "words":
            from specc.preprocessing.text import TextEncoder
            return TextEncoder.load(folder)
        if kind in ("wordpiece", "wordpiece-learnt"):
            from specc.preprocessing.wordpiece import WordPieceEncoder
            return WordPieceEncoder.load(folder)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise UsageError(f"{folder}: the saved tokenizer (vocab.txt, tokenizer.json) cannot be "
                         f"read ({type(e).__name__}: {str(e)[:200]})") from None
    raise UsageError(f"{path}: unknown tokenizer kind {kind!r}")
