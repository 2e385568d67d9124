"""``specc train`` end to end through the CLI: run folder, metrics.json, report, reload.

The series and CSV runs use data made here; the IMDB run reads the real mirror
(``SPECC_DATA_DIR``) on a stratified subset so it stays under a minute.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from specc.cli import main
from specc.core.quiet import import_keras
from tests.conftest import needs_data
from tests.report_checks import check_html_report

keras = import_keras()

REPORT_KEYS = {"precision", "recall", "f1-score", "support"}


def reevaluate_text_run(run, texts, labels):
    """Accuracy of the saved model.keras on texts encoded with the saved vocabulary."""
    from specc.preprocessing.text import TextEncoder
    from specc.reports.metrics import predicted_classes
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    x = TextEncoder.load(run).encode(texts)
    return float(np.mean(predicted_classes(model.predict(x, verbose=0)) == labels))


def check_classification_doc(m: dict, n_classes: int):
    assert set(m["classification_report"]) == set(m["class_names"]) | {
        "accuracy", "macro avg", "weighted avg"}
    for name in m["class_names"] + ["macro avg", "weighted avg"]:
        assert set(m["classification_report"][name]) == REPORT_KEYS
    cm = np.array(m["confusion_matrix"])
    assert cm.shape == (n_classes, n_classes) and cm.sum() == m["n_test"]
    assert m["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    assert m["accuracy"] == pytest.approx(m["classification_report"]["accuracy"])
    assert m["loss"] >= 0 and m["train_seconds"] > 0


SINE = """\
name: sine-test
task: regression
data: {dataset: sine, window: 10, test_split: 0.2, validation_split: 0.2}
model:
  layers:
    - SimpleRNN: {units: 8}
train: {optimizer: {name: adam, learning_rate: 0.01}, batch_size: 16, epochs: 3, seed: 1}
"""


def test_train_sine_series(tmp_path, write_spec, capsys):
    run = tmp_path / "run"
    assert main(["train", str(write_spec(SINE)), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    # 360 steps -> 350 windows -> 70 test, 280 -> 224 train / 56 validation
    assert (m["n_train"], m["n_validation"], m["n_test"]) == (224, 56, 70)
    assert m["rmse"] == pytest.approx(m["mse"] ** 0.5)
    assert m["loss"] == pytest.approx(m["mse"], rel=1e-4)
    for f in ("spec.yaml", "model.keras", "summary.txt", "history.csv", "report.md",
              "history.png", "forecast.png"):
        assert (run / f).is_file(), f
    assert len((run / "history.csv").read_text().splitlines()) == 1 + m["epochs_trained"]
    assert "| rmse |" in (run / "report.md").read_text()
    assert check_html_report(run)["plots"] == {"history", "regression", "forecast"}


def make_csv(folder, n_per_class=40, seed=0):
    """Three topics with distinct vocabularies (and shared noise words)."""
    rng = random.Random(seed)
    topics = {"sport": "goal match team score win", "food": "bread cheese soup salt bake",
              "tech": "chip code data cloud robot"}
    noise = "the a of and to in".split()
    for split, n in (("train", n_per_class), ("test", n_per_class // 2)):
        rows = ["text,label"]
        for label, words in topics.items():
            for _ in range(n):
                ws = rng.choices(words.split(), k=5) + rng.choices(noise, k=5)
                rng.shuffle(ws)
                rows.append(f"{' '.join(ws)},{label}")
        (folder / f"{split}.csv").write_text("\n".join(rows) + "\n")


CSV_DATA = """\
task: multiclass
data: {train: train.csv, test: test.csv, validation_split: 0.25}
preprocessing:
  tokenizer: {num_words: 50}
  sequence: {max_len: 12, padding: post}
"""
"""Task, data and preprocessing for the files :func:`make_csv` writes."""

CSV_SPEC = "name: topics\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 16}
    - GlobalAveragePooling1D
train: {optimizer: {name: adam, learning_rate: 0.05}, batch_size: 16, epochs: 15, seed: 3}
"""


def test_train_csv_multiclass_and_reload(tmp_path, write_spec):
    make_csv(tmp_path)
    run = tmp_path / "run"
    assert main(["train", str(write_spec(CSV_SPEC)), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["class_names"] == ["food", "sport", "tech"]
    assert (m["n_train"], m["n_validation"], m["n_test"]) == (90, 30, 60)
    check_classification_doc(m, 3)
    assert m["accuracy"] > 0.9  # the topics are separable by vocabulary
    import csv
    rows = list(csv.DictReader(open(tmp_path / "test.csv")))
    labels = np.array([m["class_names"].index(r["label"]) for r in rows])
    assert reevaluate_text_run(run, [r["text"] for r in rows], labels) == pytest.approx(m["accuracy"])
    spec = (run / "spec.yaml").read_text()
    assert "oov_token: <OOV>" in spec and "validation: split" in spec


def test_existing_run_folder_is_never_overwritten(tmp_path, write_spec, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("{}")
    assert main(["train", str(write_spec(SINE)), "--out", str(run)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (run / "metrics.json").read_text() == "{}"


def test_missing_data_file_is_one_line_error(tmp_path, write_spec, capsys):
    """Found missing at validation (before TensorFlow is imported): one line per file."""
    spec = str(write_spec(CSV_SPEC))
    assert main(["train", spec, "--out", str(tmp_path / "r")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(": ")[1] for line in lines] == ["$.data.train", "$.data.test"]
    assert all(line.startswith(f"{spec}:") and "not found" in line for line in lines)
    assert not (tmp_path / "r").exists()  # no half-made run folder left behind


@needs_data
@pytest.mark.realdata
def test_train_imdb_subset_real_data(tmp_path, write_spec):
    from specc.data import load_dataset
    spec = write_spec("""\
name: imdb-small
task: binary
data: {dataset: imdb, max_train_samples: 3000, max_test_samples: 1000}
preprocessing:
  tokenizer: {num_words: 5000}
  sequence: {max_len: 120}
model:
  layers:
    - Embedding: {output_dim: 32}
    - Conv1D: {filters: 32, kernel_size: 5, activation: relu}
    - GlobalMaxPooling1D
train: {batch_size: 32, epochs: 6, seed: 7}
""")
    run = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    # validation holds whole movies (grouped split): about 20% of the 3,000 sampled reviews
    assert m["n_train"] + m["n_validation"] == 3000 and m["n_test"] == 1000
    assert abs(m["n_validation"] - 600) < 60 and m["validation_grouped_by"] == "movie"
    assert m["class_names"] == ["neg", "pos"]
    check_classification_doc(m, 2)
    assert m["classification_report"]["neg"]["support"] == 500
    assert m["accuracy"] > 0.7
    # the saved model, re-evaluated on the same test subset, gives the reported accuracy
    from specc.data import subsample
    ds = load_dataset({"dataset": "imdb"}, tmp_path, task="binary")
    keep = subsample(ds.test_labels, 1000, 7, True)
    texts = [ds.test_texts[i] for i in keep]
    assert reevaluate_text_run(run, texts, ds.test_labels[keep]) == pytest.approx(m["accuracy"])


def test_nan_loss_stops_with_a_clear_error(tmp_path, write_spec, capsys):
    diverging = SINE.replace("{name: adam, learning_rate: 0.01}",
                             "{name: sgd, learning_rate: 1.0e+30}")
    run = tmp_path / "run"
    assert main(["train", str(write_spec(diverging)), "--out", str(run)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: training stopped: the loss became NaN or infinite at epoch 1, "
                          "batch ") and "learning_rate (now 1e+30)" in err and "\n" not in err
    assert not (run / "metrics.json").exists()
    assert (run / "error.txt").read_text().strip() == err.removeprefix("error: ")


def test_unwritable_run_folder_fails_before_training(tmp_path, write_spec, capsys):
    # (a path under a regular file: permission bits cannot stop root, which CI may be)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["train", str(write_spec(SINE)), "--out", str(blocker / "run")]) == 1
    err = capsys.readouterr()
    assert err.err.startswith("error: cannot write the run folder") and "Not a directory" in err.err
    assert "Epoch" not in err.out and "run folder:" not in err.out  # nothing was started
