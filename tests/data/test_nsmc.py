"""The NSMC rebuild: the rule on made records, and the real draw on the offline mirror."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from specc.data import load_dataset
from specc.data.datasets import nsmc
from specc.errors import DataError


def _records(rows):
    """(ids, texts, ratings) as nsmc.draw takes them, from (id, text, rating) rows."""
    rows = sorted(rows)
    return (np.array([r[0] for r in rows]), [r[1] for r in rows], np.array([r[2] for r in rows]))


def test_draw_applies_the_nsmc_rule_and_keeps_test_texts_out_of_the_corpus():
    rows = [(i, f"좋다 {i}", 10) for i in range(40)] + [(100 + i, f"별로 {i}", 1) for i in range(40)]
    rows += [(200, "보통 이다", 6), (201, "긴" * 140, 10), (202, "", 10), (203, "중복", 2)]
    rows += [(300 + i, "중복", 9) for i in range(3)]  # same text as another review
    ids, texts, ratings = _records(rows)
    d = nsmc.draw(ids, texts, ratings, per_class=30, n_test=20)
    drawn = np.concatenate([d.train, d.test])
    assert len(d.train) == 40 and len(d.test) == 20 and len(set(drawn.tolist())) == 60
    labels = nsmc._labels(ratings)
    assert np.bincount(labels[drawn]).tolist() == [30, 30]
    for i in drawn:
        assert 0 < len(texts[i]) < 140 and ratings[i] not in (5, 6, 7, 8)
    rest = set(d.unlabelled.tolist())
    assert not rest & set(drawn.tolist())
    assert {texts[i] for i in d.unlabelled}.isdisjoint({texts[i] for i in d.test})
    long_id = int(np.flatnonzero(ids == 201)[0])
    assert long_id in rest and int(np.flatnonzero(ids == 200)[0]) in rest  # any rating/length
    assert int(np.flatnonzero(ids == 202)[0]) not in rest  # empty texts are nobody's
    again = nsmc.draw(ids, texts, ratings, per_class=30, n_test=20)
    assert again.test.tolist() == d.test.tolist()  # deterministic


def test_draw_refuses_a_pool_too_small():
    ids, texts, ratings = _records([(i, f"t{i}", 10) for i in range(5)] + [(9, "x", 1)])
    with pytest.raises(DataError, match="only 1 eligible negative"):
        nsmc.draw(ids, texts, ratings, per_class=3, n_test=2)


def test_whitespace_is_collapsed():
    assert nsmc.normalize("  아깝다  욕나온다\n\t끝 ") == "아깝다 욕나온다 끝"


@pytest.mark.realdata
def test_real_nsmc_split(real_data_dir):
    ds = load_dataset({"dataset": "nsmc"}, Path("."))
    assert len(ds.train_texts) == 150_000 and len(ds.test_texts) == 50_000
    both = np.concatenate([ds.train_labels, ds.test_labels])
    assert np.bincount(both).tolist() == [100_000, 100_000]
    assert all(0 < len(t) < 140 for t in ds.train_texts + ds.test_texts)
    ids = nsmc.review_ids(real_data_dir)
    assert len(np.intersect1d(ids["train"], ids["test"])) == 0
    # the pools SOURCE.md counts (120,548 negative, 375,465 positive eligible reviews)
    ids_, texts, ratings, raw_lengths = nsmc._records(real_data_dir / nsmc.FILE)
    lengths = np.array([len(t) for t in texts])
    eligible = (lengths > 0) & (raw_lengths < 140)
    labels = nsmc._labels(ratings)
    assert [int((eligible & (labels == k)).sum()) for k in (0, 1)] == [120_548, 375_465]
    # the fixed draw (seed 1234): its test review ids hash to the documented value
    digest = hashlib.sha256(np.sort(ids["test"]).tobytes()).hexdigest()
    assert digest == NSMC_TEST_IDS_SHA256


@pytest.mark.realdata
def test_real_unlabelled_corpus_has_no_test_review(real_data_dir):
    corpus = load_dataset({"dataset": "nsmc_unlabelled"}, Path("."), task="masked_lm")
    test = load_dataset({"dataset": "nsmc"}, Path("."))
    ids = nsmc.review_ids(real_data_dir)
    assert len(corpus.texts) == len(ids["unlabelled"]) > 500_000
    assert len(np.intersect1d(ids["unlabelled"], ids["test"])) == 0
    assert len(np.intersect1d(ids["unlabelled"], ids["train"])) == 0
    assert set(corpus.texts).isdisjoint(test.test_texts)
    assert corpus.notes["records"] == 712_404


NSMC_TEST_IDS_SHA256 = "ac776e0932bbe1bda2728f3746478cf59c3fd29b46231db8b3a1ab8c92f6c86d"
"""SHA-256 of the sorted int64 review ids of the nsmc test split (docs/datasets.md)."""
