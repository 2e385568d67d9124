"""NSMC-style Korean movie-review sentiment, rebuilt from NSMC's raw crawl, + its unlabelled rest.

Source: Lucy Park, "Naver Sentiment Movie Corpus v1.0", https://github.com/e9t/nsmc
(2016, CC0 1.0); the mirror holds the repository's ``raw/`` folder (712,404 reviews,
ratings 1-10), not the official 150k/50k files, whose 200k draw was never published.

Derivation (NSMC's README rule, our fixed draw; documented in docs/datasets.md):

1. Read every ``raw/<movie_id>.json`` record; order by ``review_id`` (an int), so the
   result does not depend on the archive's member order.
2. Labelled pool: reviews whose raw text is shorter than 140 characters and not blank
   (120,548 negative, 375,465 positive: the counts in the mirror's SOURCE.md); ratings
   1-4 -> ``negative`` (0), 9-10 -> ``positive`` (1); 5-8 are left out.
3. Text = the review with each whitespace run collapsed to one space, stripped (the
   official files show the same collapsing).
4. Draw 100,000 of each class without replacement with ``numpy.random.default_rng(1234)``
   (1234 is the seed of NSMC's own ``partition.py``), negatives first; permute the 200,000
   with the same generator; the first 150,000 are train, the last 50,000 test.
5. ``nsmc_unlabelled``: every record not drawn (any rating, any length, non-empty), minus
   those whose text equals a test text, so pretraining never sees a test review.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from specc.data.archives import iter_tar
from specc.data.base import CorpusDataset, TextDataset
from specc.errors import DataError

FILE = "nsmc_raw/nsmc_raw.tar.xz"
SHA256 = "2689157185990d44a1fbb9f153dcf744848bf671eb803b5bb2159db0e4141022"
CLASS_NAMES = ["negative", "positive"]
SEED = 1234
PER_CLASS = 100_000
N_TEST = 50_000
MAX_CHARS = 140
"""Reviews must be shorter than this many characters (NSMC: "length < 140")."""
MEMBER = r"(?:.*/)?raw/(\d+)\.json"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Draw:
    """The rebuilt corpus: review ids, texts and ratings of every record (by review id),
    and the row indices of train, test and the unlabelled rest."""

    ids: np.ndarray
    texts: list[str]
    ratings: np.ndarray
    train: np.ndarray
    test: np.ndarray
    unlabelled: np.ndarray
    dropped_as_test_text: int


def normalize(review: str) -> str:
    """Whitespace runs (incl. tabs, newlines) -> one space; stripped."""
    return _SPACE.sub(" ", review).strip()


def _records(path: Path) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    rows = []
    for _match, raw in iter_tar(path, MEMBER):
        try:
            for rec in json.loads(raw.decode("utf-8")):
                rows.append((int(rec["review_id"]), normalize(rec["review"]), int(rec["rating"]),
                             len(rec["review"])))
        except (ValueError, KeyError, TypeError) as e:
            raise DataError(f"{path}: member {_match.group(0)} is not an NSMC record list "
                            f"({e})") from None
    rows.sort()
    return (np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows],
            np.array([r[2] for r in rows], dtype=np.int64),
            np.array([r[3] for r in rows], dtype=np.int64))


def draw(ids: np.ndarray, texts: list[str], ratings: np.ndarray,
         raw_lengths: np.ndarray | None = None, per_class: int = PER_CLASS,
         n_test: int = N_TEST, seed: int = SEED) -> _Draw:
    """Apply steps 2-5 of the module docstring to records ordered by review id.

    ``texts`` are normalized; ``raw_lengths`` are the raw reviews' lengths in characters
    (default: the texts' own lengths).

    Raises:
        DataError: fewer than ``per_class`` eligible reviews in a class.
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    raw = lengths if raw_lengths is None else np.asarray(raw_lengths)
    eligible = (lengths > 0) & (raw < MAX_CHARS)
    labels = _labels(ratings)
    rng = np.random.default_rng(seed)
    chosen = []
    for label, name in enumerate(CLASS_NAMES):
        pool = np.flatnonzero(eligible & (labels == label))
        if len(pool) < per_class:
            raise DataError(f"NSMC: only {len(pool)} eligible {name} reviews, "
                            f"{per_class} needed")
        chosen.append(rng.choice(pool, per_class, replace=False))
    drawn = rng.permutation(np.concatenate(chosen))
    train, test = drawn[:-n_test], drawn[-n_test:]
    test_texts = {texts[i] for i in test}
    rest = np.setdiff1d(np.flatnonzero(lengths > 0), drawn)
    keep = np.array([texts[i] not in test_texts for i in rest], dtype=bool)
    return _Draw(ids, texts, ratings, train, test, rest[keep], int((~keep).sum()))


def _labels(ratings: np.ndarray) -> np.ndarray:
    """Label per rating, -1 where NSMC leaves the rating out."""
    return np.where(ratings <= 4, 0, np.where(ratings >= 9, 1, -1))


@lru_cache(maxsize=1)
def _cached_draw(path: str, mtime_ns: int) -> _Draw:
    return draw(*_records(Path(path)))


def _load_draw(data_dir: Path) -> _Draw:
    path = data_dir / FILE
    return _cached_draw(str(path), path.stat().st_mtime_ns)


def load(data_dir: Path, options: dict) -> TextDataset:
    """The labelled NSMC-style dataset: 150,000 train / 50,000 test, balanced.

    Labels: negative = 0 (ratings 1-4), positive = 1 (9-10). Split order is the draw's.
    ``notes`` holds the counts, the seed and the rule. Reading the archive takes ~10 s
    (the parsed draw is kept in memory for the process).
    """
    d = _load_draw(data_dir)
    labels = _labels(d.ratings)
    return TextDataset(
        train_texts=[d.texts[i] for i in d.train], train_labels=labels[d.train],
        test_texts=[d.texts[i] for i in d.test], test_labels=labels[d.test],
        class_names=list(CLASS_NAMES),
        source=f"NSMC-style split of the NSMC raw crawl (Park 2016) from {data_dir / FILE}",
        notes={"rule": "len < 140 chars; ratings 1-4 negative, 9-10 positive; 100k per "
                       "class drawn, 150k/50k", "seed": SEED, "records": len(d.ids),
               "counts": {s: dict(sorted(Counter(CLASS_NAMES[int(v)] for v in
                                                 labels[idx]).items()))
                          for s, idx in (("train", d.train), ("test", d.test))},
               "test_texts_also_in_train": len({d.texts[i] for i in d.test} &
                                               {d.texts[i] for i in d.train})})


def load_unlabelled(data_dir: Path, options: dict) -> CorpusDataset:
    """The reviews :func:`load` did not draw, minus any whose text is a test text
    (~510k texts, ordered by review id) — a pretraining corpus."""
    d = _load_draw(data_dir)
    return CorpusDataset(
        texts=[d.texts[i] for i in d.unlabelled],
        source=f"NSMC raw crawl minus the nsmc draw, from {data_dir / FILE}",
        notes={"records": len(d.ids), "texts": len(d.unlabelled),
               "dropped_equal_to_a_test_text": d.dropped_as_test_text,
               "ratings": dict(sorted(Counter(int(r) for r in d.ratings[d.unlabelled]).items()))})


def review_ids(data_dir: Path) -> dict[str, np.ndarray]:
    """Review ids of the ``train``, ``test`` and ``unlabelled`` parts (for checks)."""
    d = _load_draw(data_dir)
    return {"train": d.ids[d.train], "test": d.ids[d.test], "unlabelled": d.ids[d.unlabelled]}
