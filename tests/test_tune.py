"""``specc tune``: the ``search:`` section validated at its lines, trials as run folders
scored on validation, pruning, best.yaml and one test run, the trials table, a killed
tuning resumed, and one study shared by two processes on a real PostgreSQL server.

Trials train a tiny Keras stack on made topic data (tests/test_train_e2e.py's
``make_csv``), about a second each.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specc.cli import main
from tests.conftest import ROOT
from tests.report_checks import needs_chromium, open_in_browser, table_cells
from tests.test_train_e2e import CSV_DATA, make_csv

optuna = pytest.importorskip("optuna")

TUNE_SPEC = "name: topics\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 8}
    - GlobalAveragePooling1D
    - Dense: {units: 8, activation: relu}
train: {optimizer: {name: adam, learning_rate: 0.01}, batch_size: 16, epochs: 3, seed: 3}
report: {plots: false}
search:
  objective: {metric: val_loss}
  parameters:
    model.layers[0].Embedding.output_dim: {int: [4, 16], log: true}
    model.layers[2].Dense.units: {choice: [4, 8]}
    train.optimizer.learning_rate: {float: [1.0e-3, 1.0e-1], log: true}
  trials: TRIALS
"""


def tune_spec(folder: Path, trials: int = 4, extra: str = "") -> Path:
    """A made-data spec with a search section in ``folder`` (data files beside it)."""
    make_csv(folder)
    path = folder / "tune.yaml"
    path.write_text(TUNE_SPEC.replace("TRIALS", str(trials)) + extra, encoding="utf-8")
    return path


def load_study(folder: Path, name: str = "topics", url: str | None = None):
    return optuna.load_study(study_name=name,
                             storage=url or f"sqlite:///{folder / 'study.db'}")


# --- validation: no TensorFlow, errors at their lines ---

BASE = """\
name: s
task: binary
data: {dataset: imdb, validation_split: 0.2}
preprocessing:
  tokenizer: {num_words: 1000}
  sequence: {max_len: 40}
model:
  layers:
    - Embedding: {output_dim: 8}
    - Conv1D: {filters: 8, kernel_size: 3}
    - GlobalMaxPooling1D
search:
"""


@pytest.mark.parametrize("search, line, column, message", [
    ("  objective: {metric: accuracy}\n  parameters: {train.epochs: {choice: [1, 2]}}\n",
     13, 23, "'accuracy' is not a validation value this run logs; it logs: val_loss, "
             "val_accuracy"),
    ("  objective: {metric: test_accuracy}\n  parameters: {train.epochs: {choice: [1]}}\n",
     13, 23, "'test_accuracy' is not a validation value"),
    ("  parameters:\n    model.layers[1].Conv1D.kernel_size: {choice: [3, 5, 41]}\n",
     14, 57, "41 is not valid here: $.model.layers[1].Conv1D.kernel_size: kernel_size 41 is "
             "longer than the sequence here (40 steps)"),
    ("  parameters:\n    model.layers[1].Conv1D.filterz: {int: [4, 8]}\n",
     14, 5, "Conv1D has no argument 'filterz' (did you mean 'filters'?)"),
    ("  parameters:\n    model.layers[7].Conv1D.filters: {int: [4, 8]}\n",
     14, 5, "model.layers.7 is not an existing list item"),
    ("  parameters:\n    train.optimizer.learning_rate: {float: [0, 0.1], log: true}\n",
     14, 36, "log: true needs a low above 0 (got 0)"),
    ("  parameters:\n    train.epochs: {int: [5, 2]}\n", 14, 19, "low is above high"),
    ("  parameters:\n    train.epochs: {int: [1, 9], log: true, step: 2}\n",
     14, 19, "step cannot be used with log: true"),
    ("  parameters:\n    name: {choice: [a, b]}\n", 14, 5, "a search cannot change name"),
    ("  parameters:\n    train.batch_size: {int: [0, 64]}\n", 14, 30,
     "0 is not valid here: $.train.batch_size:"),
    ("  parameters:\n    preprocessing.sequence.max_len: {choice: [40, 2]}\n", 14, 51,
     "2 is not valid here: $.model.layers[1].Conv1D.kernel_size: kernel_size 3 is longer"),
    ("  parameters:\n    model.layers[1].Conv1D.filters: {int: [8, 64], lg: true}\n",
     14, 52, "unknown key 'lg' (did you mean 'log'?)"),
    ("  parameters:\n    train.epochs: {int: [1, 3], choice: [2]}\n",
     14, 19, "give exactly one of int, float, choice; found int, choice"),
    ("  parameters:\n    train.epochs: {choice: [1, 3], log: true}\n",
     14, 19, "log and step apply to int and float ranges"),
    ("  parameters: {}\n", 13, 15, "should be non-empty"),
])
def test_search_errors_are_reported_at_their_line(tmp_path, capsys, search, line, column,
                                                  message):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + search, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    errors = [e for e in err.splitlines() if ": warning: " not in e]  # imdb absent: a warning
    assert len(errors) == 1 and errors[0].startswith(f"{path}:{line}:{column}: $.search"), err
    assert message in errors[0]
    assert "Traceback" not in err


def test_a_valid_search_validates_without_tensorflow(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "  parameters:\n    model.layers[1].Conv1D.kernel_size: "
                           "{choice: [3, 5, 7]}\n", encoding="utf-8")
    code = ("import sys, specc; s = specc.load_spec(sys.argv[1]); "
            "print(s.resolved['search']['pruner'], s.resolved['search']['trials'], "
            "sorted(m for m in ('tensorflow', 'keras', 'optuna', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ,
                                                              "SPECC_DATA_DIR": str(tmp_path)})
    assert out.stdout.split("[")[0].split() == ["median", "20"]
    assert out.stdout.strip().endswith("[]")


def test_the_shipped_search_spec_is_valid():
    import specc
    spec = specc.load_spec(ROOT / "specs" / "conv1d_search.yaml")
    assert len(spec.resolved["search"]["parameters"]) == 10
    assert spec.resolved["search"]["trials"] >= 30


def test_timeout_and_objective_value():
    from specc.tune.runner import objective_value, parse_timeout
    assert [parse_timeout(v) for v in ("1h", "90m", "30s", "1.5h", 12, None)] == \
        [3600, 5400, 30, 5400, 12, None]
    history = {"val_loss": [0.5, 0.3, float("nan"), 0.4], "val_accuracy": [0.6, 0.8, 0.7]}
    assert objective_value(history, "val_loss", "minimize") == 0.3
    assert objective_value(history, "val_accuracy", "maximize") == 0.8
    assert objective_value(history, "val_mae", "minimize") is None


# --- a whole tuning on SQLite ---

@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """``specc tune`` of 5 trials, in-process through the CLI; ``(folder, stdout)``."""
    folder = tmp_path_factory.mktemp("tune")
    spec = tune_spec(folder, trials=5)
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["tune", str(spec), "--out", str(folder / "out")]) == 0
    return folder / "out", buf.getvalue()


def test_tune_runs_the_budget_and_tests_the_best_spec_once(tuned):
    out, printed = tuned
    study = load_study(out)
    states = [t.state.name for t in study.trials]
    assert len(states) == 5 and set(states) <= {"COMPLETE", "PRUNED"}
    assert sorted(p.name for p in (out / "trials").iterdir()) == \
        [f"trial-{i:04d}" for i in range(5)]
    for t in study.trials:  # each trial: a finished run folder scored on validation
        m = json.loads((out / "trials" / f"trial-{t.number:04d}" / "metrics.json").read_text())
        assert m["evaluated_on"] == "validation" and m["n_test"] == m["n_validation"] == 30
        report = (out / "trials" / f"trial-{t.number:04d}" / "report.md").read_text()
        assert "| evaluated on | the validation split (a specc tune trial" in report
    best = study.best_trial
    assert best.value == min(t.value for t in study.trials if t.value is not None)
    history = list(csv.DictReader(open(out / "trials" / f"trial-{best.number:04d}" /
                                       "history.csv")))
    assert best.value == pytest.approx(min(float(r["val_loss"]) for r in history), rel=1e-5)
    # best.yaml: a plain spec, the best trial's values, no search section
    import specc
    best_spec = specc.load_spec(out / "best.yaml")
    assert "search" not in best_spec.resolved
    assert best_spec.model.layers[0]["Embedding"]["output_dim"] == \
        best.params["model.layers[0].Embedding.output_dim"]
    assert best_spec.train.optimizer["learning_rate"] == \
        best.params["train.optimizer.learning_rate"]
    # ... trained once more and evaluated once on the test split
    m = json.loads((out / "best" / "metrics.json").read_text())
    assert "evaluated_on" not in m and m["n_test"] == 60 and m["accuracy"] > 0.5
    assert "evaluated on" not in (out / "best" / "report.md").read_text()
    assert study.user_attrs["specc_best"] == {"trial": best.number,
                                              "run": str((out / "best").resolve())}
    assert printed.count("\ntrial ") + printed.startswith("trial ") == 5
    assert f"best: trial {best.number}" in printed


def test_best_yaml_trains_from_anywhere(tuned, tmp_path, monkeypatch):
    out, _ = tuned
    monkeypatch.chdir(tmp_path)  # its data paths are absolute
    assert main(["train", str(out / "best.yaml"), "--out", "again"]) == 0
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    first = json.loads((out / "best" / "metrics.json").read_text())
    assert again["accuracy"] == pytest.approx(first["accuracy"], abs=0.05)


def test_trials_table_csv_markdown_html(tuned):
    out, _ = tuned
    study = load_study(out)
    rows = list(csv.DictReader(open(out / "trials.csv")))
    assert [int(r["trial"]) for r in rows] == [t.number for t in study.trials]
    assert set(rows[0]) >= {"trial", "state", "val_loss", "model.layers[2].Dense.units",
                            "train.optimizer.learning_rate", "run"}
    for r, t in zip(rows, study.trials):
        if t.value is not None:
            assert float(r["val_loss"]) == pytest.approx(t.value, rel=1e-5)
    md = (out / "trials.md").read_text()
    assert f"Best trial: **{study.best_trial.number}**" in md and "test accuracy" in md
    html = (out / "trials.html").read_text()
    for png in ("optimization_history.png", "param_importances.png",
                "parallel_coordinate.png"):
        assert (out / png).stat().st_size > 5000
    assert html.count("data:image/png;base64,") == 3 and html.count("<tr") == 6


@needs_chromium
def test_trials_html_in_a_real_browser(tuned, tmp_path):
    out, _ = tuned
    seen = open_in_browser(out / "trials.html", tmp_path)
    assert seen["broken"] == [] and seen["images"] == 3 and seen["scripts"] == 1
    assert all(w > 300 and h > 200 for w, h in seen["sizes"])
    study = load_study(out)
    cells = table_cells((out / "trials.html").read_text(), "trials")
    assert cells[0] == "0" and f"Best trial: {study.best_trial.number}" in seen["text"]


def test_a_finished_tuning_is_not_run_again(tuned, capsys):
    out, _ = tuned
    assert main(["tune", "--resume", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "5 of 5 trials taken" in printed and "already trained and tested" in printed
    assert len(load_study(out).trials) == 5


@pytest.mark.parametrize("argv, message", [
    (["tune", "SPEC_NO_SEARCH", "--out", "x"], "has no search: section"),
    (["tune", "--resume", "EMPTY"], "holds no specc tuning"),
    (["tune", "TUNE", "--out", "FULL"], "exists and is not empty"),
    (["tune", "TUNE", "--out", "x", "--storage", "postgresql://u:secret@127.0.0.1:9/db"],
     "cannot open the study storage"),
    (["tune", "TUNE", "--out", "x", "--storage", "nosuchdb://h/x"], "--storage nosuchdb://h/x"),
    (["tune"], "needs a SPEC"),
    (["tune", "TUNE", "--trials", "0"], "--trials must be >= 1"),
])
def test_usage_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    spec = tune_spec(tmp_path)
    plain = tmp_path / "plain.yaml"
    plain.write_text(spec.read_text().split("search:")[0])
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "FULL").mkdir()
    (tmp_path / "FULL" / "f").write_text("x")
    names = {"SPEC_NO_SEARCH": str(plain), "TUNE": str(spec)}
    assert main([names.get(a, a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert "secret" not in err


# --- pruning through the Keras callback ---

def test_a_pruned_trial_stops_early_and_is_a_finished_run(tmp_path):
    import specc
    from specc.runtime.train import train_spec
    from specc.tune.pruning import pruning_callback
    from specc.tune.space import trial_spec
    spec = specc.load_spec(tune_spec(tmp_path))
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.0))
    trial = study.ask()
    tspec = trial_spec(spec, {"train.epochs": 5}, "pruned")
    callback = pruning_callback(trial, "val_loss")
    run = train_spec(tspec, out=tmp_path / "run", log=lambda line: None, holdout="validation",
                     callbacks=(callback,))
    assert callback.pruned_at == 1
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs_trained"] == 1 and m["epochs_requested"] == 5
    assert list(trial.study.trials[0].intermediate_values) == [1]


# --- a killed tuning, resumed ---

def test_a_killed_tune_continues_with_resume(tmp_path):
    spec = tune_spec(tmp_path, trials=4)
    out = tmp_path / "out"
    env = {**os.environ, "SPECC_TRACEBACK": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "specc", "tune", str(spec), "--out",
                             str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    try:  # kill it while its second trial trains (the first has finished)
        while not (out / "trials" / "trial-0001" / "spec.yaml").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    study = load_study(out)
    assert [t.state.name for t in study.trials][:2] == ["COMPLETE", "RUNNING"]
    done = subprocess.run([sys.executable, "-m", "specc", "tune", "--resume", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "trials 1 were left running by a process that is gone" in done.stdout
    study = load_study(out)
    states = [t.state.name for t in study.trials]
    assert states[1] == "FAIL" and "specc_error" not in study.trials[1].user_attrs
    assert sum(s in ("COMPLETE", "PRUNED") for s in states) == 4 and len(states) == 5
    assert (out / "best" / "metrics.json").is_file()
    rows = list(csv.DictReader(open(out / "trials.csv")))
    assert [int(r["trial"]) for r in rows] == [0, 2, 3, 4]  # the killed trial is left out


def test_ctrl_c_stops_a_tune_and_says_how_to_continue(tmp_path):
    spec = tune_spec(tmp_path, trials=2)
    out = tmp_path / "out"
    # 400 epochs: the signal lands in model.fit, after the first epoch's checkpoint (as in
    # tests/test_resume.py), not in TensorFlow's start-up
    proc = subprocess.Popen([sys.executable, "-m", "specc", "tune", str(spec), "--out",
                             str(out), "--set", "train.epochs=400"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out / "trials" / "trial-0000" / "checkpoint" / "state.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].endswith(f"continue with: specc tune --resume {out}")
    assert "Traceback" not in err
    study = load_study(out)
    assert [t.state.name for t in study.trials] == ["FAIL"]  # not counted: resumed below
    saved = json.loads((out / "tune.json").read_text())
    assert saved["overrides"] == {"train": {"optimizer": {"name": "adam", "learning_rate": 0.01},
                                            "batch_size": 16, "epochs": 400, "seed": 3}}
    saved["overrides"]["train"]["epochs"] = 2  # resume with the --set it keeps, made short
    (out / "tune.json").write_text(json.dumps(saved))
    assert main(["tune", "--resume", str(out)]) == 0
    study = load_study(out)
    assert sum(t.state.name in ("COMPLETE", "PRUNED") for t in study.trials) == 2
    assert all(len(t.intermediate_values) == 2 for t in study.trials[1:])


# --- one study, two processes, a real PostgreSQL server ---

def test_processes_starting_together_on_a_new_database_all_open_the_study(postgresql_url):
    from tests.postgres import new_database
    url = new_database(postgresql_url, "tune_race")
    code = ("import sys; from specc.tune.study import open_study; "
            "s = open_study(sys.argv[1], 'race', 'minimize', {'pruner': 'none'}, 1); "
            "print(s.study_name)")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["race"] * 4
    assert [s.study_name for s in optuna.get_all_study_summaries(url)] == ["race"]


def test_two_processes_share_one_study_on_postgresql(tmp_path, postgresql_url):
    from tests.postgres import new_database
    url = new_database(postgresql_url, "tune_two_workers")
    spec = tune_spec(tmp_path, trials=6)
    env = {**os.environ, "SPECC_TRACEBACK": "1"}
    workers = [subprocess.Popen([sys.executable, "-m", "specc", "tune", str(spec), "--out",
                                 str(tmp_path / f"w{i}"), "--storage", url, "--study", "shared"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [w.communicate(timeout=420) for w in workers]
    for w, (stdout, stderr) in zip(workers, outputs):
        assert w.returncode == 0, stderr
    study = optuna.load_study(study_name="shared", storage=url)
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 6 and len({t.number for t in finished}) == 6
    surplus = [t for t in study.trials if t.state.name == "FAIL"]
    assert all(t.user_attrs.get("specc_surplus") for t in surplus)
    # every trial ran once, in one of the two folders; both processes took part
    folders = {p.name: i for i in range(2) for p in (tmp_path / f"w{i}" / "trials").iterdir()}
    assert sorted(folders) == sorted(f"trial-{t.number:04d}" for t in finished)
    assert set(folders.values()) == {0, 1}
    # the test split was evaluated once: one best run, in the folder of the last trial's process
    bests = [i for i in range(2) if (tmp_path / f"w{i}" / "best" / "metrics.json").exists()]
    assert len(bests) == 1
    assert study.user_attrs["specc_best"]["trial"] == study.best_trial.number


# --- MLflow: the study as a parent run, trials and the test run nested ---

def test_tune_trials_are_nested_mlflow_runs(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    spec = tune_spec(tmp_path, trials=2).read_text().replace(
        "seed: 3}", f"seed: 3, tracking: {{mlflow: {{tracking_uri: '{uri}'}}}}}}")
    (tmp_path / "tracked.yaml").write_text(spec)
    assert main(["tune", "tracked.yaml", "--out", "out"]) == 0
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("topics")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if r.info.run_name == "tune topics"]
    assert len(parents) == 1 and len(runs) == 4  # the study, 2 trials, the best spec's test run
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == 3
    folders = sorted(Path(r.data.tags["specc.run_folder"]).name for r in children)
    assert folders == ["best", "trial-0000", "trial-0001"]
    tested = [r for r in children if "test_accuracy" in r.data.metrics]
    assert len(tested) == 1 and Path(tested[0].data.tags["specc.run_folder"]).name == "best"
