"""Hostile conditions around a run (issue 18): degenerate vectors in the report, a plot
that fails, labels and texts that look like markup, kills at injected points between
checkpoint writes, a planted symbolic link, two processes on one folder, a full disk.

Every run either finishes with the metrics of an undisturbed run (within noise) or fails
with one line and stays resumable; nothing is written outside the run folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from specc.cli import main
from tests.test_train_e2e import CSV_DATA, make_csv

SPEC = "name: hostile-runs\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 8}
    - GlobalAveragePooling1D
    - Dense: {units: 8, activation: relu}
train:
  optimizer: {name: adam, learning_rate: 0.02}
  batch_size: 8
  epochs: 6
  seed: 3
  early_stopping: {monitor: val_loss, patience: 10, restore_best_weights: true}
  checkpoint: {monitor: val_loss}
report: {plots: false}
"""
"""A small CSV spec whose every epoch writes both checkpoint weights files."""


def one_error_line(err: str) -> str:
    """The single error line a failed command printed (no traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A folder with the CSV files and ``spec.yaml`` (:data:`SPEC`)."""
    folder = tmp_path_factory.mktemp("hostile-runs")
    make_csv(folder, n_per_class=24)
    (folder / "spec.yaml").write_text(SPEC)
    return folder


@pytest.fixture(scope="module")
def undisturbed(data) -> dict:
    """metrics.json of the spec trained without interference."""
    assert main(["train", str(data / "spec.yaml"), "--out", str(data / "whole")]) == 0
    return json.loads((data / "whole" / "metrics.json").read_text())


def same_result(run: Path, undisturbed: dict) -> None:
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs_trained"] == undisturbed["epochs_trained"]
    assert abs(m["accuracy"] - undisturbed["accuracy"]) <= 0.1
    assert not (run / "checkpoint").exists()
    assert not [p.name for p in run.iterdir() if ".tmp" in p.name]


# --- the report: degenerate vectors, failing plots, markup in data -------------------------

PROJECT = """\
import sys, numpy as np
from specc.reports.projection import project
x = np.load(sys.argv[1])
out = project(x)
print(sorted(out), *(int(np.isfinite(v).all(axis=1).sum()) for v in out.values()))
"""


@pytest.mark.parametrize("case, expected", [
    ("zeros", "['PCA'] 400"),            # a dead layer: t-SNE crashed with exit 139
    ("ones", "['PCA'] 400"),
    ("below-float-spread", "['PCA', 't-SNE'] 400 400"),  # 1e-30 apart: crashed too
    ("all-nan", "[]"),
    ("half-nan", "['PCA', 't-SNE'] 200 200"),
    ("one-point", "[]"),
    ("huge", "['PCA', 't-SNE'] 400 400"),
    ("four-points", "['PCA'] 4"),
])
def test_projection_of_degenerate_vectors_never_crashes(tmp_path, case, expected):
    rng = np.random.default_rng(0)
    x = {"zeros": np.zeros((400, 16)), "ones": np.ones((400, 16)),
         "below-float-spread": np.c_[rng.normal(size=400) * 1e-30, np.zeros((400, 15))],
         "all-nan": np.full((400, 16), np.nan),
         "half-nan": np.r_[np.full((200, 16), np.nan), rng.normal(size=(200, 16))],
         "one-point": np.ones((1, 16)), "huge": rng.normal(size=(400, 16)) * 1e307,
         "four-points": rng.normal(size=(4, 16))}[case]
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "p.py").write_text(PROJECT)
    done = subprocess.run([sys.executable, str(tmp_path / "p.py"), str(tmp_path / "x.npy")],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == expected


DEAD = "name: dead-layer\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 8}
    - GlobalAveragePooling1D
    - Dense: {units: 8, activation: relu, kernel_initializer: zeros}
train: {optimizer: {name: adam, learning_rate: 0.02}, batch_size: 8, epochs: 2, seed: 3}
"""


def test_a_dead_layer_run_finishes_and_reports(tmp_path, capsys):
    make_csv(tmp_path, n_per_class=24)
    (tmp_path / "spec.yaml").write_text(DEAD)
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "spec.yaml"), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    with np.load(run / "representations.npz") as z:
        assert np.ptp(z["vectors"]) == 0  # every vector the same: the t-SNE crash case
    assert (run / "representations.png").is_file() and (run / "report.html").is_file()
    assert m["n_test"] == 36 and m["epochs_trained"] == 2
    capsys.readouterr()
    assert main(["report", str(run)]) == 0


def test_a_failing_plot_is_a_warning_and_loses_nothing(topic_run, tmp_path, monkeypatch,
                                                      capsys):
    from specc.reports import plots
    run = tmp_path / "run"
    shutil.copytree(topic_run[0], run)
    metrics = (run / "metrics.json").read_bytes()

    def broken(*args, **kwargs):
        raise ValueError("no room for the labels")
    monkeypatch.setattr(plots, "plot_class_scores", broken)
    (run / "class_scores.png").unlink()
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err
    assert "warning: class_scores.png not drawn: ValueError: no room for the labels" in err
    assert (run / "metrics.json").read_bytes() == metrics
    assert not (run / "class_scores.png").exists() and (run / "confusion_matrix.png").is_file()
    assert "class\\_scores.png not drawn" in (run / "report.md").read_text()
    assert "class_scores.png not drawn" in (run / "report.html").read_text()


def test_labels_are_drawn_as_text_and_texts_cannot_inject_markdown(tmp_path):
    rows = ["text,label"]
    for i in range(30):
        rows += [f"goal match team {i} ![](http://host/p.png),$\\foo$",
                 f"bread soup cheese {i} <b>bold</b> **x**,a|b"]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text("\n".join(rows[:21]) + "\n")
    (tmp_path / "spec.yaml").write_text(DEAD.replace("kernel_initializer: zeros", "")
                                        .replace("multiclass", "binary"))
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "spec.yaml"), "--out", str(run)]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert sorted(m["class_names"]) == ["$\\foo$", "a|b"]
    report = (run / "report.md").read_text()
    assert "not drawn" not in report and (run / "confusion_matrix.png").is_file()
    assert "![](http" not in report.replace("\\!\\[\\]\\(http", "")
    assert "\\$\\\\foo\\$" in report and "a\\|b" in report and "<b>" not in report


# --- checkpoints: kills at injected points, damaged and planted files ---------------------

KILL_AT = """\
import os, sys
from pathlib import Path
import specc.core.files as files
point, epoch = sys.argv[1], int(sys.argv[2])
real_write, real_replace = files.write_text, os.replace
def write_text(path, text):
    if point == "before-state" and Path(path).name == "state.json" and \\
            f'"epoch": {epoch},' in text:
        os._exit(9)  # es-best-<epoch>.npz and epoch-<epoch>.weights.h5 are written
    return real_write(path, text)
renamed = []
def replace(src, dst, *a, **k):
    if point == "best-keras" and Path(dst).name == "best.keras":
        renamed.append(dst)
        if len(renamed) == epoch:
            os._exit(9)  # the new best.keras is complete under its temporary name
    return real_replace(src, dst, *a, **k)
files.write_text = write_text
import specc.runtime.checkpoint as checkpoint
checkpoint.write_text = write_text
os.replace = replace
if point == "first-epoch":
    checkpoint.EpochCheckpoint.on_epoch_end = lambda self, epoch, logs=None: os._exit(9)
from specc.cli import main
sys.exit(main(sys.argv[3:]))
"""


def killed_run(data: Path, tmp_path: Path, point: str, epoch: int) -> Path:
    """A run of :data:`SPEC` killed (``os._exit``) at ``point``: before ``state.json`` of
    epoch ``epoch``, at the ``epoch``-th rename of ``best.keras``, or at the end of the first
    epoch before anything is checkpointed."""
    (tmp_path / "kill.py").write_text(KILL_AT)
    run = tmp_path / f"killed-{point}"
    done = subprocess.run([sys.executable, str(tmp_path / "kill.py"), point, str(epoch),
                           "train", str(data / "spec.yaml"), "--out", str(run)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 9, done.stderr[-3000:]
    assert not (run / "metrics.json").exists()
    return run


def test_kill_between_early_stopping_weights_and_state(data, undisturbed, tmp_path):
    run = killed_run(data, tmp_path, "before-state", 3)
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 2
    named = state["early_stopping"]["weights"]
    assert named != "es-best-3.npz" and (run / "checkpoint" / named).is_file()
    assert main(["train", "--resume", str(run)]) == 0
    same_result(run, undisturbed)


def test_kill_while_best_keras_is_renamed_keeps_a_whole_best_model(data, undisturbed,
                                                                   tmp_path):
    import keras
    run = killed_run(data, tmp_path, "best-keras", 2)  # at the second save of best.keras
    keras.saving.load_model(run / "best.keras", safe_mode=True)  # the previous one, whole
    assert (run / ".best.tmp.keras").is_file()  # the new one, cut short: removed on resume
    assert main(["train", "--resume", str(run)]) == 0
    same_result(run, undisturbed)
    keras.saving.load_model(run / "best.keras", safe_mode=True)


def test_kill_before_the_first_epoch_then_resume_starts_again(data, undisturbed, tmp_path,
                                                              capsys):
    run = killed_run(data, tmp_path, "first-epoch", 1)
    assert (run / "run.json").is_file() and not (run / "checkpoint" / "state.json").exists()
    assert main(["train", "--resume", str(run)]) == 0
    assert "starting it again" in capsys.readouterr().out
    same_result(run, undisturbed)


def test_a_planted_link_is_refused_and_nothing_outside_is_written(data, tmp_path, capsys):
    run = killed_run(data, tmp_path, "before-state", 3)
    outside = tmp_path / "outside.keras"
    outside.write_bytes(b"precious")
    (run / "best.keras").unlink(missing_ok=True)
    (run / "best.keras").symlink_to(outside)
    assert main(["train", "--resume", str(run)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "best.keras is a symbolic link; refused" in line
    assert outside.read_bytes() == b"precious"
    (run / "best.keras").unlink()
    (run / "checkpoint" / "trap").symlink_to(tmp_path)
    assert main(["train", "--resume", str(run)]) == 2
    assert "trap is a symbolic link" in one_error_line(capsys.readouterr().err)


def test_a_planted_link_in_a_finished_run_is_not_written_by_report(topic_run, tmp_path,
                                                                  capsys):
    run = tmp_path / "run"
    shutil.copytree(topic_run[0], run)
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"precious")
    (run / "history.png").unlink(missing_ok=True)
    (run / "history.png").symlink_to(outside)
    assert main(["report", str(run)]) == 2
    assert "history.png is a symbolic link" in one_error_line(capsys.readouterr().err)
    assert outside.read_bytes() == b"precious"


def test_damaged_checkpoint_weights_are_one_line(data, tmp_path, capsys):
    run = killed_run(data, tmp_path, "before-state", 3)
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    weights = run / "checkpoint" / state["weights"]
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    assert main(["train", "--resume", str(run)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert state["weights"] in line and "checkpoint weights cannot be loaded" in line


# --- two processes on one folder -----------------------------------------------------------

def test_a_second_process_on_a_busy_run_folder_exits_2_naming_the_pid(data, tmp_path):
    run = tmp_path / "busy"
    slow = data / "slow.yaml"
    slow.write_text(SPEC.replace("epochs: 6", "epochs: 400"))
    first = subprocess.Popen([sys.executable, "-m", "specc", "train", str(slow), "--out",
                              str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 180
        while not (run / "checkpoint" / "state.json").is_file():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        for args, says in ((["train", str(slow), "--out", str(run)], "in use"),
                           (["train", "--resume", str(run)], "in use"),
                           (["report", str(run)], "not a finished run")):
            second = subprocess.run([sys.executable, "-m", "specc", *args],
                                    capture_output=True, text=True, timeout=120)
            assert second.returncode == 2, second.stderr
            line = one_error_line(second.stderr)
            if says == "in use":
                assert f"in use by another specc process (pid {first.pid})" in line
            else:
                assert says in line
        assert first.poll() is None  # the first run goes on, undisturbed
    finally:
        first.kill()
        first.wait()
    assert not (run / "metrics.json").exists()


# --- a full disk ---------------------------------------------------------------------------

def mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}): needs root")


def disk_use(folder: Path) -> int:
    """Bytes a folder's files take on a tmpfs (whole 4 KiB pages)."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("fill", [0.02, 0.3, 0.6, 0.9])
def test_a_full_disk_is_one_line_and_the_run_resumes(data, undisturbed, tmp_path, fill,
                                                     capsys):
    """A disk with room for ``fill`` of the finished run folder fails at a different write
    each time (spec and run.json, the checkpoints, the models, the report)."""
    disk = tmp_path / "disk"
    mount_tmpfs(disk, f"{int(disk_use(data / 'whole') * fill) // 4096 * 4 + 4}k")
    try:
        run = disk / "run"
        code = main(["train", str(data / "spec.yaml"), "--out", str(run)])
        err = capsys.readouterr().err
        assert code == 1, err
        line = one_error_line(err)
        assert "No space left on device" in line and "bytes free" in line, line
        print(fill, line)
        leftovers = [p.name for p in disk.rglob("*") if ".tmp" in p.name]
        assert leftovers == []
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        if run.is_dir() and (run / "run.json").is_file():
            assert main(["train", "--resume", str(run)]) == 0
        else:  # it failed before the run started: nothing to resume, start it again
            shutil.rmtree(run, ignore_errors=True)
            assert main(["train", str(data / "spec.yaml"), "--out", str(run)]) == 0
        same_result(run, undisturbed)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# --- learning curves --------------------------------------------------------------------------

def test_train_fractions_that_collide_after_rounding_are_refused(data, tmp_path, capsys):
    assert main(["train", str(data / "spec.yaml"), "--train-fraction", "0.5,0.5000001",
                 "--out", str(tmp_path / "curve")]) == 2
    assert "both round to fraction-0.5" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "curve").exists()


def test_markdown_escaping_covers_inline_markup():
    from specc.reports.templating import md_text
    assert md_text("![](http://h/p.png)") == "\\!\\[\\]\\(http://h/p.png\\)"
    assert md_text("<script>&") == "&lt;script&gt;&amp;"
    assert md_text("a|b\nc **d** `e` ~f~ $g$ _h_") == \
        "a\\|b c \\*\\*d\\*\\* \\`e\\` \\~f\\~ \\$g\\$ \\_h\\_"
    assert md_text("plain words, 1.5 / 2 #3") == "plain words, 1.5 / 2 #3"


def test_an_internal_error_is_one_line_with_a_way_to_see_more(monkeypatch, capsys):
    from specc import cli

    def bug(args):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setitem(cli.COMMANDS, "report", bug)
    monkeypatch.delenv("SPECC_TRACEBACK")
    assert main(["report", "anywhere"]) == cli.INTERNAL_ERROR
    line = one_error_line(capsys.readouterr().err)
    assert "internal error in specc report (ZeroDivisionError: division by zero)" in line
    assert "SPECC_TRACEBACK=1" in line
    monkeypatch.setenv("SPECC_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["report", "anywhere"])


# --- settings that pass validation and fail only on the data -----------------------------

TFIDF = """\
name: tfidf-limits
task: binary
data: {train: train.csv, test: test.csv}
model:
  features: {tfidf: {%s}}
  estimator: {LogisticRegression: {}}
"""


@pytest.mark.parametrize("options, finishes", [("min_df: 50", False),
                                               ("ngram_range: [3, 3], min_df: 2", False),
                                               ("max_features: 1", True)])
def test_tfidf_settings_that_keep_no_term_are_one_data_error(tmp_path, capsys, options,
                                                             finishes):
    rows = ["text,label"] + [f"{('good fine', 'bad awful')[i % 2]} w{i},{i % 2}"
                             for i in range(60)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text("\n".join(rows[:21]) + "\n")
    (tmp_path / "spec.yaml").write_text(TFIDF % options)
    code = main(["train", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    if finishes:  # one feature: the representations are shown as they are, not reduced
        assert code == 0 and (tmp_path / "run" / "metrics.json").is_file(), err
        return
    assert code == 1
    line = one_error_line(err)
    assert "tf-idf keeps no term of the 48 training texts" in line
    assert line in "error: " + (tmp_path / "run" / "error.txt").read_text().strip()


def test_a_generated_series_too_long_to_hold_is_refused(write_spec, capsys):
    spec = write_spec("name: s\ntask: regression\ndata: {dataset: sine, options: "
                      "{steps: 1000000000000}}\nmodel: {layers: [{SimpleRNN: {units: 4}}]}\n")
    assert main(["validate", str(spec)]) == 1
    assert "option steps must be from 2 to 10,000,000" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["report"], ["train", "--resume"]])
def test_a_folder_that_is_not_a_run_gets_no_lock_file(tmp_path, capsys, args):
    (tmp_path / "notes.txt").write_text("not a run")
    assert main([*args, str(tmp_path)]) == 2
    assert "not a" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_unwritable_export_is_one_line(topic_run, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    assert main(["export", str(topic_run[0]), "--format", "saved_model", "--out",
                 str(blocker / "model")]) == 1
    assert f"cannot write {blocker}" in one_error_line(capsys.readouterr().err)


def test_token_ids_that_cannot_fit_in_memory_are_refused_before_padding(tmp_path, capsys):
    from specc.loader.memory import machine_memory
    make_csv(tmp_path, n_per_class=24)
    max_len = machine_memory() // (4 * 100) + 1  # 108 texts: over this machine's memory
    (tmp_path / "spec.yaml").write_text(DEAD.replace("max_len: 12", f"max_len: {max_len}")
                                        .replace("    - Dense: {units: 8, activation: relu,"
                                                 " kernel_initializer: zeros}\n", ""))
    # validate's estimate of the model (one batch: about 0.64 of the memory) lets it pass;
    # the 108 texts' padded ids (1.08 of it) are refused before they are allocated
    code = main(["train", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "run")])
    assert code == 1
    line = one_error_line(capsys.readouterr().err)
    assert "the token ids of 108 texts padded to max_len" in line and "this machine has" in line


@pytest.mark.parametrize("fork", [True, False])
def test_work_that_crashes_its_process_is_an_error_here_not_a_crash(monkeypatch, fork):
    """The report's t-SNE runs through ``forked.isolated``: forked, or in a new interpreter
    where the process holds TensorFlow; a child killed by a signal (here SIGKILL) is
    ChildCrashed, and the work is not run again here."""
    import functools
    import signal

    from specc.core import forked
    monkeypatch.setattr(forked, "can_fork", lambda: fork)
    with forked.isolated(functools.partial(np.add, 2, 3)) as ok:
        assert ok.result() == 5
    with forked.isolated(functools.partial(signal.raise_signal, signal.SIGKILL)) as crashing:
        with pytest.raises(forked.ChildCrashed, match="signal 9"):
            crashing.result()
