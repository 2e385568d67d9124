"""The compiled model of every example spec equals the same model written by hand in Keras.

Compared layer by layer: class, output shape and parameter count, plus the total and
trainable parameter counts of Keras' own summary.
"""

from __future__ import annotations

import numpy as np
import pytest

from specc.core.quiet import import_keras

keras = import_keras()
L = keras.layers

from specc.compiler.model import compile_spec  # noqa: E402
from specc.loader.validate import load_spec  # noqa: E402
from tests.conftest import SPECS  # noqa: E402


def _tokens(n):
    """Token-id input of length ``n`` (None: any length, as specc builds it for specs that
    train with length bucketing, i.e. masked recurrent stacks)."""
    return keras.Input(shape=(n,), dtype="int32")


def hand_written():
    """The example specs' models, written the way the Keras tutorials write them."""
    models = {}

    def seq(name, inp, *layers):
        x = inp
        for layer in layers:
            x = layer(x)
        models[name] = keras.Model(inp, x)

    seq("lstm.yaml", _tokens(None), L.Embedding(20000, 64, mask_zero=True),
        L.LSTM(64, return_sequences=True, dropout=0.2), L.LSTM(32, dropout=0.2), L.Dropout(0.3),
        L.Dense(1, activation="sigmoid"))
    seq("conv1d.yaml", _tokens(500), L.Embedding(10000, 128), L.Conv1D(32, 7, activation="relu"),
        L.MaxPooling1D(7), L.Conv1D(32, 5, activation="relu"), L.MaxPooling1D(5),
        L.GlobalMaxPooling1D(), L.Dense(1, activation="sigmoid"))
    seq("fasttext.yaml", _tokens(500), L.Embedding(20000, 32, mask_zero=True),
        L.GlobalAveragePooling1D(),
        L.Dense(1, activation="sigmoid"))
    seq("bilstm.yaml", _tokens(None), L.Embedding(10000, 64, mask_zero=True),
        L.Bidirectional(L.LSTM(32)),
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
    seq("nsmc_lstm.yaml", _tokens(None), L.Embedding(3000, 128, mask_zero=True), L.LSTM(128),
        L.Dropout(0.3), L.Dense(1, activation="sigmoid"))
    seq("nsmc_bilstm.yaml", _tokens(None), L.Embedding(3000, 128, mask_zero=True),
        L.Bidirectional(L.LSTM(64)), L.Dropout(0.3), L.Dense(1, activation="sigmoid"))
    seq("nsmc_conv1d.yaml", _tokens(140), L.Embedding(3000, 128),
        L.Conv1D(256, 5, activation="relu"), L.GlobalMaxPooling1D(),
        L.Dense(128, activation="relu"), L.Dropout(0.5), L.Dense(1, activation="sigmoid"))
    return models


HAND = hand_written()
SEARCHED = {"conv1d_search.yaml": "conv1d.yaml"}
"""Specs with a search: section (specc tune) -> the example they search around: specc
train and build ignore the section, so they compile to that example's model."""


def hand_written_pipelines():
    """The scikit-learn example specs, written the way the tutorials write them."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    from specc.compiler.features import BertFeatures
    return {
        "sst2_tfidf_logreg.yaml": Pipeline([
            ("features", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("estimator", LogisticRegression(C=10.0, max_iter=1000, random_state=42))]),
        "imdb_tfidf_svm.yaml": Pipeline([
            ("features", TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9,
                                         sublinear_tf=True)),
            ("estimator", LinearSVC(C=0.5, random_state=42))]),
        "imdb_tfidf_fast.yaml": Pipeline([
            ("features", TfidfVectorizer(min_df=2, max_df=0.9, sublinear_tf=True)),
            ("estimator", LinearSVC(C=0.1, random_state=42))]),
        "sst2_bert_features_logreg.yaml": Pipeline([
            ("features", BertFeatures("minilm-l6", pooling="mean", max_len=64,
                                      base_dir=str(SPECS))),
            ("estimator", LogisticRegression(C=0.05, max_iter=1000, random_state=42))]),
    }


PIPELINES = hand_written_pipelines()
BERT_SPECS = {"sst2_bert_finetune.yaml": ("cls", 64, 1)}
"""Fine-tuning specs: (pooling, max_len, head units)."""
NSMC_BERT = {"nsmc_bert.yaml": True, "nsmc_bert_scratch.yaml": False}
"""Fine-tuning specs of the NSMC pretraining run's preset: whether they load its weights."""
MASKED_LM = {"nsmc_pretrain.yaml": (8000, 2, 4, 128, 512, 64)}
"""Pretraining specs: (vocabulary, layers, heads, hidden, intermediate, max length)."""


def layer_rows(model):
    """(class, output shape, params) per layer, input layer excluded."""
    return [(type(layer).__name__, tuple(layer.output.shape), layer.count_params())
            for layer in model.layers if not isinstance(layer, L.InputLayer)]


def test_every_example_spec_has_a_hand_written_twin():
    assert sorted([*HAND, *SEARCHED, *PIPELINES, *BERT_SPECS, *NSMC_BERT, *MASKED_LM]) == \
        sorted(p.name for p in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(MASKED_LM))
def test_compiled_masked_lm_equals_hand_written_keras_hub(name):
    from specc.core.quiet import import_keras_hub
    keras_hub = import_keras_hub()
    vocab, layers, heads, hidden, inter, max_len = MASKED_LM[name]
    hand = keras_hub.models.BertMaskedLM(keras_hub.models.BertBackbone(
        vocab, layers, heads, hidden, inter, max_sequence_length=max_len), preprocessor=None)
    compiled = compile_spec(load_spec(SPECS / name))
    assert [type(x).__name__ for x in compiled.layers] == [type(x).__name__ for x in hand.layers]
    assert compiled.count_params() == hand.count_params() == 1_470_528


@pytest.mark.parametrize("name", sorted(NSMC_BERT))
def test_nsmc_bert_specs_equal_hand_written_keras_hub(name, tiny_preset, tmp_path):
    """The fine-tuning model on a (here tiny) pretrained preset, weights loaded or not."""
    from specc.core.quiet import import_keras_hub
    from tests.conftest import with_preset
    keras_hub = import_keras_hub()
    backbone = keras_hub.models.BertBackbone.from_preset(str(tiny_preset))
    inputs = {k: keras.Input(shape=(None,), dtype="int32", name=k)
              for k in ("token_ids", "segment_ids", "padding_mask")}
    x = L.Dropout(0.1)(backbone(inputs)["sequence_output"][:, 0, :])
    hand = keras.Model(inputs, L.Dense(1, activation="sigmoid")(x))
    compiled = compile_spec(load_spec(with_preset(SPECS / name, tiny_preset, tmp_path)))
    assert compiled.count_params() == hand.count_params()
    weights = [b for b in compiled.layers if type(b).__name__ == "BertBackbone"][0].get_weights()
    same = all(np.array_equal(a, b) for a, b in zip(weights, backbone.get_weights()))
    assert same == NSMC_BERT[name]


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_compiled_pipeline_equals_hand_written(name):
    compiled = compile_spec(load_spec(SPECS / name))
    hand = PIPELINES[name]
    assert [type(s).__name__ for _, s in compiled.steps] == [type(s).__name__ for _, s in hand.steps]
    assert repr(compiled) == repr(hand)
    assert compiled.get_params()["features"].get_params() == hand.get_params()["features"].get_params()


@pytest.mark.parametrize("name", sorted(BERT_SPECS))
def test_compiled_bert_equals_hand_written_keras_hub(name):
    """The BERT tutorial model: keras-hub backbone, [CLS] vector, Dropout, Dense head."""
    from specc.core.quiet import import_keras_hub
    from specc.data.backbones import resolve_preset
    keras_hub = import_keras_hub()
    pooling, max_len, units = BERT_SPECS[name]
    backbone = keras_hub.models.BertBackbone.from_preset(str(resolve_preset("minilm-l6")))
    inputs = {k: keras.Input(shape=(max_len,), dtype="int32", name=k)
              for k in ("token_ids", "segment_ids", "padding_mask")}
    x = backbone(inputs)["sequence_output"][:, 0, :]
    x = L.Dropout(0.1)(x)
    hand = keras.Model(inputs, L.Dense(units, activation="sigmoid")(x))
    compiled = compile_spec(load_spec(SPECS / name))
    assert compiled.count_params() == hand.count_params() == 22_713_216 + 385
    trainable = sum(w.numpy().size for w in compiled.trainable_weights)
    assert trainable == sum(w.numpy().size for w in hand.trainable_weights)
    assert tuple(compiled.output.shape) == tuple(hand.output.shape) == (None, units)


@pytest.mark.parametrize("name", sorted([*HAND, *SEARCHED]))
def test_compiled_model_equals_hand_written(name):
    compiled = compile_spec(load_spec(SPECS / name))
    hand = HAND[SEARCHED.get(name, name)]
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
    assert "(None, None, 64)" in text  # length bucketing: any sequence length
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


@pytest.mark.parametrize("schedule,end", [("cosine", 0.0), ("constant", 1e-3)])
def test_warmup_schedule(schedule, end):
    """Linear warm-up over warmup_ratio of the steps, then cosine decay to 0 or constant."""
    from specc.compiler.optimizers import build_optimizer, learning_rate
    config = {"name": "adamw", "learning_rate": 1e-3, "weight_decay": 0.01,
              "warmup_ratio": 0.1, "schedule": schedule}
    sched = learning_rate(config, total_steps=100)
    assert isinstance(build_optimizer(config, 100), keras.optimizers.AdamW)
    values = [float(sched(step)) for step in (0, 5, 10, 55, 100)]
    assert values[0] == pytest.approx(0.0, abs=1e-9)
    assert values[1] == pytest.approx(5e-4, rel=1e-5) and values[2] == pytest.approx(1e-3)
    assert values[4] == pytest.approx(end, abs=1e-9)
    if schedule == "cosine":
        assert values[3] == pytest.approx(5e-4, rel=1e-4)  # half-way through the decay


def test_no_schedule_keeps_a_float_learning_rate():
    from specc.compiler.optimizers import build_optimizer
    opt = build_optimizer({"name": "adam", "learning_rate": 0.002, "warmup_ratio": 0.0,
                           "schedule": "constant"}, total_steps=100)
    assert float(opt.learning_rate) == pytest.approx(0.002)


# Stacks the semantic checks refuse at validation (each has its own validate test); built
# here without validation, they show that what Keras itself rejects still comes out as one
# line at the layer's line and spec path, not a traceback.
KERAS_REJECTS = [
    ({"Conv1D": {"filters": 4, "kernel_size": 500}}, 1, 14, "Computed output size would be"),
    ({"LSTM": {"units": 4}}, 2, 15, "expected ndim=3, found ndim=2"),
    ({"MaxPooling1D": {"pool_size": 80}}, 2, 15, "Keras rejected MaxPooling1D"),
]


@pytest.mark.parametrize("layer,index,line,message", KERAS_REJECTS)
def test_keras_rejection_is_one_line_at_the_layer(layer, index, line, message):
    from specc.compiler.model import build_model
    from specc.errors import SpecError
    path = SPECS / "sst2_conv1d.yaml"
    resolved = load_spec(path).to_dict()
    layers = resolved["model"]["layers"]
    if index == 2:  # after a layer that already gives 2-D output
        layers[1] = {"LSTM": {"units": 4}} if "LSTM" in layer else {"GlobalMaxPooling1D": {}}
    layers[index] = layer
    with pytest.raises(SpecError) as e:
        build_model(resolved, series=False, file=str(path))
    text = str(e.value)
    assert "\n" not in text and message in text
    assert text.startswith(f"{path}:{line}:7: $.model.layers[{index}]: Keras rejected ")


@pytest.mark.parametrize("name", ["conv1d.yaml", "lstm.yaml", "bilstm.yaml"])
def test_benchmark_baselines_are_the_spec_models_padded_to_max_len(name):
    """bench/ compares specc with these hand-written models: same layers and weights;
    only the input is fixed to max_len (the tutorials pad every batch to it)."""
    from bench import baselines
    hand = getattr(baselines, name.removesuffix(".yaml"))()
    spec = load_spec(SPECS / name)
    compiled = compile_spec(spec)
    assert [type(layer).__name__ for layer in hand.layers] == \
        [type(layer).__name__ for layer in compiled.layers if not isinstance(layer, L.InputLayer)]
    assert hand.count_params() == compiled.count_params()
    assert tuple(hand.layers[0].input.shape) == (None, spec.resolved["preprocessing"]["sequence"]["max_len"])
