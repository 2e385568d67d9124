"""Faults during training: a run killed with SIGKILL mid-epoch, or stopped with Ctrl-C
(SIGINT), continues with ``specc train --resume RUN_DIR`` from its last epoch checkpoint
and ends like an uninterrupted run with the same seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from specc.cli import main
from tests.test_train_e2e import CSV_DATA, make_csv

SPEC = "name: resume-test\n" + CSV_DATA + """\
model:
  layers:
    - Embedding: {output_dim: 16}
    - LSTM: {units: 16}
train: {optimizer: {name: adam, learning_rate: 0.01}, batch_size: 4, epochs: 20, seed: 3}
report: {plots: false}
"""
EPOCHS = 20  # long enough that a signal lands during training, even on a busy machine


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    make_csv(folder, n_per_class=80)
    (folder / "spec.yaml").write_text(SPEC)
    return folder / "spec.yaml"


@pytest.fixture(scope="module")
def uninterrupted(spec_file):
    run = spec_file.parent / "whole"
    assert main(["train", str(spec_file), "--out", str(run)]) == 0
    return json.loads((run / "metrics.json").read_text())


def start(spec_file, run):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # A child inherits an ignored SIGINT (pytest started in the background by a shell
    # without job control), and Python then installs no KeyboardInterrupt handler:
    # install it explicitly, as an interactive terminal would have it.
    launcher = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "from specc.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.Popen([sys.executable, "-c", launcher, "train", str(spec_file),
                             "--out", str(run)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_for_epoch(run, proc, epoch: int, timeout: float = 120.0) -> None:
    """Block until the run's checkpoint records ``epoch`` epochs (the process keeps going)."""
    state = run / "checkpoint" / "state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.is_file() and json.loads(state.read_text())["epoch"] >= epoch:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the run did not reach the epoch in time")


def check_resumed(run, uninterrupted, resumed_from):
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs_trained"] == uninterrupted["epochs_trained"] == EPOCHS
    assert m["resumed_from_epoch"] == resumed_from
    assert len((run / "history.csv").read_text().splitlines()) == 1 + EPOCHS
    assert abs(m["accuracy"] - uninterrupted["accuracy"]) <= 0.05
    assert abs(m["loss"] - uninterrupted["loss"]) <= 0.15
    assert not (run / "checkpoint").exists() and not (run / "error.txt").exists()
    print(f"resumed after epoch {resumed_from}: accuracy {m['accuracy']:.4f} loss "
          f"{m['loss']:.4f}; uninterrupted: accuracy {uninterrupted['accuracy']:.4f} loss "
          f"{uninterrupted['loss']:.4f}")
    return m


def test_sigkill_mid_epoch_then_resume(spec_file, uninterrupted, tmp_path):
    run = tmp_path / "killed"
    proc = start(spec_file, run)
    wait_for_epoch(run, proc, 2)
    time.sleep(0.1)  # into the next epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not (run / "metrics.json").exists()
    done = json.loads((run / "checkpoint" / "state.json").read_text())["epoch"]
    assert 2 <= done < EPOCHS
    assert main(["train", "--resume", str(run)]) == 0
    check_resumed(run, uninterrupted, done)
    assert main(["train", "--resume", str(run)]) == 2  # finished: nothing to resume


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(spec_file, uninterrupted, tmp_path):
    run = tmp_path / "stopped"
    proc = start(spec_file, run)
    wait_for_epoch(run, proc, 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: interrupted") and f"specc train --resume {run}" in last
    assert "interrupted" in (run / "error.txt").read_text()
    assert not (run / "metrics.json").exists()
    done = json.loads((run / "checkpoint" / "state.json").read_text())["epoch"]
    assert main(["train", "--resume", str(run)]) == 0
    check_resumed(run, uninterrupted, done)


def test_resume_refuses_what_it_cannot_continue(spec_file, tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "not a specc run folder" in capsys.readouterr().err
    (tmp_path / "run.json").write_text(json.dumps({"spec_file": str(spec_file),
                                                   "train_fraction": 1.0}))
    (tmp_path / "spec.yaml").write_text("name: x\n")
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "spec.yaml:1:1: $: missing required key 'task'" in capsys.readouterr().err
    (tmp_path / "spec.yaml").write_text(SPEC.replace("seed: 3", "seed: 4"))
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "changed since the run" in capsys.readouterr().err
    assert main(["train", str(spec_file), "--resume", str(tmp_path)]) == 2
