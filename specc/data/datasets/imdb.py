"""IMDB Large Movie Review Dataset v1.0 (aclImdb), binary sentiment, 25,000 / 25,000.

Source: Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang, Andrew Y. Ng,
Christopher Potts. "Learning Word Vectors for Sentiment Analysis." ACL 2011.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from specc.data.archives import iter_tar
from specc.data.base import TextDataset

FILE = "imdb/aclImdb_v1_labelled.tar.gz"
SHA256 = "32aa7d5bd1b4b7ce869eb75a20440587009f9ae33897a8c9a6c245f92f7f9aba"
CLASS_NAMES = ["neg", "pos"]
MEMBER = r"aclImdb/(train|test)/(?:(pos|neg)/(\d+)_(\d+)\.txt|urls_(pos|neg)\.txt)"
_MOVIE = re.compile(r"/title/(tt\d+)/")
_BR = re.compile(rb"<br\s*/?>", re.IGNORECASE)


def load(data_dir: Path, options: dict) -> TextDataset:
    """Stream the labelled reviews from the tarball (no unpacking).

    Labels: neg = 0, pos = 1. Each HTML line break (``<br />``, also ``<br>`` /
    ``<br/>``) is replaced by one space; the text is otherwise the original file.
    Order: sorted by (split, label, review id), so the same on every run.
    ``notes`` holds per-split counts and the number of ``<br />`` tags replaced.
    """
    rows: dict[str, list[tuple[int, int, str]]] = {"train": [], "test": []}
    urls: dict[tuple[str, str], list[str]] = {}
    replaced = 0
    for match, raw in iter_tar(data_dir / FILE, MEMBER):
        split, label, review_id, _rating, url_label = match.groups()
        if url_label is not None:  # urls_<label>.txt: line i is the movie of review id i
            urls[(split, url_label)] = raw.decode("utf-8").splitlines()
            continue
        raw, n = _BR.subn(b" ", raw)
        replaced += n
        rows[split].append((CLASS_NAMES.index(label), int(review_id), raw.decode("utf-8")))
    for split_rows in rows.values():
        split_rows.sort()
    texts = {s: [r[2] for r in v] for s, v in rows.items()}
    groups = _movies(rows["train"], urls, "train")
    labels = {s: np.array([r[0] for r in v], dtype=np.int64) for s, v in rows.items()}
    return TextDataset(
        train_texts=texts["train"], train_labels=labels["train"],
        test_texts=texts["test"], test_labels=labels["test"],
        class_names=list(CLASS_NAMES), train_groups=groups, group_name="movie",
        source=f"aclImdb v1 (Maas et al., ACL 2011) from {data_dir / FILE}",
        notes={"counts": {s: dict(sorted(Counter(CLASS_NAMES[r[0]] for r in v).items()))
                          for s, v in rows.items()},
               "br_tags_replaced": replaced,
               "train_movies": None if groups is None else int(len(np.unique(groups)))})


def _movies(rows: list[tuple[int, int, str]], urls: dict, split: str) -> np.ndarray | None:
    """Movie id (``tt...`` as an int) of each review, from ``urls_<label>.txt``; None if absent."""
    out = []
    for label, review_id, _text in rows:
        lines = urls.get((split, CLASS_NAMES[label]))
        match = _MOVIE.search(lines[review_id]) if lines and review_id < len(lines) else None
        if match is None:
            return None
        out.append(int(match.group(1)[2:]))
    return np.array(out, dtype=np.int64)
