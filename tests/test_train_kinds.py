"""``specc train`` for the BERT and scikit-learn kinds: the same run folder and metrics.json.

The tf-idf run uses data made here; the BERT runs read SST-2 from the data mirror on
small stratified subsets (a few seconds of fine-tuning on 2 cores).
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from specc.cli import main
from tests.conftest import needs_data
from tests.report_checks import check_html_report
from tests.test_train_e2e import check_classification_doc, make_csv

COMMON_KEYS = {"spec", "task", "spec_file", "model_kind", "data_source", "n_train",
               "n_validation", "n_test", "validation_grouped_by", "loss", "accuracy",
               "classification_report", "confusion_matrix", "class_names", "train_seconds",
               "prepare_seconds", "epochs_requested", "epochs_trained", "best_epoch", "device",
               "params", "backend", "keras_version"}

TFIDF_SPEC = """\
name: topics-tfidf
task: multiclass
data: {train: train.csv, test: test.csv, validation_split: 0.25}
model:
  features: {tfidf: {ngram_range: [1, 2]}}
  estimator: {%s}
train: {seed: 3}
"""


@pytest.mark.parametrize("estimator,output", [("LogisticRegression: {C: 10.0}", "predict_proba"),
                                              ("LinearSVC: {C: 1.0}", "decision_function")])
def test_tfidf_estimator_run_folder(tmp_path, write_spec, estimator, output):
    import specc
    make_csv(tmp_path)
    run = tmp_path / "run"
    assert main(["train", str(write_spec(TFIDF_SPEC % estimator)), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert COMMON_KEYS <= set(m) and m["model_kind"] == "estimator"
    assert m["estimator_output"] == output and m["epochs_trained"] is None
    assert (m["n_train"], m["n_validation"], m["n_test"]) == (90, 30, 60)
    check_classification_doc(m, 3)
    assert m["accuracy"] > 0.9
    rows = list(csv.DictReader(open(tmp_path / "test.csv")))
    labels = np.array([m["class_names"].index(r["label"]) for r in rows])
    assert not (run / "model.joblib").exists() and (run / "model.skops").is_file()
    pred = specc.load_run(run).predict([r["text"] for r in rows])
    assert np.mean(pred.class_ids == labels) == pytest.approx(m["accuracy"])
    assert [m["class_names"][i] for i in pred.class_ids] == pred.labels
    stored = np.load(run / "predictions.npz")
    np.testing.assert_allclose(pred.outputs, stored["scores"], atol=1e-5)
    history = (run / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,loss,accuracy,val_loss,val_accuracy" and len(history) == 2
    report = (run / "report.md").read_text()
    assert "Fit (train and validation)" in report and "TfidfVectorizer" in report
    assert check_html_report(run)["plots"] == {"confusion_matrix", "class_scores",
                                               "representations"}
    rep = np.load(run / "representations.npz")
    assert rep["vectors"].shape == (60, 50) and "TruncatedSVD" in str(rep["what"])
    est = specc.load_run(run).predictor.pipeline.named_steps["estimator"]
    assert m["params"]["trainable"] == est.coef_.size + est.intercept_.size


@needs_data
@pytest.mark.realdata
def test_bert_finetune_smoke_on_sst2(tmp_path, write_spec):
    spec = write_spec("""\
name: sst2-bert-smoke
task: binary
data: {dataset: sst2, validation: dev, max_train_samples: 96, max_test_samples: 64}
preprocessing: {sequence: {max_len: 24}}
model:
  backbone: {BertBackbone: {preset: minilm-l6}}
  layers: [{Dropout: {rate: 0.1}}]
train:
  optimizer: {name: adamw, learning_rate: 5.0e-5, weight_decay: 0.01, warmup_ratio: 0.1}
  batch_size: 16
  epochs: 1
  seed: 1
""")
    run = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert COMMON_KEYS <= set(m) and m["model_kind"] == "bert"
    assert (m["n_train"], m["n_validation"], m["n_test"]) == (96, 872, 64)
    check_classification_doc(m, 2)
    assert m["params"]["total"] == 22_713_216 + 385
    tok = json.loads((run / "tokenizer.json").read_text())
    assert tok["kind"] == "wordpiece" and tok["max_len"] == 24
    assert (run / "vocab.txt").read_text().splitlines()[101] == "[CLS]"
    check_html_report(run)
    rep = np.load(run / "representations.npz")
    assert rep["vectors"].shape == (64, 384) and str(rep["what"]).startswith("cls pooling")
    # the run predicts raw texts as it scored the test split (predictions.npz)
    check_predictions_equal_test_split(run, "sst2", 64, 1)


def check_predictions_equal_test_split(run, dataset: str, n_test: int, seed: int):
    """``specc.load_run(run).predict`` on the run's test texts gives the stored test
    predictions: the same classes, outputs within 1e-5, the reported accuracy."""
    import specc
    from specc.data import load_dataset, subsample
    ds = load_dataset({"dataset": dataset}, run, task="binary")
    keep = subsample(ds.test_labels, n_test, seed, True)
    pred = specc.load_run(run).predict([ds.test_texts[i] for i in keep])
    stored = np.load(run / "predictions.npz")
    np.testing.assert_array_equal(pred.class_ids, stored["y_pred"])
    np.testing.assert_allclose(pred.outputs, stored["scores"], atol=1e-5)
    m = json.loads((run / "metrics.json").read_text())
    assert np.mean(pred.class_ids == ds.test_labels[keep]) == pytest.approx(m["accuracy"])
    assert pred.labels == [m["class_names"][i] for i in stored["y_pred"]]


@needs_data
@pytest.mark.realdata
def test_bert_features_logreg_on_sst2_subset(tmp_path, write_spec, monkeypatch):
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    spec = write_spec("""\
name: sst2-features-smoke
task: binary
data: {dataset: sst2, max_train_samples: 400, max_test_samples: 200}
preprocessing: {sequence: {max_len: 48}}
model:
  features: {backbone: {preset: minilm-l6}, pooling: mean, batch_size: 64}
  estimator: {LogisticRegression: {C: 0.1, max_iter: 1000}}
""")
    first, second = tmp_path / "r1", tmp_path / "r2"
    assert main(["train", str(spec), "--out", str(first)]) == 0
    assert main(["train", str(spec), "--out", str(second)]) == 0
    m1 = json.loads((first / "metrics.json").read_text())
    m2 = json.loads((second / "metrics.json").read_text())
    assert [s["cached"] for s in m1["feature_cache"]][:1] == [False]
    assert all(s["cached"] for s in m2["feature_cache"])  # the second run reuses every split
    assert m1["accuracy"] == m2["accuracy"] > 0.65
    assert m1["params"]["non_trainable"] == 22_713_216 and m1["params"]["trainable"] == 385
    check_classification_doc(m1, 2)
    cached = sorted((tmp_path / "cache").rglob("*"))
    check_predictions_equal_test_split(first, "sst2", 200, 42)
    assert sorted((tmp_path / "cache").rglob("*")) == cached  # predicting writes no cache


def test_ridge_regression_on_tfidf(tmp_path, write_spec):
    """A regression target that is a sum of word values is learnt by tf + Ridge."""
    import random
    rng = random.Random(0)
    value = {"good": 1.0, "bad": -1.0, "great": 2.0, "awful": -2.0, "fine": 0.5, "meh": 0.0}
    for split, n in (("train", 200), ("test", 60)):
        rows = ["text,label"]
        for _ in range(n):
            ws = rng.choices(list(value), k=4)
            rows.append(f"{' '.join(ws)},{sum(value[w] for w in ws):.2f}")
        (tmp_path / f"{split}.csv").write_text("\n".join(rows) + "\n")
    spec = write_spec("name: ridge\ntask: regression\ndata: {train: train.csv, test: test.csv}\n"
                      "model:\n  features: {tfidf: {use_idf: false, norm: null}}\n"
                      "  estimator: {Ridge: {alpha: 0.1}}\n")
    run = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["estimator_output"] == "predict" and "n_iter" not in m
    assert m["loss"] == pytest.approx(m["mse"]) and m["r2"] > 0.95
    assert (run / "history.csv").read_text().splitlines()[0] == "epoch,loss,val_loss"


def test_epochs_override_is_refused_for_an_estimator(tmp_path, write_spec, capsys):
    make_csv(tmp_path)
    spec = write_spec(TFIDF_SPEC % "LinearSVC: {}")
    assert main(["train", str(spec), "--epochs", "3", "--out", str(tmp_path / "r")]) == 2
    assert "fitted once" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
