"""Windows over a series, the chronological test cut, validation splits and subsampling."""

from __future__ import annotations

import numpy as np
import pytest

from specc.data import load_dataset
from specc.data.datasets.sine import generate
from specc.data.series import series_dataset, windows
from specc.data.splits import subsample, validation_split
from specc.errors import DataError


def test_windows_shapes_and_values():
    x, y = windows(np.arange(8), 3)
    assert x.shape == (5, 3, 1) and y.shape == (5,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert x[0, :, 0].tolist() == [0, 1, 2] and y[0] == 3
    assert x[-1, :, 0].tolist() == [4, 5, 6] and y[-1] == 7


@pytest.mark.parametrize("series,window,match", [
    (np.arange(3), 3, "too few for window 3"),
    (np.arange(5), 0, "positive integer"),
    (np.zeros((4, 2)), 2, "one-dimensional"),
    (np.array([0, 1, np.nan, 3]), 2, "non-finite value at step 2"),
])
def test_windows_errors(series, window, match):
    with pytest.raises(DataError, match=match):
        windows(series, window)


def test_series_split_is_chronological():
    ds = series_dataset(np.arange(110, dtype=float), window=10, test_split=0.2)
    assert len(ds.train_y) == 80 and len(ds.test_y) == 20
    assert ds.train_y[-1] == 89 and ds.test_y[0] == 90 and ds.test_start == 90
    with pytest.raises(DataError, match="between 0 and 1"):
        series_dataset(np.arange(20.0), 5, 1.0)


def test_sine_defaults_and_noise_seed(tmp_path):
    ds = load_dataset({"dataset": "sine"}, tmp_path)
    assert ds.series.shape == (360,)
    assert ds.train_x.shape == (280, 10, 1) and ds.test_x.shape == (70, 10, 1)
    assert ds.test_start == 290
    np.testing.assert_allclose(ds.series[:31:15], [0, 0, 0], atol=1e-6)  # period 30
    assert ds.series[7] == pytest.approx(np.sin(2 * np.pi * 7 / 30))
    a, b = generate(100, 30, 0.1, 1), generate(100, 30, 0.1, 1)
    assert np.array_equal(a, b) and not np.array_equal(a, generate(100, 30, 0.1, 2))
    ds = load_dataset({"dataset": "sine", "options": {"steps": 50, "period": 10},
                       "window": 5, "test_split": 0.1}, tmp_path)
    assert ds.train_x.shape == (40, 5, 1) and ds.test_x.shape == (5, 5, 1)


def test_sine_option_errors(tmp_path):
    with pytest.raises(DataError, match=r"no option 'step' \(did you mean 'steps'\?\)"):
        load_dataset({"dataset": "sine", "options": {"step": 10}}, tmp_path)
    with pytest.raises(DataError, match="option steps must be int"):
        load_dataset({"dataset": "sine", "options": {"steps": 1.5}}, tmp_path)
    with pytest.raises(DataError, match="period must be positive"):
        load_dataset({"dataset": "sine", "options": {"period": 0}}, tmp_path)


def test_stratified_validation_split_proportions_and_determinism():
    labels = np.array([0] * 80 + [1] * 20)
    tr, va = validation_split(labels, 0.25, seed=3, stratify=True)
    assert len(va) == 25 and len(tr) == 75
    assert np.bincount(labels[va]).tolist() == [20, 5]
    assert np.bincount(labels[tr]).tolist() == [60, 15]
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(100))
    assert np.all(np.diff(tr) > 0) and np.all(np.diff(va) > 0)
    tr2, va2 = validation_split(labels, 0.25, seed=3, stratify=True)
    assert np.array_equal(va, va2) and np.array_equal(tr, tr2)
    _, va3 = validation_split(labels, 0.25, seed=4, stratify=True)
    assert not np.array_equal(va, va3)


def test_unstratified_split_takes_the_tail():
    tr, va = validation_split(10, 0.2, seed=0, stratify=False)
    assert tr.tolist() == list(range(8)) and va.tolist() == [8, 9]


def test_split_class_too_small_is_named():
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    with pytest.raises(DataError, match="class 'spam' has only 1 sample"):
        validation_split(labels, 0.5, 0, True, class_names=["a", "b", "spam"])
    with pytest.raises(DataError, match="class 2 has only 1 sample"):
        subsample(labels, 4, 0, True)
    with pytest.raises(DataError, match="validation part would hold 1 samples for 2 classes"):
        validation_split(np.array([0, 0, 0, 1, 1, 1, 0, 1]), 0.1, 0, True)


def test_subsample_stratified_sorted_deterministic():
    labels = np.array([0] * 300 + [1] * 100)
    idx = subsample(labels, 40, seed=0, stratify=True)
    assert len(idx) == 40 and np.all(np.diff(idx) > 0)
    assert np.bincount(labels[idx]).tolist() == [30, 10]
    assert np.array_equal(idx, subsample(labels, 40, seed=0, stratify=True))
    assert subsample(labels, 1000, 0, True).tolist() == list(range(400))
    plain = subsample(400, 40, seed=0, stratify=False)
    assert len(plain) == 40 and len(set(plain.tolist())) == 40 and np.all(np.diff(plain) > 0)
    near_all = subsample(labels, 399, seed=0, stratify=True)  # drops fewer than n_classes
    assert len(near_all) == 399


def test_grouped_validation_split_keeps_groups_apart():
    import numpy as np
    from specc.data.splits import validation_split
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(100), 10)
    labels = rng.integers(0, 2, size=1000)
    tr, va = validation_split(labels, 0.2, 3, True, groups=groups)
    assert not set(groups[tr]) & set(groups[va])
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(1000))
    assert 150 <= len(va) <= 250
    again = validation_split(labels, 0.2, 3, True, groups=groups)
    assert again[1].tolist() == va.tolist()
