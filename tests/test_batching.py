"""Length bucketing and the tf.data input pipeline (:mod:`specc.compiler.batching`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from specc.cli import main
from specc.compiler.lengths import bucketing_blocker, uses_bucketing
from specc.core.quiet import import_keras
from specc.loader.validate import load_spec
from tests.conftest import SPECS
from tests.test_train_e2e import CSV_DATA, make_csv

keras = import_keras()


def ragged_ids(n=50, max_len=20, seed=0, padding="pre"):
    """``n`` rows of 1..max_len random non-zero ids, padded with 0 to ``max_len``."""
    rng = np.random.default_rng(seed)
    rows = [rng.integers(1, 30, rng.integers(1, max_len + 1)) for _ in range(n)]
    return keras.utils.pad_sequences(rows, maxlen=max_len, padding=padding, dtype="int32")


def resolved(name):
    return load_spec(SPECS / name).to_dict()


def test_bucketing_is_on_only_where_padding_is_masked():
    assert bucketing_blocker(resolved("lstm.yaml")) is None          # mask_zero + LSTM
    assert uses_bucketing(resolved("lstm.yaml"))
    assert "mask_zero" in bucketing_blocker(resolved("gru.yaml"))    # no mask_zero
    assert "recurrent" in bucketing_blocker(resolved("fasttext.yaml"))
    assert "scikit-learn" in bucketing_blocker(resolved("imdb_tfidf_svm.yaml"))
    assert bucketing_blocker(resolved("sst2_bert_finetune.yaml")) is None  # padding_mask
    assert not uses_bucketing(resolved("conv1d.yaml"))
    spec = resolved("lstm.yaml")
    spec["model"]["layers"].insert(1, {"Conv1D": {"filters": 8, "kernel_size": 3}})
    assert "Conv1D" in bucketing_blocker(spec)
    spec = resolved("lstm.yaml")
    spec["model"]["layers"][2]["LSTM"]["return_sequences"] = True
    assert "returns sequences" in bucketing_blocker(spec)
    spec["train"]["bucketing"] = False
    assert not uses_bucketing(spec)


def test_bucketing_true_where_it_would_change_results_is_a_spec_error(write_spec, capsys):
    text = (SPECS / "conv1d.yaml").read_text().replace("  seed: 42", "  seed: 42\n  bucketing: true")
    assert main(["validate", str(write_spec(text))]) == 1
    captured = capsys.readouterr()
    err = captured.out + captured.err
    line = text.splitlines().index("  bucketing: true") + 1
    assert f"spec.yaml:{line}:" in err and "$.train.bucketing" in err and "mask_zero" in err


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_bucketed_epochs_see_every_example_in_full_trimmed_batches(padding):
    from specc.compiler.batching import Batching, lengths, steps_per_epoch, train_dataset
    n = 1001
    x = ragged_ids(n, padding=padding)
    y = np.arange(n)
    steps = steps_per_epoch(n, 8)
    ds = train_dataset(x, y, 8, seed=1, plan=Batching(True, padding))
    assert ds.element_spec[0].shape.as_list() == [8, None]  # static batch dimension
    batches = list(ds.take(10 * steps).as_numpy_iterator())
    seen = np.concatenate([yb for _, yb in batches])
    assert len(seen) == 10 * steps * 8
    # each pass over the data draws every example once; passes follow each other and
    # the batch shuffle (a window of SORT_CHUNK batches) blurs the epoch boundaries, so
    # over ten epochs each example is drawn about ten times
    counts = np.bincount(seen, minlength=n)
    assert counts.min() >= 8 and counts.max() <= 12 and np.mean(abs(counts - 10) <= 1) > 0.95
    widths = []
    for xb, yb in batches:
        longest = lengths(x[yb]).max()
        assert xb.shape == (8, longest)  # trimmed to the batch's own longest sequence
        kept = x[yb][:, -longest:] if padding == "pre" else x[yb][:, :longest]
        np.testing.assert_array_equal(xb, kept)  # the same ids, padding side kept
        widths.append(xb.shape[1])
    assert np.mean(widths) < 15  # much shorter than pad-to-max (20) on average
    again = np.concatenate([yb for _, yb in train_dataset(x, y, 8, seed=1, plan=Batching(
        True, padding)).take(10 * steps).as_numpy_iterator()])
    np.testing.assert_array_equal(seen, again)  # the seed fixes the order


def test_unbucketed_batches_are_full_and_pad_to_max_len():
    from specc.compiler.batching import train_dataset
    x, y = ragged_ids(10), np.arange(10)
    first = next(iter(train_dataset(x, y, 4, seed=0).as_numpy_iterator()))
    assert first[0].shape == (4, 20)
    tiny = next(iter(train_dataset(x[:3], y[:3], 32, seed=0).as_numpy_iterator()))
    assert sorted(tiny[1]) == [0, 1, 2]  # batch_size capped at the number of examples


def test_masked_lstm_gives_the_same_outputs_bucketed_or_padded_to_max():
    """The point of masking: trimming padding does not change what the model computes."""
    from specc.compiler.batching import Batching, predict
    x = ragged_ids(64, max_len=30, seed=2)
    inp = keras.Input(shape=(None,), dtype="int32")
    h = keras.layers.Embedding(30, 8, mask_zero=True)(inp)
    h = keras.layers.LSTM(6, return_sequences=True)(h)
    h = keras.layers.Bidirectional(keras.layers.GRU(4))(h)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))
    padded = model.predict(x, batch_size=16, verbose=0)
    bucketed = predict(model, x, 16, Batching(True, "pre"))
    np.testing.assert_allclose(bucketed, padded, atol=1e-5)
    unsorted = predict(model, x, 16, Batching(False))
    np.testing.assert_allclose(unsorted, padded, atol=1e-6)


def test_training_with_bucketing_records_it_and_learns(tmp_path, write_spec):
    make_csv(tmp_path)
    spec = "name: masked\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 16, mask_zero: true}
    - LSTM: {units: 8}
train: {optimizer: {name: adam, learning_rate: 0.05}, batch_size: 16, epochs: 10, seed: 3}
"""
    run = tmp_path / "run"
    assert main(["train", str(write_spec(spec)), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["runtime"] == {"bucketing": True, "jit_compile": "auto", "mixed_precision": False}
    assert m["accuracy"] > 0.9
    model = keras.saving.load_model(run / "model.keras")
    assert model.input.shape == (None, None)
    assert yaml.safe_load((run / "spec.yaml").read_text())["train"]["bucketing"] == "auto"
