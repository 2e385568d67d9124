"""The public Python API and the commands on top of it: ``specc.load_spec`` / ``train`` /
``load_run``, ``Run.predict`` / ``evaluate``, ``specc predict`` and ``specc evaluate``.

A Keras stack is trained once per session on made topic data (tests/test_train_e2e.py's
``make_csv``); its predictions must equal what training stored for the test split.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

import specc
from specc.cli import main
from tests.conftest import ROOT, SPECS
from tests.test_train_e2e import CSV_SPEC, make_csv


def test_public_names_are_listed_and_documented():
    assert {"load_spec", "train", "load_run", "Run", "Spec", "Predictions"} <= set(specc.__all__)
    for name in specc.__all__:
        if name != "__version__":
            assert getattr(specc, name).__doc__, name


def test_import_and_load_spec_do_not_import_tensorflow():
    code = ("import sys, specc; specc.load_spec('specs/lstm.yaml'); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_spec_is_read_only_and_replace_validates():
    spec = specc.load_spec(SPECS / "lstm.yaml")
    assert spec.train.epochs == spec.resolved["train"]["epochs"] == 3
    with pytest.raises(TypeError):
        spec.resolved["train"]["epochs"] = 5
    with pytest.raises(TypeError):
        spec.model.layers.append("Flatten")
    with pytest.raises(AttributeError):
        spec.name = "other"
    longer = spec.replace({"train.epochs": 5, "model.layers[1].LSTM.units": 128})
    assert longer.train.epochs == 5 and longer.model.layers[1]["LSTM"]["units"] == 128
    assert spec.train.epochs == 3 and longer.path == spec.path
    with pytest.raises(specc.SpecError) as e:
        spec.replace({"train.epochs": 0})
    assert "(changed)" in str(e.value) and "$.train.epochs" in str(e.value)
    with pytest.raises(specc.UsageError):
        spec.replace({"model.layers[99].LSTM.units": 1})


def test_load_spec_from_a_mapping_resolves_paths_against_base_dir(tmp_path):
    make_csv(tmp_path)
    import yaml
    data = yaml.safe_load(CSV_SPEC)
    spec = specc.load_spec(data, base_dir=tmp_path)
    assert spec.base_dir == tmp_path and spec.train.batch_size == 16
    with pytest.raises(specc.SpecError) as e:
        specc.load_spec({**data, "task": "ranking"})
    assert str(e.value).startswith("<dict>:")


def test_predictions_equal_the_stored_test_predictions(topic_run):
    run_dir, data = topic_run
    run = specc.load_run(run_dir)
    rows = list(csv.DictReader(open(data / "test.csv")))
    pred = run.predict([r["text"] for r in rows])
    stored = np.load(run_dir / "predictions.npz")
    np.testing.assert_array_equal(pred.class_ids, stored["y_pred"])
    np.testing.assert_allclose(pred.outputs, stored["scores"], atol=1e-5)
    assert pred.labels == [run.class_names[i] for i in pred.class_ids]
    np.testing.assert_allclose(pred.probabilities.sum(axis=1), 1.0, atol=1e-5)
    accuracy = np.mean([label == r["label"] for label, r in zip(pred.labels, rows)])
    assert accuracy == pytest.approx(run.metrics["accuracy"])
    assert set(pred.rows()[0]) == {"label", "food", "sport", "tech"}
    assert run.history["loss"] and len(run.history["loss"]) == run.metrics["epochs_trained"]


def test_predict_refuses_a_single_string_and_non_strings(topic_run):
    run = specc.load_run(topic_run[0])
    with pytest.raises(specc.UsageError):
        run.predict("one text")
    with pytest.raises(specc.UsageError):
        run.predict(["ok", 3])
    assert len(run.predict([])) == 0


def test_cli_predict_file_stdin_and_arguments(topic_run, tmp_path, capsys, monkeypatch):
    run_dir, data = topic_run
    out = tmp_path / "pred.csv"
    assert main(["predict", str(run_dir), "--input", str(data / "test.csv"),
                 "--output", str(out)]) == 0
    got = list(csv.DictReader(open(out)))
    truth = list(csv.DictReader(open(data / "test.csv")))
    assert [int(r["row"]) for r in got] == list(range(1, len(truth) + 1))
    assert [r["text"] for r in got] == [r["text"] for r in truth]
    accuracy = np.mean([g["label"] == t["label"] for g, t in zip(got, truth)])
    m = json.loads((run_dir / "metrics.json").read_text())
    assert accuracy == pytest.approx(m["accuracy"])
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("goal match team\nbread soup salt\n"))
    assert main(["predict", str(run_dir), "--input", "-"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["label"] for x in lines] == ["sport", "food"]
    assert main(["predict", str(run_dir), "chip code data"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "tech"


@pytest.mark.parametrize("argv,message", [
    (["predict", "RUN"], "nothing to predict"),
    (["predict", "RUN", "x", "--output", "p.txt"], "must end in .csv or .jsonl"),
    (["predict", "RUN", "--input", "missing.csv"], "input file not found"),
    (["predict", "NOWHERE", "x"], "not a run folder"),
    (["evaluate", "RUN", "--data", "bad.csv"], "label 'cooking' does not occur in the run's"),
])
def test_cli_errors_are_one_line(topic_run, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text("text,label\ngoal match,sport\nbread soup,cooking\n")
    argv = [str(topic_run[0]) if a == "RUN" else a for a in argv]
    assert main(argv) in (1, 2)
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if "cooking" in message:
        assert "bad.csv" in err and "row 2" in err


def test_evaluate_writes_metrics_and_report_like_training(topic_run, tmp_path, capsys):
    run_dir, data = topic_run
    out = tmp_path / "eval"
    assert main(["evaluate", str(run_dir), "--data", str(data / "test.csv"), "--out",
                 str(out)]) == 0
    assert "accuracy" in capsys.readouterr().out
    trained = json.loads((run_dir / "metrics.json").read_text())
    m = json.loads((out / "metrics.json").read_text())
    assert set(trained) <= set(m) and m["evaluated"]["data"] == str(data / "test.csv")
    for key in ("accuracy", "loss", "confusion_matrix", "classification_report"):
        assert m[key] == pytest.approx(trained[key], abs=1e-5) if key == "loss" else \
            m[key] == trained[key]
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    api = specc.load_run(run_dir).evaluate(data / "test.csv")
    assert api["accuracy"] == m["accuracy"]


def test_a_run_folder_holding_a_pickle_is_refused(topic_run, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(topic_run[0], copy)
    (copy / "model.joblib").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(specc.UsageError, match="does not load pickle"):
        specc.load_run(copy)


def test_a_damaged_run_spec_or_metrics_is_one_line(topic_run, tmp_path):
    import shutil

    import yaml
    copy = tmp_path / "copy"
    shutil.copytree(topic_run[0], copy)
    spec = yaml.safe_load((copy / "spec.yaml").read_text())
    del spec["train"]  # defaults are filled again: still usable
    (copy / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert specc.load_run(copy).spec.train.batch_size == 32
    spec["model"]["layers"][0] = {"Embedding": {"output_dim": "wide"}}
    (copy / "spec.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(specc.UsageError, match=r"spec.yaml:\d+:\d+: \$.model.layers\[0\]"):
        specc.load_run(copy)
    (copy / "metrics.json").write_text("[1, 2]")
    with pytest.raises(specc.UsageError, match="not a JSON object"):
        specc.load_run(copy)
