"""``specc pretrain`` (task masked_lm) on a made corpus, the preset it writes, and fine-tuning
from it (pretrained vs ``load_weights: false``). Real NSMC runs are in test_examples_slow."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specc.cli import main
from specc.core.quiet import import_keras
from specc.loader.validate import load_spec
from tests.conftest import PRETRAIN, SENTENCES

keras = import_keras()


def test_mlm_accuracy_curve_rises(pretrained):
    run, m = pretrained
    curve = m["curve"]
    assert len(curve) == 3 * m["evaluations_per_pass"]
    assert [p["step"] for p in curve] == sorted({p["step"] for p in curve})
    first, last = curve[0]["val_accuracy"], curve[-1]["val_accuracy"]
    assert last > 0.5 and last > first + 0.2, (first, last)
    assert curve[-1]["val_loss"] < curve[0]["val_loss"]
    assert (run / "mlm_curve.png").stat().st_size > 5000
    assert f"{last:.4f}" in (run / "report.md").read_text(encoding="utf-8")
    assert (run / "history.csv").read_text().count("\n") == len(curve) + 1


def test_preset_loads_in_keras_hub_with_the_learnt_vocabulary(pretrained):
    from specc.core.quiet import import_keras_hub
    from specc.data.backbones import read_config
    keras_hub = import_keras_hub()
    run, m = pretrained
    preset = run / "preset"
    config = read_config(preset)
    assert (config.num_layers, config.hidden_dim, config.max_sequence_length) == (1, 32, 64)
    assert config.source == "keras-hub" and config.vocabulary_size == m["vocabulary_size"]
    tokenizer = keras_hub.models.BertTokenizer.from_preset(str(preset))
    vocab = (run / "vocab.txt").read_text(encoding="utf-8").split("\n")[:m["vocabulary_size"]]
    assert tokenizer.get_vocabulary() == vocab and vocab[:5] == ["[PAD]", "[UNK]", "[CLS]",
                                                                  "[SEP]", "[MASK]"]
    assert "봄" in vocab and "##름" in vocab or "여름" in vocab


FINETUNE = """\
name: tiny-finetune
task: binary
data: {train: train.csv, test: test.csv, validation_split: 0.25}
preprocessing:
  tokenizer: {preset: %(preset)s}
  sequence: {max_len: 16}
model:
  backbone: {BertBackbone: {preset: %(preset)s, load_weights: %(load)s}}
  layers: [{Dropout: {rate: 0.1}}]
train: {optimizer: {name: adam, learning_rate: 0.001}, batch_size: 16, epochs: 1, seed: 0}
"""


def test_finetune_starts_from_the_pretrained_weights_or_random_ones(pretrained, tmp_path):
    from specc.compiler.model import compile_spec
    run, _ = pretrained
    preset = run / "preset"
    rows = ["text,label"] + [f"{s},{i % 2}" for i, s in enumerate(SENTENCES * 6)]
    for split in ("train", "test"):
        (tmp_path / f"{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    from specc.core.quiet import import_keras_hub
    reference = import_keras_hub().models.BertBackbone.from_preset(str(preset))
    ref = reference.get_layer("token_embedding").get_weights()[0]
    embeddings = {}
    for load in ("true", "false"):
        path = tmp_path / f"ft-{load}.yaml"
        path.write_text(FINETUNE % {"preset": preset, "load": load}, encoding="utf-8")
        model = compile_spec(load_spec(path))
        backbone = next(layer for layer in model.layers if type(layer).__name__ == "BertBackbone")
        embeddings[load] = backbone.get_layer("token_embedding").get_weights()[0]
        assert main(["train", str(path), "--out", str(tmp_path / f"run-{load}")]) == 0
        assert json.loads((tmp_path / f"run-{load}" / "metrics.json").read_text())["n_test"] == 48
    np.testing.assert_array_equal(embeddings["true"], ref)
    assert embeddings["false"].shape == ref.shape
    assert not np.allclose(embeddings["false"], ref)


@pytest.mark.parametrize("edit,path,message", [
    (("task: masked_lm\ndata: {train: corpus.txt.csv, validation_split: 0.1}",
      "task: binary\ndata: {dataset: imdb}"), "$.model.backbone.BertBackbone.num_layers",
     "declare a new backbone for task masked_lm"),
    (("num_heads: 2", "num_heads: 3"), "$.model.backbone.BertBackbone.num_heads",
     "multiple of num_heads 3"),
    (("  masking:", "  layers: [Flatten]\n  masking:"), "$.model.layers",
     "does not apply to task masked_lm"),
    (("tokenizer: {wordpiece: {vocabulary_size: 60}}", "tokenizer: {num_words: 100}"),
     "$.preprocessing.tokenizer", "needs a vocabulary"),
    (("mask_selection_length: 3", "mask_selection_length: 65"),
     "$.model.masking.mask_selection_length", "more than max_len"),
])
def test_pretrain_spec_rules(write_spec, edit, path, message):
    from specc.errors import SpecError
    text = (PRETRAIN % 1).replace(*edit)
    with pytest.raises(SpecError) as e:
        load_spec(write_spec(text))
    assert any(i.path == path and message in i.message for i in e.value.issues), e.value


def test_train_and_pretrain_refuse_each_others_specs(write_spec, capsys):
    pretrain = write_spec(PRETRAIN % 1, "p.yaml")
    assert main(["train", str(pretrain)]) == 2
    assert "specc pretrain" in capsys.readouterr().err
    from tests.conftest import SPECS
    assert main(["pretrain", str(SPECS / "conv1d.yaml")]) == 2
    assert "needs task masked_lm" in capsys.readouterr().err
