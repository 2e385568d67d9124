"""BERT's text preprocessing in core TensorFlow ops only, for SavedModel exports.

keras-hub's ``BertTokenizer`` runs TensorFlow Text kernels (``regex_split``,
``case_fold_utf8``, ``FastWordpieceTokenizer``), so a SavedModel that contains it cannot
load where only ``tensorflow`` is installed. :func:`bert_inputs_fn` rebuilds the same
steps from core ops (``tf.strings``, a ``tf.lookup.StaticHashTable``, ``tf.while_loop``):

1. CJK characters get spaces around them; whitespace and invisible control characters
   (keras-hub's ``WHITESPACE_REGEX``) become spaces; punctuation (``PUNCTUATION_REGEX``,
   ASCII non-alphanumerics and ``\\p{P}``) is split off as its own word.
2. When the tokenizer lowercases, each word is case-folded as TensorFlow Text's
   ``case_fold_utf8`` does (NFKC_Casefold: "ß" -> "ss", "ﬁ" -> "fi", full-width "Ａ" ->
   "a"), character by character through a table computed at export time with Python's
   ``unicodedata`` (:func:`casefold_table`); only sequences that NFKC composes (a letter
   followed by a combining accent) can differ.
3. WordPiece: greedy longest-match-first over the vocabulary, later pieces prefixed with
   ``##``; a word longer than 100 bytes, or one with no match, becomes ``[UNK]``
   (Schuster and Nakajima, 2012; the rule of ``tf_text.FastWordpieceTokenizer``).
4. ``[CLS] pieces [SEP]``, cut to ``max_len`` and padded with ``[PAD]``, as keras-hub's
   ``BertTextClassifierPreprocessor`` packs one segment.

The equivalence with keras-hub's ids is tested on real texts (tests/test_export.py).
"""

from __future__ import annotations

CJK = (r"[\x{4E00}-\x{9FFF}]|[\x{3400}-\x{4DBF}]|[\x{20000}-\x{2A6DF}]|[\x{2A700}-\x{2B73F}]"
       r"|[\x{2B740}-\x{2B81F}]|[\x{2B820}-\x{2CEAF}]|[\x{F900}-\x{FAFF}]|[\x{2F800}-\x{2FA1F}]")
WHITESPACE = r"\s|\p{Cc}|\p{Cf}"
PUNCTUATION = r"[!-/]|[:-@]|[\[-`]|[{-~]|[\p{P}]"
MAX_BYTES_PER_WORD = 100


def casefold_table() -> tuple[list[int], list[str]]:
    """``(code points, replacements)``: every character whose NFKC_Casefold
    (``NFKC(casefold(NFKC(c)))``) differs from itself, with that folded text."""
    import sys
    import unicodedata
    keys, values = [], []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", c).casefold())
        if folded != c:
            keys.append(cp)
            values.append(folded)
    return keys, values


def bert_inputs_fn(vocabulary: list[str], lowercase: bool, max_len: int):
    """``fn(texts)``: a 1-D ``tf.string`` tensor -> ``{"token_ids", "segment_ids",
    "padding_mask"}``, each int32 ``(batch, max_len)``, in core TensorFlow ops (see the
    module docstring). Call it inside a ``tf.function``; ``fn.tables`` are its lookup
    tables, for an exporter to track."""
    import tensorflow as tf
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(vocabulary),
                                            tf.range(len(vocabulary), dtype=tf.int64)), -1)
    keys, values = casefold_table() if lowercase else ([0], [""])
    folds = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(keys, tf.int64), tf.constant(values)), "\uffff")

    def casefold(words):
        """Case-fold a 1-D tensor of words character by character (module docstring)."""
        chars = tf.strings.unicode_decode(words, "UTF-8")
        folded = folds.lookup(tf.cast(chars.flat_values, tf.int64))
        same = tf.strings.unicode_encode(tf.expand_dims(chars.flat_values, 1), "UTF-8")
        out = tf.where(folded == "\uffff", same, folded)
        return tf.strings.reduce_join(chars.with_flat_values(out), axis=1)
    unk, cls, sep, pad = (vocabulary.index(t) for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]"))

    def word_ids(word):
        """The WordPiece ids of one word, int64 ``(pieces,)``."""
        n = tf.strings.length(word, unit="UTF8_CHAR")

        def piece(start):
            """``(id, end)`` of the longest vocabulary piece at ``start`` (id -1: none)."""
            def cond(end, found):
                return (end > start) & (found < 0)

            def body(end, found):
                sub = tf.strings.substr(word, start, end - start, unit="UTF8_CHAR")
                sub = tf.cond(start > 0, lambda: tf.strings.join(["##", sub]), lambda: sub)
                idx = table.lookup(sub)
                return tf.where(idx >= 0, end, end - 1), idx
            end, found = tf.while_loop(cond, body, (n, tf.constant(-1, tf.int64)))
            return found, end

        def cond(start, ids, ok):
            return (start < n) & ok

        def body(start, ids, ok):
            found, end = piece(start)
            return end, ids.write(ids.size(), found), found >= 0
        _, ids, ok = tf.while_loop(
            cond, body, (tf.constant(0), tf.TensorArray(tf.int64, 0, dynamic_size=True),
                         tf.constant(True)))
        ok = ok & (tf.strings.length(word) <= MAX_BYTES_PER_WORD)
        return tf.cond(ok, ids.stack, lambda: tf.constant([unk], tf.int64))

    def fn(texts):
        text = tf.strings.regex_replace(texts, CJK, r" \0 ")
        text = tf.strings.regex_replace(text, WHITESPACE, " ")
        text = tf.strings.regex_replace(text, PUNCTUATION, r" \0 ")
        words = tf.strings.split(text)  # ragged (batch, words)
        if lowercase:
            words = words.with_flat_values(casefold(words.flat_values))
        flat = tf.map_fn(word_ids, words.flat_values,
                         fn_output_signature=tf.RaggedTensorSpec([None], tf.int64))
        pieces = tf.RaggedTensor.from_row_splits(flat.flat_values, tf.gather(
            flat.row_splits, words.row_splits))[:, :max_len - 2]
        batch = tf.shape(texts)[0]
        ids = tf.concat([tf.fill([batch, 1], tf.constant(cls, tf.int64)), pieces,
                         tf.fill([batch, 1], tf.constant(sep, tf.int64))], axis=1)
        mask = tf.ones_like(ids, tf.int32).to_tensor(0, shape=[None, max_len])
        token_ids = tf.cast(ids.to_tensor(pad, shape=[None, max_len]), tf.int32)
        return {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids),
                "padding_mask": mask}
    fn.tables = (table, folds)
    return fn
