"""The preprocessing cache: tokenized splits reused across runs, keyed by content."""

from __future__ import annotations

import numpy as np

from specc.data import load_dataset
from specc.loader.validate import load_spec
from specc.runtime.prepare import prepare
from tests.test_train_e2e import CSV_SPEC, make_csv


def prepared(path):
    spec = load_spec(path)
    data = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
    return prepare(spec.resolved, data, spec.base_dir)


def test_second_run_reuses_ids_until_data_or_preprocessing_change(tmp_path, write_spec,
                                                                   monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    make_csv(tmp_path)
    spec = write_spec(CSV_SPEC)
    first = prepared(spec)
    assert first.cache_hit is False
    assert len(list((tmp_path / "cache" / "prepared").glob("*.npz"))) == 1
    second = prepared(spec)
    assert second.cache_hit is True
    for name in ("x_train", "x_val", "x_test", "y_train", "y_test"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert second.encoder.vocabulary == first.encoder.vocabulary
    np.testing.assert_array_equal(second.encoder.encode(["goal bread chip zzz"]),
                                  first.encoder.encode(["goal bread chip zzz"]))
    # another model, same data and preprocessing: still a hit
    other_model = write_spec(CSV_SPEC.replace("GlobalAveragePooling1D", "GlobalMaxPooling1D"),
                             "other.yaml")
    assert prepared(other_model).cache_hit is True
    # other preprocessing: a miss
    assert prepared(write_spec(CSV_SPEC.replace("max_len: 12", "max_len: 10"),
                               "len10.yaml")).cache_hit is False
    # the same file names with one changed review: a miss, and the new text is encoded
    test_csv = tmp_path / "test.csv"
    test_csv.write_text(test_csv.read_text().replace("\n", "\ngoal goal goal,sport\n", 1))
    changed = prepared(spec)
    assert changed.cache_hit is False and len(changed.y_test) == len(first.y_test) + 1
    # cache: false never reads or writes it
    off = prepared(write_spec(CSV_SPEC.replace("  sequence:", "  cache: false\n  sequence:"),
                              "off.yaml"))
    assert off.cache_hit is None


def test_damaged_cache_entry_is_recomputed(tmp_path, write_spec, monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    make_csv(tmp_path)
    spec = write_spec(CSV_SPEC)
    first = prepared(spec)
    entry, = (tmp_path / "cache" / "prepared").glob("*.npz")
    entry.write_bytes(b"not an npz")
    again = prepared(spec)
    assert again.cache_hit is False
    np.testing.assert_array_equal(again.x_train, first.x_train)
    assert prepared(spec).cache_hit is True
