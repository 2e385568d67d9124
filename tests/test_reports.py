"""Run reports: report.html/report.md content and escaping, ``specc report``, ``specc
compare``, the learning curve (``--train-fraction``), ``specc graph``, TensorBoard logs.

One small binary run on made data is shared: its test split holds reviews written to be
misclassified that carry ``<script>`` markup, and one class name is itself markup, so the
report must show data as text.
"""

from __future__ import annotations

import json
import random
import re
import shutil

import numpy as np
import pytest

from specc.cli import main
from specc.data.splits import nested_subset
from tests.report_checks import check_html_report, check_in_browser, needs_chromium

XSS = "<script>alert('xss')</script>"
NEG = "<i>neg</i>"

SPEC = f"""\
name: xss-test
description: "spec text {XSS} shown as text"
task: binary
data: {{train: train.csv, test: test.csv, validation_split: 0.25}}
preprocessing:
  tokenizer: {{num_words: 60}}
  sequence: {{max_len: 12, padding: post}}
model:
  layers:
    - Embedding: {{output_dim: 8}}
    - GlobalAveragePooling1D
    - Dense: {{units: 4, activation: relu}}
train: {{optimizer: {{name: adam, learning_rate: 0.05}}, batch_size: 16, epochs: 6, seed: 3,
        tensorboard: true}}
report: {{representation_samples: 50, examples: 5}}
"""


def make_reviews(folder, n=60, seed=0):
    """Positive/negative vocabularies; the test split adds positive-sounding reviews
    labelled with the markup class and carrying a script tag (confident mistakes)."""
    rng = random.Random(seed)
    words = {"pos": "good great fine superb lovely".split(), NEG: "bad awful dull poor weak".split()}
    noise = "the a film of and plot".split()

    def review(label):
        ws = rng.choices(words[label], k=4) + rng.choices(noise, k=4)
        rng.shuffle(ws)
        return " ".join(ws)
    for split, count in (("train", n), ("test", n // 3)):
        rows = ["text,label"] + [f"{review(c)},{c}" for c in words for _ in range(count)]
        if split == "test":
            rows += [f"\"{review('pos')} {XSS}\",{NEG}" for _ in range(3)]
        (folder / f"{split}.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xss")
    make_reviews(folder)
    (folder / "spec.yaml").write_text(SPEC)
    out = folder / "run"
    assert main(["train", str(folder / "spec.yaml"), "--out", str(out)]) == 0
    return out


def test_html_report_shows_plots_and_the_numbers_of_metrics_json(run):
    found = check_html_report(run)
    assert found["plots"] == {"history", "confusion_matrix", "class_scores", "roc_pr",
                              "representations"}
    m = found["metrics"]
    assert m["class_counts"]["test"] == [23, 20]  # 20 + 3 markup reviews; ids sorted by name
    assert m["class_names"] == [NEG, "pos"]
    assert [r["type"] for r in m["layers"]] == ["InputLayer", "Embedding",
                                                "GlobalAveragePooling1D", "Dense", "Dense"]
    assert sum(r["params"] for r in m["layers"]) == m["params"]["total"]


def test_data_and_spec_strings_are_escaped(run):
    page = (run / "report.html").read_text()
    assert "<script" not in page.lower() and "<i>neg" not in page
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page  # data text, escaped
    assert "spec text &lt;script&gt;" in page  # the spec as written
    examples = json.loads((run / "examples.json").read_text())
    # the vocabularies separate the classes: the three markup reviews are the mistakes
    assert len(examples) == 3 and all(XSS in e["text"] and e["true"] == NEG for e in examples)
    assert [e["confidence"] for e in examples] == sorted((e["confidence"] for e in examples),
                                                         reverse=True)
    md = (run / "report.md").read_text()
    # fenced code blocks show their content as text; everywhere else markup is escaped
    prose = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", md, flags=re.S | re.M)
    assert "spec text <script>" in md and "spec text <script>" not in prose
    assert "<script" not in prose and "&lt;script&gt;" in prose and "&lt;i&gt;neg&lt;/i&gt;" in prose


@needs_chromium
def test_report_opens_in_headless_chromium(run, tmp_path):
    seen = check_in_browser(run, tmp_path)
    assert seen["images"] == 5
    assert XSS in seen["text"]  # shown as text, not run (the probe is the only script)
    assert NEG in seen["text"]


def test_specc_report_rerenders_the_same_report(run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = (copy / "report.html").read_text()
    for f in list(copy.glob("*.png")) + [copy / "report.html", copy / "report.md"]:
        f.unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").read_text() == before
    assert (copy / "report.md").read_text() == (run / "report.md").read_text()


def test_specc_report_on_an_unfinished_run_is_one_line(tmp_path, capsys):
    (tmp_path / "error.txt").write_text("training stopped: the loss became NaN\n")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a finished run" in err and "NaN" in err and "\n" not in err
    assert main(["report", str(tmp_path / "nope")]) == 2


def test_tensorboard_logs_are_in_the_run_folder(run):
    events = list((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert {e.parent.name for e in events} == {"train", "validation"}


def test_compare_table_has_each_runs_numbers(run, tmp_path, capsys):
    second = tmp_path / "second"
    shutil.copytree(run, second)
    m2 = json.loads((second / "metrics.json").read_text())
    m2.update(spec="other", accuracy=0.5, loss=1.25)
    m2["classification_report"]["macro avg"]["f1-score"] = 0.125
    (second / "metrics.json").write_text(json.dumps(m2))
    out = tmp_path / "cmp"
    assert main(["compare", str(run), str(second), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    m1 = json.loads((run / "metrics.json").read_text())
    lines = {line.split("|")[2].strip(): line for line in printed.splitlines()
             if line.startswith("| ") and line.count("|") > 10 and "| spec |" not in line}
    assert set(lines) == {"xss-test", "other"}
    assert f"| {m1['accuracy']:.4f} | {m1['loss']:.4f} |" in lines["xss-test"]
    assert "| 0.5000 | 1.2500 | 0.1250 |" in lines["other"]
    f1_pos = m1["classification_report"]["pos"]["f1-score"]
    assert lines["xss-test"].rstrip().endswith(f"| {f1_pos:.4f} |")
    page = (out / "compare.html").read_text()
    assert "compare_curves.png" in (out / "compare.md").read_text()
    assert "<script" not in page and "F1 &lt;i&gt;neg&lt;/i&gt;" in page


def test_compare_refuses_mixed_tasks(run, tmp_path, capsys):
    other = tmp_path / "reg"
    other.mkdir()
    (other / "metrics.json").write_text(json.dumps({"task": "regression", "spec": "r"}))
    assert main(["compare", str(run), str(other), "--out", str(tmp_path / "c")]) == 2
    assert "regression" in capsys.readouterr().err


def test_nested_subsets_are_stratified_nested_and_seeded():
    y = np.array([0] * 80 + [1] * 20)
    small, large = nested_subset(y, 0.25, 7, True), nested_subset(y, 0.5, 7, True)
    assert set(small) < set(large)
    assert np.bincount(y[small]).tolist() == [20, 5]
    assert np.bincount(y[large]).tolist() == [40, 10]
    assert np.array_equal(small, nested_subset(y, 0.25, 7, True))
    assert not np.array_equal(small, nested_subset(y, 0.25, 8, True))
    assert len(nested_subset(10, 0.3, 0, False)) == 3


def test_learning_curve_trains_each_fraction(tmp_path, capsys):
    make_reviews(tmp_path, n=40)
    (tmp_path / "spec.yaml").write_text(SPEC.replace("tensorboard: true", "tensorboard: false"))
    out = tmp_path / "curve"
    assert main(["train", str(tmp_path / "spec.yaml"), "--train-fraction", "1,0.5",
                 "--out", str(out)]) == 0
    curve = json.loads((out / "learning_curve.json").read_text())
    assert [p["fraction"] for p in curve["points"]] == [0.5, 1.0]
    # 80 train rows -> 60 after the 25% validation split -> 30 at half
    assert [p["n_train"] for p in curve["points"]] == [30, 60]
    for p in curve["points"]:
        m = json.loads((out / p["run"] / "metrics.json").read_text())
        assert (m["accuracy"], m["n_validation"], m["train_fraction"]) == \
            (p["accuracy"], 20, p["fraction"])
    assert (out / "learning_curve.png").is_file() and (out / "compare.html").is_file()
    # specc compare on learning-curve folders: the largest fraction's run, curves overlaid
    capsys.readouterr()
    assert main(["compare", str(out), str(out), "--out", str(tmp_path / "cmp")]) == 0
    table = capsys.readouterr().out
    full = json.loads((out / "fraction-1" / "metrics.json").read_text())
    assert table.count(f"| curve/fraction-1 | {full['spec']} |") == 2
    assert f"{full['accuracy']:.4f}" in table and "learning_curves.png" in table
    assert (tmp_path / "cmp" / "learning_curves.png").stat().st_size > 5000


@pytest.mark.parametrize("bad", ["0", "1.5", "a,b", ","])
def test_bad_train_fraction_is_a_usage_error(bad, tmp_path, capsys):
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert main(["train", str(tmp_path / "spec.yaml"), "--train-fraction", bad]) == 2
    assert "--train-fraction" in capsys.readouterr().err


def test_graph_writes_dot_and_degrades_without_graphviz(tmp_path, monkeypatch, capsys):
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert main(["graph", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "m.dot")]) == 0
    dot = (tmp_path / "m.dot").read_text()
    assert "GlobalAveragePooling1D" in dot and "(None, 12, 8)" in dot
    if shutil.which("dot"):
        assert main(["graph", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "m.svg")]) == 0
        assert "<svg" in (tmp_path / "m.svg").read_text()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["graph", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "n.png")]) == 2
    err = capsys.readouterr().err
    assert "Graphviz" in err and "apt-get install graphviz" in err
    assert (tmp_path / "n.dot").is_file() and not (tmp_path / "n.png").exists()
