"""The named datasets on the real offline mirror (SPECC_DATA_DIR); skipped without it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from specc.data import load_dataset
from specc.data.datasets import reuters

pytestmark = pytest.mark.realdata


def _load(name, options=None):
    return load_dataset({"dataset": name, "options": options or {}}, Path("."))


def test_imdb(real_data_dir):
    start = time.perf_counter()
    ds = _load("imdb")
    elapsed = time.perf_counter() - start
    assert len(ds.train_texts) == 25_000 and len(ds.test_texts) == 25_000
    assert np.bincount(ds.train_labels).tolist() == [12_500, 12_500]
    assert np.bincount(ds.test_labels).tolist() == [12_500, 12_500]
    assert ds.class_names == ["neg", "pos"] and ds.dev_texts is None
    assert not any("<br" in t for t in ds.train_texts[:2000])
    assert sum(len(t) for t in ds.train_texts) > 30_000_000
    assert elapsed < 10, f"imdb took {elapsed:.1f} s"


def test_sst2_sentence_level(real_data_dir):
    ds = _load("sst2")
    assert (len(ds.train_texts), len(ds.dev_texts), len(ds.test_texts)) == (6_920, 872, 1_821)
    assert np.bincount(ds.train_labels).tolist() == [3_310, 3_610]
    assert np.bincount(ds.dev_labels).tolist() == [428, 444]
    assert np.bincount(ds.test_labels).tolist() == [912, 909]
    assert ds.class_names == ["negative", "positive"]
    assert ds.train_texts[0].startswith("a stirring , funny")


def test_sst2_glue_train(real_data_dir):
    ds = _load("sst2", {"train": "glue"})
    assert np.bincount(ds.train_labels).tolist() == [29_780, 37_569]
    assert (len(ds.dev_texts), len(ds.test_texts)) == (872, 1_821)


def test_reuters46(real_data_dir):
    ds = _load("reuters46")
    assert len(ds.class_names) == 46 and ds.class_names == reuters.CLASS_NAMES
    assert (len(ds.train_texts), len(ds.test_texts)) == (6_486, 2_545)
    assert ds.notes["dropped"] == {"multi_topic": 1_661, "no_topic": 2_108, "empty_text": 48,
                                   "rare_topic": 54}
    train_counts = np.bincount(ds.train_labels, minlength=46)
    test_counts = np.bincount(ds.test_labels, minlength=46)
    assert train_counts[:3].tolist() == [2_824, 1_594, 251]  # earn, acq, crude
    assert test_counts[:3].tolist() == [1_076, 695, 119]
    assert np.all(np.diff(train_counts + test_counts) <= 0)  # ids by descending frequency
    assert ds.train_texts[0].startswith("BAHIA COCOA REVIEW\nShowers continued")


@pytest.mark.realdata
def test_imdb_train_reviews_carry_their_movie():
    import os
    from pathlib import Path
    if not os.environ.get("SPECC_DATA_DIR"):
        pytest.skip("SPECC_DATA_DIR is not set")
    from specc.data import load_dataset
    d = load_dataset({"dataset": "imdb"}, Path("."), task="binary")
    assert d.train_groups.shape == (25000,) and d.group_name == "movie"
    assert d.notes["train_movies"] == len(set(d.train_groups.tolist())) > 3000
