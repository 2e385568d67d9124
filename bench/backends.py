"""specc's training and prediction speed under each Keras backend; print ratios, write JSON.

    SPECC_DATA_DIR=../shared/data .venv/bin/python bench/backends.py [--quick]
        [--backends tensorflow,jax,torch] [--models conv1d,lstm,bilstm,sst2_bert_finetune]
        [--repeats N] [--timeout S] [--out FILE]

Keras picks its backend once, at import, so each backend runs in its own child process
(``bench/backends.py --worker BACKEND``, ``KERAS_BACKEND`` set), one after the other;
each child measures every model and sends one JSON line per model back. Per model:

* train, samples/s: steady state of the specc-compiled model in specc's runtime
  (``compiled_model``, ``run_options``, ``train_dataset``: tf.data on TensorFlow,
  ``keras.utils.PyDataset`` on JAX and PyTorch; bucketing and XLA as the spec resolves
  them on that backend; specc's per-batch NaN check included), as bench/run.py's
  throughput section: one untimed warm-up epoch (JAX compiles then), then the fastest of
  ``--repeats`` epochs over the same real training examples (sizes of bench/run.py;
  PyTorch gets fewer, see SMALLER).
  Samples/s = training examples / epoch seconds.
* predict, samples/s: ``specc.compiler.batching.predict(model, ids, batch_size, plan)``
  on prepared token ids of the test split (tokenization excluded; sizes of
  bench/predict.py), after one untimed call; the fastest of ``--repeats`` calls.
  Samples/s = test examples / call seconds.

Ratios are backend / TensorFlow from the same invocation (> 1 = faster than TensorFlow).
A model that fails, or takes longer than ``--timeout`` seconds, is a "failed: ..." cell;
the child is then restarted for the models left.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.predict import CASES
from bench.run import BERT_FINETUNE_N, THROUGHPUT, load_prepared, specc_training
from bench.timing import best, interleaved, machine, median

SPECS = ROOT / "specs"
BACKENDS = ("tensorflow", "jax", "torch")
SIZES = {  # spec -> (training examples per timed epoch, test examples predicted)
    "conv1d.yaml": (THROUGHPUT["conv1d.yaml"][1], CASES["conv1d.yaml"][1]),
    "lstm.yaml": (THROUGHPUT["lstm.yaml"][1], CASES["lstm.yaml"][1]),
    "bilstm.yaml": (THROUGHPUT["bilstm.yaml"][1], CASES["lstm.yaml"][1]),
    "sst2_bert_finetune.yaml": (BERT_FINETUNE_N, CASES["sst2_bert_finetune.yaml"][1]),
}
SMALLER = {"torch": {"conv1d.yaml": 4, "lstm.yaml": 16, "bilstm.yaml": 16,
                     "sst2_bert_finetune.yaml": 4}}
"""Backend -> spec -> divisor of its SIZES. On 2 shared cores PyTorch trained lstm.yaml at
18 samples/s and predicted at 9/s (JAX: 217 and 1006; --quick), so its cells use fewer examples to
keep the whole bench near half an hour; samples/s is still steady state."""
QUICK = {"models": ("conv1d.yaml", "lstm.yaml"), "divisor": 4}
"""--quick: these models, on a quarter of the examples."""
MARK = "BENCH-JSON "
"""Prefix of the child's result lines on stdout (Keras may print other lines there)."""


def sizes(backend: str, name: str, quick: bool) -> dict:
    """``{"n_train", "n_predict"}`` for ``name`` on ``backend`` (SIZES / SMALLER / QUICK)."""
    divisor = SMALLER.get(backend, {}).get(name, 1) * (QUICK["divisor"] if quick else 1)
    return dict(zip(("n_train", "n_predict"), (max(1, n // divisor) for n in SIZES[name])))


def one_line(text: str, limit: int = 300) -> str:
    """The last non-empty line of ``text``, at most ``limit`` characters."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[-1] if lines else "no output")[:limit]


# --- child: one backend, every model -------------------------------------------------------

def measure(name: str, n_train: int, n_predict: int, repeats: int) -> dict:
    """Training and prediction samples/s of ``specs/name`` on this process's backend."""
    import keras

    from specc import load_spec
    from specc.compiler.batching import predict
    from specc.runtime.prepare import take
    spec = load_spec(SPECS / name)
    train = spec.resolved["train"]
    keras.utils.set_random_seed(train["seed"])
    prep = load_prepared(spec, n_train)
    model, epoch, options = specc_training(spec, prep)
    epochs = interleaved({"train": epoch}, repeats)["train"]
    n_predict = min(n_predict, len(prep.y_test))
    x = take(prep.x_test, list(range(n_predict)))
    calls = interleaved({"predict": lambda: predict(model, x, train["batch_size"],
                                                    options.batching)}, repeats)["predict"]
    return {"n_train": n_train, "n_predict": n_predict, "batch_size": train["batch_size"],
            "train_samples_per_s": round(n_train / best(epochs), 1),
            "train_median_samples_per_s": round(n_train / median(epochs), 1),
            "predict_samples_per_s": round(n_predict / best(calls), 1),
            "predict_median_samples_per_s": round(n_predict / median(calls), 1),
            "epoch_seconds": [round(t, 3) for t in epochs],
            "predict_seconds": [round(t, 3) for t in calls], "options": options.describe()}


def worker(backend: str, models: list[str], repeats: int, quick: bool) -> int:
    """Measure ``models`` on ``backend``; print one ``MARK`` JSON line per event."""
    def emit(**event):
        print(MARK + json.dumps(event), flush=True)
    from specc.core.quiet import import_keras
    keras = import_keras(backend)
    from specc.runtime.device import describe_device
    emit(ready=keras.backend.backend(), device=describe_device())
    for name in models:
        emit(start=name)
        t0 = time.perf_counter()
        try:
            row = measure(name, **sizes(backend, name, quick), repeats=repeats)
        except Exception as e:  # noqa: BLE001 - one failed cell, not a failed bench
            traceback.print_exc()
            row = {"error": one_line(f"{type(e).__name__}: {e}")}
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        row["tensorflow_imported"] = "tensorflow" in sys.modules
        row["load_average_1m"] = round(os.getloadavg()[0], 2)  # other processes on the cores
        emit(model=name, **row)
    return 0


# --- parent: one child per backend, in turn ---------------------------------------------------

def run_child(backend: str, models: list[str], args) -> tuple[dict, dict]:
    """Run one child for ``models`` on ``backend``; ``({model: row}, info)``. A model the
    child was on when it crashed or ran past ``args.timeout`` gets an ``error`` row; models
    it never started are left out (the caller starts a new child for them)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", backend,
           "--models", ",".join(models), "--repeats", str(args.repeats)]
    if args.quick:
        cmd.append("--quick")
    env = {**os.environ, "KERAS_BACKEND": backend}
    rows, info, current = {}, {}, None
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                                cwd=ROOT, start_new_session=True)
        lines: queue.Queue = queue.Queue()

        def read():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=read, daemon=True).start()
        deadline, problem = time.monotonic() + args.timeout, None
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own process group
                problem = f"timed out after {args.timeout} s"
                break
            if line is None:
                break
            if not line.startswith(MARK):
                continue
            event = json.loads(line[len(MARK):])
            if "start" in event:
                current, deadline = event["start"], time.monotonic() + args.timeout
            elif "model" in event:
                rows[event.pop("model")], current = event, None
                print(f"  {backend} {next(reversed(rows))}: " + (
                    f"failed: {event['error']}" if "error" in event else
                    f"train {event['train_samples_per_s']:.0f}/s, "
                    f"predict {event['predict_samples_per_s']:.0f}/s"), flush=True)
            else:
                info = event
        rc = proc.wait()
        if problem is None and rc != 0:
            err.seek(0)
            problem = f"child exited with {rc}: {one_line(err.read())}"
        elif problem is None and len(rows) < len(models):
            problem = "child ended without a result"
    if problem:
        for name in [current] if current else [m for m in models if m not in rows]:
            rows[name] = {"error": problem}
            print(f"  {backend} {name}: failed: {problem}", flush=True)
    return rows, info


def cell(row: dict | None, key: str, base: dict | None) -> str:
    """``1234 (0.82×)``; the ratio to TensorFlow's ``base`` row where there is one."""
    if row is None:
        return ""
    if "error" in row:
        return f"failed: {row['error']}"
    text = f"{row[key]:.0f}"
    if base and "error" not in base and base is not row:
        text += f" ({row[key] / base[key]:.2f}×)"
    return text


def table(results: dict) -> str:
    """Markdown: samples/s per backend (ratio to TensorFlow), training then prediction."""
    backends = results["backends"]
    lines = []
    for key, what in (("train_samples_per_s", "train"), ("predict_samples_per_s", "predict")):
        lines += [f"| {what}, samples/s | " + " | ".join(backends) + " |",
                  "|---|" + "---|" * len(backends)]
        for name in results["models"]:
            cells = {b: results["cells"].get(b, {}).get(name) for b in backends}
            base = cells.get("tensorflow")
            lines.append(f"| {name} | " + " | ".join(cell(cells[b], key, base) for b in backends)
                         + " |")
        lines.append("")
    same: dict[str, list[str]] = {}  # sizes -> backends measured on them
    for b in backends:
        same.setdefault(json.dumps(results["sizes"][b]), []).append(b)
    for key, group in same.items():
        lines.append(f"examples (train / predict), {', '.join(group)}: " + ", ".join(
            f"{m.removesuffix('.yaml')} {s['n_train']} / {s['n_predict']}"
            for m, s in json.loads(key).items()))
    return "\n".join(lines).rstrip()


def versions() -> dict:
    """Installed versions of Keras and the three backends' packages (None: not installed)."""
    out = {}
    for package in ("keras", "tensorflow", "jax", "jaxlib", "torch", "keras-hub"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def main(argv=None) -> int:
    """Parent: one child per backend, then the table and the JSON. Child: ``--worker``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"only {', '.join(QUICK['models'])}, on 1/{QUICK['divisor']} of the examples")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--models", help="comma-separated spec names in specs/ (.yaml optional); "
                                     f"default: {', '.join(SIZES)}")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs / predict calls")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds per model in a child (start-up included), then it is failed")
    ap.add_argument("--out", default=str(ROOT / "bench" / "backends_results.json"))
    ap.add_argument("--worker", metavar="BACKEND", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.models:
        models = [m if m.endswith(".yaml") else f"{m}.yaml" for m in args.models.split(",")]
    else:
        models = list(QUICK["models"] if args.quick else SIZES)
    unknown = [m for m in models if m not in SIZES]
    if unknown:
        ap.error(f"no sizes for {', '.join(unknown)}; known: {', '.join(SIZES)}")
    if args.worker:
        return worker(args.worker, models, args.repeats, args.quick)

    backends = args.backends.split(",")
    t0 = time.perf_counter()
    results = {"command": " ".join(["python bench/backends.py",
                                    *(argv if argv is not None else sys.argv[1:])]),
               "backends": backends, "models": models, "repeats": args.repeats,
               "sizes": {b: {m: sizes(b, m, args.quick) for m in models} for b in backends},
               "versions": versions(), "children": {}, "cells": {}}
    for backend in backends:
        print(f"{backend} ...", flush=True)
        cells = results["cells"].setdefault(backend, {})
        while todo := [m for m in models if m not in cells]:
            rows, info = run_child(backend, todo, args)
            cells.update(rows)
            results["children"].setdefault(backend, info)
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    from specc.core.quiet import import_keras, import_tensorflow
    import_tensorflow()  # quietly, before machine() imports it
    import_keras()
    results["machine"] = machine()  # cores, CPU, OS (its backend/device fields: this parent's)
    m = results["machine"]
    print(f"\n{m['cores']} cores, {m['cpu']}; " + ", ".join(
        f"{k} {v}" for k, v in results["versions"].items() if v) + f"; {results['wall_s']:.0f} s\n")
    print(table(results))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
