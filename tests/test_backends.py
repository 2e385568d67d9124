"""Keras backends (``train.backend``, ``KERAS_BACKEND``): every backend trains, checkpoints,
resumes and reports; cached token ids train where TensorFlow is not installed; a missing
or unknown backend is one line. Each backend runs in its own process (Keras reads
``KERAS_BACKEND`` once, at import)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from specc.cli import main
from specc.compiler.batching import Batching, lengths, steps_per_epoch
from specc.compiler.pybatches import eval_batches, train_batches
from tests.conftest import SPECS
from tests.test_train_e2e import CSV_DATA, make_csv

BACKENDS = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is not None]

LAUNCHER = """
import sys
for name in {missing!r}:
    sys.modules[name] = None  # not installed: find_spec gives None, import fails
from specc.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""A ``python -c`` launcher of the CLI where the ``missing`` modules look uninstalled
(TensorFlow absent, as on a machine with only JAX)."""

NO_TENSORFLOW = ("tensorflow", "tensorflow_text", "tf_keras")


def specc_cli(args, backend=None, missing=(), timeout=600, **env):
    """Run ``specc ARGS`` in a new process; ``(returncode, stdout, stderr)``."""
    environ = {**os.environ, **env}
    environ.pop("KERAS_BACKEND", None)
    if backend:
        environ["KERAS_BACKEND"] = backend
    code = LAUNCHER.format(missing=list(missing))
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=environ, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def ragged_ids(n, max_len, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, max_len), np.int32)
    for i, k in enumerate(rng.integers(1, max_len + 1, n)):
        x[i, max_len - k:] = rng.integers(1, 30, k)  # "pre" padding
    return x


@pytest.mark.parametrize("multiple", [1, 8])
def test_pydataset_batches_are_full_trimmed_and_cover_every_example(multiple):
    n, size, max_len = 1001, 16, 40
    x, y = ragged_ids(n, max_len), np.arange(n)
    plan = Batching(True, "pre", multiple)
    ds = train_batches(x, y, size, seed=3, plan=plan)
    steps = steps_per_epoch(n, size)
    assert len(ds) == steps
    seen = []
    for _ in range(4):
        for i in range(len(ds)):
            xb, yb = ds[i]
            longest = lengths(x[yb]).max()
            keep = min(-(-longest // multiple) * multiple, max_len)
            assert xb.shape == (size, keep)  # full batch, trimmed to its longest (rounded)
            np.testing.assert_array_equal(xb, x[yb][:, max_len - keep:])
            seen.append(yb)
        ds.on_epoch_end()
    counts = np.bincount(np.concatenate(seen), minlength=n)
    assert counts.min() >= 3 and counts.max() <= 5  # each pass draws every example once
    widths = {ds[i][0].shape[1] for i in range(len(ds))}
    assert len(widths) > 2  # bucketing: batches of different lengths
    again = train_batches(x, y, size, seed=3, plan=plan)
    np.testing.assert_array_equal(again[0][1], train_batches(x, y, size, seed=3, plan=plan)[0][1])
    assert not np.array_equal(again[0][1], train_batches(x, y, size, seed=4, plan=plan)[0][1])


def test_pydataset_eval_batches_sort_by_length_and_keep_every_row():
    x, y = ragged_ids(50, 20, seed=1), np.arange(50)
    ds, order = eval_batches(x, y, 8, Batching(True, "pre"))
    assert len(ds) == 7
    rows = np.concatenate([ds[i][1] for i in range(len(ds))])
    np.testing.assert_array_equal(rows, order)
    assert sorted(rows) == list(range(50))
    assert np.all(np.diff(lengths(x)[order]) >= 0)
    plain, order = eval_batches({"token_ids": x, "padding_mask": (x > 0).astype("int32")},
                                None, 64)
    assert plain[0]["token_ids"].shape == (50, 20)  # no bucketing: max_len, inputs only


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A small real-data spec (SST-2 sentences) trained on TensorFlow, then on each other
    backend, all sharing one preprocessing cache: ``{backend: (folder, metrics)}``."""
    folder = tmp_path_factory.mktemp("backends")
    out = {}
    for backend in ["tensorflow", *BACKENDS]:
        run = folder / backend
        code, _, err = specc_cli(["train", str(SPECS / "sst2_conv1d.yaml"), "--out", str(run),
                                  "--epochs", "2", "--set", "data.max_train_samples=3000"],
                                 backend, SPECC_CACHE_DIR=str(folder / "cache"))
        assert code == 0, err[-2000:]
        out[backend] = run, json.loads((run / "metrics.json").read_text())
    return out


@pytest.mark.slow  # ~90 s for the three runs (in CI's slow subset)
@pytest.mark.realdata
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_trains_evaluates_and_reports_like_tensorflow(runs, backend):
    run, m = runs[backend]
    _, tf = runs["tensorflow"]
    assert m["backend"] == backend and tf["backend"] == "tensorflow"
    assert m["device"] == f"CPU ({backend})"
    assert set(m) == set(tf)  # the same metrics.json
    assert m["epochs_trained"] == 2 and m["preprocessing_cache_hit"]
    # seed 42 on 3,000 SST-2 sentences: TensorFlow 0.77-0.78, JAX and torch within 0.04
    assert abs(m["accuracy"] - tf["accuracy"]) <= 0.06, (m["accuracy"], tf["accuracy"])
    assert m["accuracy"] > 0.7
    html = (run / "report.html").read_text()
    assert "accuracy" in html and (run / "model.keras").is_file()
    code, out, err = specc_cli(["predict", str(run), "a gorgeous, moving film",
                                "dull and lifeless"], backend)
    assert code == 0, err
    assert [json.loads(line)["label"] for line in out.splitlines()] == ["positive", "negative"]


@pytest.mark.slow  # ~25 s (in CI's slow subset)
@pytest.mark.realdata
@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
def test_cached_token_ids_train_where_tensorflow_is_not_installed(runs, tmp_path):
    run, jax_run = tmp_path / "no-tf", runs["jax"][1]
    cache = runs["jax"][0].parent / "cache"
    code, out, err = specc_cli(["train", str(SPECS / "sst2_conv1d.yaml"), "--out", str(run),
                                "--epochs", "2", "--set", "data.max_train_samples=3000"], "jax",
                               missing=NO_TENSORFLOW,
                               SPECC_CACHE_DIR=str(cache))
    assert code == 0, err[-2000:]
    m = json.loads((run / "metrics.json").read_text())
    assert m["preprocessing_cache_hit"] and m["backend"] == "jax"
    assert m["accuracy"] == pytest.approx(jax_run["accuracy"], abs=1e-6)  # same ids, same run
    # new texts need the tokenizer, which is TensorFlow's: one line says so
    code, out, err = specc_cli(["train", str(SPECS / "sst2_conv1d.yaml"), "--out",
                                str(tmp_path / "uncached"), "--epochs", "1", "--set",
                                "data.max_train_samples=2999"], "jax",
                               missing=NO_TENSORFLOW,
                               SPECC_CACHE_DIR=str(cache))
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "error: tokenizing texts needs TensorFlow, which is not installed: pip install "
        "tensorflow (or train from token ids already in the preprocessing cache)")
    assert not (tmp_path / "uncached").exists()


def test_a_backend_that_is_not_installed_is_one_line(tmp_path):
    make_csv(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: b\n" + CSV_DATA + "model: {layers: [{Embedding: {output_dim: 8}}, "
                    "{GlobalAveragePooling1D: {}}]}\ntrain: {epochs: 1, backend: jax}\n")
    code, _, err = specc_cli(["train", str(spec), "--out", str(tmp_path / "run")],
                             missing=["jax"], timeout=120)
    assert (code, err.strip()) == (1, "error: the jax backend needs jax, which is not "
                                      "installed: pip install jax")
    assert not (tmp_path / "run").exists()
    code, _, err = specc_cli(["train", str(spec)], "theano", timeout=120)
    assert code == 2 and err.strip() == (
        "error: 'theano' is not a Keras backend specc trains on (KERAS_BACKEND or "
        "train.backend): use one of tensorflow, jax, torch")


def test_a_process_keeps_the_backend_keras_was_imported_with(tmp_path, monkeypatch):
    import specc
    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # set, it would win over the spec
    from specc.errors import RunError
    make_csv(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: b\n" + CSV_DATA + "model: {layers: [{Embedding: {output_dim: 8}}, "
                    "{GlobalAveragePooling1D: {}}]}\ntrain: {epochs: 1, backend: torch}\n")
    with pytest.raises(RunError, match="already imported in this process on the tensorflow "
                                       "backend, not torch"):
        specc.train(spec, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # ~30 s (in CI's slow subset)
@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
def test_jax_run_killed_mid_training_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    from tests.test_resume import SPEC, start, wait_for_epoch
    make_csv(tmp_path, n_per_class=60)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("epochs: 20", "epochs: 12"))
    run = tmp_path / "killed"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    proc = start(spec, run)
    wait_for_epoch(run, proc, 2, timeout=300)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = json.loads((run / "checkpoint" / "state.json").read_text())["epoch"]
    assert not (run / "metrics.json").exists() and 2 <= done < 12
    code, _, err = specc_cli(["train", "--resume", str(run)], "jax")
    assert code == 0, err[-2000:]
    m = json.loads((run / "metrics.json").read_text())
    assert (m["backend"], m["epochs_trained"], m["resumed_from_epoch"]) == ("jax", 12, done)
    assert len((run / "history.csv").read_text().splitlines()) == 13
    assert m["accuracy"] > 0.8  # three topics with distinct words: learnt
