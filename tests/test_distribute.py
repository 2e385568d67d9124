"""``train.distribution``: data-parallel training of one small real-data spec (SST-2, a few
thousand sentences, 2 epochs) on one process with 2 replicas (TensorFlow MirroredStrategy
over 2 logical CPU devices; JAX DataParallel over 2 host devices), on 2 worker processes
(MultiWorkerMirroredStrategy; JAX multi-process) configured by TF_CONFIG, and the one-line
errors. Every run is a subprocess (a strategy configures TensorFlow once per process),
bounded by a timeout and killed on failure."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specc.errors import UsageError
from specc.runtime.distribute import tf_config
from tests.conftest import needs_data

SPEC = """\
name: sst2-distributed
task: binary
data: {dataset: sst2, validation: dev, max_train_samples: 2000}
preprocessing:
  tokenizer: {num_words: 15000, oov_token: "<OOV>"}
  sequence: {max_len: 50, padding: post, truncating: post}
model:
  layers:
    - Embedding: {output_dim: 64}
    - Conv1D: {filters: 64, kernel_size: 3, activation: relu}
    - GlobalMaxPooling1D
    - Dense: {units: 32, activation: relu}
train:
  optimizer: {name: adam, learning_rate: 0.002}
  batch_size: 32
  epochs: 2
  seed: 42
report: {plots: false}
"""
NOISE = 0.04
"""Test accuracy of a distributed run vs the single-process run. Measured on TensorFlow:
3000 sentences, 0.769 (one process) vs 0.757 (2 replicas, mirrored or 2 workers alike);
4000 sentences, 0.781 vs 0.776."""
TIMEOUT = 240
LAUNCH = "from specc.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
TWO_CPUS = ("import sys, tensorflow as tf; tf.config.set_logical_device_configuration("
            "tf.config.list_physical_devices('CPU')[0], "
            "[tf.config.LogicalDeviceConfiguration()] * 2); " + LAUNCH)


def env(**extra) -> dict:
    base = {k: v for k, v in os.environ.items()
            if k not in ("TF_CONFIG", "KERAS_BACKEND", "XLA_FLAGS")}
    return {**base, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def specc(args, code: str = LAUNCH, **extra) -> subprocess.CompletedProcess:
    """``specc ARGS`` in a subprocess (``code`` runs the CLI), killed after TIMEOUT s."""
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], check=False,
                          capture_output=True, text=True, env=env(**extra), timeout=TIMEOUT)


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_workers(commands: list[list], tmp: Path, **extra) -> list[subprocess.Popen]:
    """Start ``specc COMMAND`` for each command as the workers of one cluster on
    127.0.0.1 (TF_CONFIG each, worker ``i`` runs ``commands[i]``; temporary files under
    ``tmp``)."""
    hosts = [f"127.0.0.1:{p}" for p in free_ports(len(commands))]
    procs = []
    for i, command in enumerate(commands):
        config = json.dumps({"cluster": {"worker": hosts},
                             "task": {"type": "worker", "index": i}})
        procs.append(subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *map(str, command)], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=env(TF_CONFIG=config, TMPDIR=str(tmp), **extra)))
    return procs


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    """``(exit status, output)`` of each worker; all are killed when one fails or the
    timeout passes."""
    results = []
    try:
        for proc in procs:
            output, _ = proc.communicate(timeout=TIMEOUT)
            results.append((proc.returncode, output))
            if proc.returncode != 0:
                break
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return results


def workers(spec, outs: list[Path], tmp: Path, **extra) -> list[tuple[int, str]]:
    """``specc train spec --out OUT`` on one worker per folder in ``outs``; all must
    succeed."""
    results = finish(start_workers(
        [["train", spec, "--set", "train.distribution=multi_worker", "--out", out]
         for out in outs], tmp, **extra))
    for rc, output in results:
        assert rc == 0, output[-3000:]
    assert len(results) == len(outs)
    return results


def metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("distribute") / "spec.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def single(spec_file) -> dict:
    """The spec trained in one process on the TensorFlow backend (the reference)."""
    out = spec_file.parent / "single"
    done = specc(["train", spec_file, "--out", out])
    assert done.returncode == 0, done.stderr[-3000:]
    return metrics(out)


def check_like_single(m: dict, single: dict, replicas: int, workers: int, strategy: str):
    assert m["runtime"]["distribution"] == ("multi_worker" if workers > 1 else "mirrored")
    assert m["runtime"]["strategy"] == strategy
    assert (m["runtime"]["replicas"], m["runtime"]["workers"]) == (replicas, workers)
    assert set(m) == set(single)
    assert m["n_train"] == single["n_train"] and m["n_test"] == single["n_test"]
    assert m["epochs_trained"] == single["epochs_trained"] == 2
    assert abs(m["accuracy"] - single["accuracy"]) <= NOISE, (m["accuracy"], single["accuracy"])
    assert m["accuracy"] > 0.7  # it learnt (chance is 0.5)


@pytest.mark.slow  # ~30 s: 2 logical CPU devices (in CI's slow subset)
@pytest.mark.realdata
@needs_data
def test_mirrored_over_two_cpu_devices(spec_file, single, tmp_path):
    out = tmp_path / "run"
    done = specc(["train", spec_file, "--set", "train.distribution=mirrored", "--out", out],
                 code=TWO_CPUS)
    assert done.returncode == 0, done.stderr[-3000:]
    m = metrics(out)
    check_like_single(m, single, replicas=2, workers=1, strategy="MirroredStrategy")
    assert (out / "model.keras").is_file() and (out / "report.md").is_file()
    print(f"mirrored, 2 replicas: accuracy {m['accuracy']:.4f}; one process "
          f"{single['accuracy']:.4f}")


@pytest.mark.slow  # ~35 s with the single-process run (in CI's slow subset)
@pytest.mark.realdata
@needs_data
def test_two_workers_only_the_chief_writes(spec_file, single, tmp_path):
    chief, other, scratch = tmp_path / "chief", tmp_path / "worker1", tmp_path / "tmp"
    scratch.mkdir()
    (_, chief_log), (_, other_log) = workers(spec_file, [chief, other], scratch)
    assert "unhealthy" not in chief_log  # the workers exit together
    m = metrics(chief)
    check_like_single(m, single, replicas=2, workers=2, strategy="MultiWorkerMirroredStrategy")
    assert (chief / "report.html").is_file() and not (chief / "checkpoint").exists()
    assert not other.exists(), "a non-chief worker wrote its --out folder"
    assert not list(scratch.glob("specc-worker-*")), "a worker's temporary run was left"
    assert "worker 2 of 2 (not the chief)" in other_log and "report:" not in other_log
    # every worker evaluated the same synchronized model
    assert f"accuracy {m['accuracy']:.4f}" in other_log
    print(f"2 workers: accuracy {m['accuracy']:.4f}; one process {single['accuracy']:.4f}")


@pytest.mark.slow  # ~2 min: a killed worker, then both resumed
@pytest.mark.realdata
@needs_data
def test_two_workers_resume_after_one_is_killed(spec_file, tmp_path):
    chief, other, scratch = tmp_path / "chief", tmp_path / "worker1", tmp_path / "tmp"
    scratch.mkdir()
    train = ["train", spec_file, "--set", "train.distribution=multi_worker", "--epochs", "4"]
    procs = start_workers([[*train, "--out", chief], [*train, "--out", other]], scratch)
    state = chief / "checkpoint" / "state.json"
    deadline = time.monotonic() + TIMEOUT
    try:
        while not (state.is_file() and json.loads(state.read_text())["epoch"] >= 1):
            assert time.monotonic() < deadline and procs[0].poll() is None
            time.sleep(0.1)
        procs[1].kill()  # the non-chief dies during epoch 2
        output, _ = procs[0].communicate(timeout=TIMEOUT)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    assert procs[0].returncode == 1, output[-3000:]
    error = output.strip().splitlines()[-1]
    assert "a worker is gone" in error and f"specc train --resume {chief}" in error, error
    assert (chief / "error.txt").is_file() and not (chief / "metrics.json").exists()
    done = json.loads(state.read_text())["epoch"]
    # every worker restarts with: specc train --resume RUN_DIR (the chief's folder; the
    # non-chief reads a copy of it)
    results = finish(start_workers([["train", "--resume", chief]] * 2, scratch))
    for rc, log in results:
        assert rc == 0, log[-3000:]
    m = metrics(chief)
    assert m["resumed_from_epoch"] == done and m["epochs_trained"] == 4
    assert len((chief / "history.csv").read_text().splitlines()) == 1 + 4
    assert m["accuracy"] > 0.7 and m["runtime"]["workers"] == 2
    assert not other.exists() and not (chief / "checkpoint").exists()
    assert len(list(scratch.glob("specc-worker-*"))) <= 1  # only the killed worker's


def jax_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("jax") is not None


@pytest.mark.slow  # ~15 s: JAX DataParallel (in CI's slow subset)
@pytest.mark.realdata
@needs_data
@pytest.mark.skipif(not jax_available(), reason="JAX is not installed")
def test_jax_data_parallel_over_two_devices(spec_file, single, tmp_path):
    out = tmp_path / "run"
    done = specc(["train", spec_file, "--set", "train.distribution=mirrored", "--out", out],
                 KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert done.returncode == 0, done.stderr[-3000:]
    m = metrics(out)
    assert m["backend"] == "jax"
    check_like_single(m, single, replicas=2, workers=1, strategy="DataParallel")


@pytest.mark.slow  # ~50 s: two JAX processes (jax.distributed) on 127.0.0.1
@pytest.mark.realdata
@needs_data
@pytest.mark.skipif(not jax_available(), reason="JAX is not installed")
def test_jax_two_processes(spec_file, single, tmp_path):
    chief, other, scratch = tmp_path / "chief", tmp_path / "worker1", tmp_path / "tmp"
    scratch.mkdir()
    workers(spec_file, [chief, other], scratch, KERAS_BACKEND="jax")
    m = metrics(chief)
    assert m["backend"] == "jax"
    check_like_single(m, single, replicas=2, workers=2, strategy="DataParallel")
    assert not other.exists() and not list(scratch.glob("specc-worker-*"))


def one_line_error(done: subprocess.CompletedProcess, *words: str) -> str:
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, err[-2000:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err[-2000:]
    for word in words:
        assert word in err, err
    return err


@needs_data
def test_multi_worker_needs_tf_config(spec_file, tmp_path):
    out = tmp_path / "run"
    done = specc(["train", spec_file, "--set", "train.distribution=multi_worker",
                  "--out", out])
    one_line_error(done, "TF_CONFIG", "multi_worker")
    assert not out.exists()  # refused before the run folder is made


@needs_data
def test_torch_refuses_distribution(spec_file, tmp_path):
    out = tmp_path / "run"
    done = specc(["train", spec_file, "--set", "train.distribution=mirrored", "--out", out],
                 KERAS_BACKEND="torch")
    one_line_error(done, "mirrored is not supported on the torch backend", "tensorflow")
    assert not out.exists()


def test_tf_config_roles():
    two = {"cluster": {"worker": ["a:1", "b:2"]}}
    first = tf_config({"TF_CONFIG": json.dumps({**two, "task": {"type": "worker", "index": 0}})})
    second = tf_config({"TF_CONFIG": json.dumps({**two, "task": {"type": "worker", "index": 1}})})
    assert first.is_chief and not second.is_chief and second.addresses == ("a:1", "b:2")
    chief = {"cluster": {"chief": ["c:0"], "worker": ["a:1"]}}
    assert tf_config({"TF_CONFIG": json.dumps({**chief, "task": {"type": "chief"}})}).is_chief
    w = tf_config({"TF_CONFIG": json.dumps({**chief, "task": {"type": "worker", "index": 0}})})
    assert not w.is_chief and w.index == 1 and w.addresses == ("c:0", "a:1")
    for bad in ["", "[1]", json.dumps({**two, "task": {"type": "ps", "index": 0}}),
                json.dumps({**two, "task": {"type": "worker", "index": 2}}),
                json.dumps({"cluster": {"worker": ["nohost"]}, "task": {"type": "worker"}}),
                json.dumps({"cluster": {"worker": ["a:1"], "ps": ["b:2"]},
                            "task": {"type": "worker", "index": 0}})]:
        with pytest.raises(UsageError) as e:
            tf_config({"TF_CONFIG": bad})
        assert "\n" not in str(e.value) and "TF_CONFIG" in str(e.value)
