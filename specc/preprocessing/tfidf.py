"""scikit-learn's ``TfidfVectorizer`` at the speed of both cores, and saved compactly.

:func:`fit_transform_texts` and :func:`transform_texts` give exactly what the vectorizer's
own ``fit_transform`` / ``transform`` give, with the second half of the texts tokenized
and counted in a forked child process while this process does the first half
(tokenizing is pure Python: threads would not run at once; :mod:`specc.core.forked`).
For the fit the two halves' counts are merged as one pass over all the texts would have
made them, so scikit-learn's own code then prunes (``min_df``, ``max_df``,
``max_features``), sorts and weights them.
IMDB, 25,000 reviews on 2 cores: word 1-grams fit 3.1 s -> 1.9 s, transform 3.0 s -> 1.7 s.
Only a tf-idf vectorizer and :data:`FORK_MIN_TEXTS` texts or more, where
:func:`specc.core.forked.can_fork` (Linux, 2+ CPUs, no TensorFlow); otherwise, or if the
child fails, the work is done here, serially.

:func:`packed_vocabulary` / :func:`unpack_vocabulary` hold the fitted vocabulary as two
numpy arrays while skops saves the pipeline (:mod:`specc.runtime.safe_load`).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

FORK_MIN_TEXTS = 4000
"""Fewest texts worth sharing with a second process (a fork and the result's transfer
cost some 0.1 s)."""


def _can_fork(features, n_texts: int) -> bool:
    """Whether ``features`` is a tf-idf (count) vectorizer whose work on ``n_texts`` texts
    may be shared with a forked child (:func:`specc.core.forked.can_fork`)."""
    from sklearn.feature_extraction.text import CountVectorizer

    from specc.core.forked import can_fork
    return isinstance(features, CountVectorizer) and n_texts >= FORK_MIN_TEXTS and can_fork()


def transform_texts(features, texts: list[str]):
    """``features.transform(texts)``; a tf-idf vectorizer's rows are independent, so the
    halves' rows are stacked (see the module docstring)."""
    texts = list(texts)
    if not _can_fork(features, len(texts)):
        return features.transform(texts)
    import scipy.sparse as sp

    from specc.core.forked import in_halves
    first, second = in_halves(features.transform, texts)
    return type(first)(sp.vstack([first, second], format="csr"))


def fit_transform_texts(features, texts: list[str], y=None):
    """``features.fit_transform(texts, y)``, its counting pass run on both halves at once
    (see the module docstring)."""
    texts = list(texts)
    count = getattr(type(features), "_count_vocab", None)
    if count is None or not _can_fork(features, len(texts)):
        return features.fit_transform(texts, y)
    from specc.core.forked import in_halves

    def count_in_halves(documents, fixed_vocab):
        documents = list(documents)
        if fixed_vocab or len(documents) != len(texts):
            return count(features, documents, fixed_vocab)
        return merge_counts(*in_halves(lambda part: count(features, part, False), documents))

    features._count_vocab = count_in_halves  # this call only: scikit-learn's fit calls it
    try:
        return features.fit_transform(texts, y)
    finally:
        del features._count_vocab


def merge_counts(first: tuple, second: tuple) -> tuple:
    """One ``(vocabulary, counts)`` of two consecutive runs of scikit-learn's counting pass
    (``CountVectorizer._count_vocab``), as one run over both parts gives it: a term's column
    is its order of first appearance, so the second part's new terms follow the first's."""
    import scipy.sparse as sp
    (vocab, x1), (vocab2, x2) = first, second
    order2 = np.fromiter(vocab2.values(), np.int64, len(vocab2))
    if not np.array_equal(order2, np.arange(len(vocab2))):  # columns in insertion order
        raise ValueError("a counting pass whose columns are not its terms' first appearances")
    vocab = dict(vocab)
    column = np.fromiter((vocab.setdefault(t, len(vocab)) for t in vocab2), np.int64,
                         len(vocab2))
    n = len(vocab)
    x1 = sp.csr_matrix((x1.data, x1.indices, x1.indptr), shape=(x1.shape[0], n))
    x2 = sp.csr_matrix((x2.data, column[x2.indices], x2.indptr), shape=(x2.shape[0], n))
    merged = sp.vstack([x1, x2], format="csr")
    merged.sort_indices()
    return vocab, type(first[1])(merged)


PACKED = ("vocabulary_utf8_", "vocabulary_ends_")
"""The two arrays :func:`packed_vocabulary` holds a vocabulary in: the terms' UTF-8 bytes
in column order (uint8) and where each term ends (int64 cumulative byte lengths)."""


@contextmanager
def packed_vocabulary(pipeline):
    """Inside the block the fitted ``TfidfVectorizer``'s ``vocabulary_`` (term -> column
    dict) of ``pipeline``'s ``features`` step is held as the two numpy arrays of
    :data:`PACKED`, and restored after.

    For ``skops.io.dumps``: skops writes a dict as one JSON node per entry (for IMDB's
    364,493 word 1-2-grams a 230 MB schema, 11 s to write and 7 s to load), but numpy arrays
    as ``.npy`` files (a 13 MB file, 0.4 s to write, 0.2 s to load and unpack).
    :func:`unpack_vocabulary` rebuilds the dict after loading. A vocabulary whose columns
    are not exactly ``0..n-1`` is left as it is.
    """
    step = pipeline.named_steps["features"]
    vocab = getattr(step, "vocabulary_", None)
    if not isinstance(vocab, dict) or sorted(vocab.values()) != list(range(len(vocab))):
        yield pipeline
        return
    terms = [t.encode("utf-8", "surrogatepass") for t in sorted(vocab, key=vocab.__getitem__)]
    step.vocabulary_utf8_ = np.frombuffer(b"".join(terms), dtype=np.uint8)
    step.vocabulary_ends_ = np.cumsum(np.fromiter(map(len, terms), np.int64, len(terms)))
    del step.vocabulary_
    try:
        yield pipeline
    finally:
        step.vocabulary_ = vocab
        for name in PACKED:
            delattr(step, name)


def unpack_vocabulary(pipeline):
    """``pipeline`` with the ``vocabulary_`` dict of a vectorizer saved inside
    :func:`packed_vocabulary` rebuilt (a pipeline saved otherwise is returned as it is).

    Raises:
        ValueError: the two arrays do not fit together.
    """
    step = pipeline.named_steps["features"]
    if not all(hasattr(step, name) for name in PACKED):
        return pipeline
    blob, ends = (np.asarray(getattr(step, name)) for name in PACKED)
    if (blob.dtype != np.uint8 or ends.dtype.kind not in "iu" or blob.ndim != 1
            or ends.ndim != 1 or (len(ends) and (ends[-1] != len(blob) or ends[0] < 0
                                                 or np.any(np.diff(ends) < 0)))):
        raise ValueError("a packed vocabulary whose arrays do not fit together")
    data, starts = blob.tobytes(), np.concatenate(([0], ends[:-1])).tolist()
    step.vocabulary_ = {data[a:b].decode("utf-8", "surrogatepass"): i
                        for i, (a, b) in enumerate(zip(starts, ends.tolist()))}
    if len(step.vocabulary_) != len(ends):
        raise ValueError("a packed vocabulary with repeated terms")
    for name in PACKED:
        delattr(step, name)
    return pipeline
