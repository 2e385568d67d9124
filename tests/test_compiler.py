"""The compiled model of every example spec equals the same model written by hand in Keras.

Compared layer by layer: class, output shape and parameter count, plus the total and
trainable parameter counts of Keras' own summary.
"""

from __future__ import annotations

import pytest

from specc.runtime.quiet import import_keras

keras = import_keras()
L = keras.layers

from specc.compiler.model import compile_spec  # noqa: E402
from specc.loader.validate import load_spec  # noqa: E402
from tests.conftest import SPECS  # noqa: E402


def _tokens(n):
    return keras.Input(shape=(n,), dtype="int32")


def hand_written():
    """The example specs' models, written the way the Keras tutorials write them."""
    models = {}

    def seq(name, inp, *layers):
        x = inp
        for layer in layers:
            x = layer(x)
        models[name] = keras.Model(inp, x)

    seq("lstm.yaml", _tokens(300), L.Embedding(20000, 64, mask_zero=True),
        L.LSTM(64, return_sequences=True, dropout=0.2), L.LSTM(32, dropout=0.2), L.Dropout(0.3),
        L.Dense(1, activation="sigmoid"))
    seq("conv1d.yaml", _tokens(500), L.Embedding(10000, 128), L.Conv1D(32, 7, activation="relu"),
        L.MaxPooling1D(7), L.Conv1D(32, 5, activation="relu"), L.MaxPooling1D(5),
        L.GlobalMaxPooling1D(), L.Dense(1, activation="sigmoid"))
    seq("fasttext.yaml", _tokens(500), L.Embedding(20000, 32, mask_zero=True),
        L.GlobalAveragePooling1D(),
        L.Dense(1, activation="sigmoid"))
    seq("bilstm.yaml", _tokens(200), L.Embedding(10000, 64), L.Bidirectional(L.LSTM(32)),
        L.Dropout(0.3), L.Dense(1, activation="sigmoid"))
    seq("gru.yaml", _tokens(200), L.Embedding(10000, 64), L.GRU(64), L.Dropout(0.3),
        L.Dense(1, activation="sigmoid"))
    seq("conv_lstm.yaml", _tokens(400), L.Embedding(10000, 64), L.Dropout(0.2),
        L.Conv1D(64, 5, activation="relu"), L.MaxPooling1D(4), L.LSTM(64),
        L.Dense(1, activation="sigmoid"))
    seq("reuters_lstm.yaml", _tokens(150), L.Embedding(10000, 128),
        L.LSTM(128, return_sequences=True), L.LSTM(64), L.Dropout(0.3),
        L.Dense(46, activation="softmax"))
    seq("reuters_mlp.yaml", _tokens(300), L.Embedding(10000, 64), L.GlobalAveragePooling1D(),
        L.Dense(128, activation="relu"), L.Dropout(0.3), L.Dense(46, activation="softmax"))
    seq("sst2_conv1d.yaml", _tokens(50), L.Embedding(15000, 128), L.SpatialDropout1D(0.2),
        L.Conv1D(128, 3, activation="relu"), L.GlobalMaxPooling1D(),
        L.Dense(64, activation="relu"), L.Dropout(0.5), L.Dense(1, activation="sigmoid"))
    seq("sine_simplernn.yaml", keras.Input(shape=(10, 1)), L.SimpleRNN(32, activation="tanh"),
        L.Dense(1))
    return models


HAND = hand_written()


def layer_rows(model):
    """(class, output shape, params) per layer, input layer excluded."""
    return [(type(layer).__name__, tuple(layer.output.shape), layer.count_params())
            for layer in model.layers if not isinstance(layer, L.InputLayer)]


def test_every_example_spec_has_a_hand_written_twin():
    assert sorted(HAND) == sorted(p.name for p in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(HAND))
def test_compiled_model_equals_hand_written(name):
    compiled = compile_spec(load_spec(SPECS / name))
    hand = HAND[name]
    assert layer_rows(compiled) == layer_rows(hand)
    assert compiled.count_params() == hand.count_params()
    trainable = sum(w.numpy().size for w in compiled.trainable_weights)
    assert trainable == sum(w.numpy().size for w in hand.trainable_weights)


def test_build_cli_prints_keras_summary_and_saves(tmp_path, capsys):
    from specc.cli import main
    out = tmp_path / "m.keras"
    assert main(["build", str(SPECS / "lstm.yaml"), "--save", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Total params: 1,325,473" in text
    assert "(None, 300, 64)" in text
    reloaded = keras.saving.load_model(out, safe_mode=True)
    assert reloaded.count_params() == 1_325_473


def test_build_rejects_save_without_keras_suffix(tmp_path, capsys):
    from specc.cli import main
    assert main(["build", str(SPECS / "lstm.yaml"), "--save", str(tmp_path / "m.h5")]) == 2
    assert "must end in .keras" in capsys.readouterr().err


def test_regularizer_factors_become_keras_l1l2(write_spec):
    spec = load_spec(write_spec("""\
name: r
task: binary
data: {dataset: imdb}
preprocessing: {tokenizer: {num_words: 100}, sequence: {max_len: 10}}
model:
  layers:
    - Embedding: {output_dim: 4, embeddings_regularizer: {l2: 1.0e-5}}
    - Bidirectional: {layer: {LSTM: {units: 2, kernel_regularizer: {l1: 0.1}}}}
"""))
    model = compile_spec(spec)
    emb = model.get_layer(index=1)
    assert isinstance(emb.embeddings_regularizer, keras.regularizers.L1L2)
    assert emb.embeddings_regularizer.get_config()["l2"] == pytest.approx(1e-5)
    inner = model.get_layer(index=2).forward_layer
    assert inner.cell.kernel_regularizer.get_config()["l1"] == pytest.approx(0.1)
