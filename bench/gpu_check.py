"""GPU check: train specs on prepared token ids under JAX / PyTorch, on a machine that may
have no TensorFlow and no network. Driven by bench/gpu_check.sh.

    # CPU machine (real data, TensorFlow for tokenizing): arrays + MiniLM weights into DIR
    SPECC_DATA_DIR=../shared/data .venv/bin/python bench/gpu_check.py prepare .gpucheck
    # GPU machine, one process per backend and spec (KERAS_BACKEND picks the backend)
    KERAS_BACKEND=jax python3 bench/gpu_check.py train .gpucheck/lstm.npz [--epochs N]

``prepare`` runs specc's own ``prepare`` (split + tokenize, preprocessing cache) for each
spec and writes ``DIR/<spec>.npz``: x/y of train, validation and test (ids stored in the
smallest lossless integer type, restored on load), the spec file's text and its resolved
form, class names. A spec with a bundled backbone preset also gets ``DIR/<preset>/``: the
preset's Hugging Face files with ``model.safetensors`` cast to float16 (MiniLM-L6: 87 MiB
in float32 would not fit the 64 MiB a device call carries; 43 MiB in float16, cast back to
float32 when keras-hub loads it). ``--max-train`` / ``--max-test`` subsample (said in the
file's metadata and in ``train``'s output).

``train`` loads one .npz, builds and compiles the model with specc's code
(``compiled_model`` with ``run_options`` for the GPUs the backend sees; batches from
``specc.compiler.batching``: ``keras.utils.PyDataset`` off TensorFlow), fits it with
specc's per-batch NaN check and the validation split, prints a line per epoch and a final
``GPUCHECK-JSON {...}`` line: backend, device, steady-state training samples/s (epochs
after the first, which includes JAX's compiling), prediction samples/s (second call),
epoch seconds, test accuracy, mixed precision / XLA / bucketing as resolved.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPECS = ROOT / "specs"
MARK = "GPUCHECK-JSON "
SPLITS = ("train", "val", "test")


# --- prepare (CPU machine) -------------------------------------------------------------

def _small(a):
    """``a`` in the smallest integer type that holds it exactly (ids compress better)."""
    import numpy as np
    a = np.asarray(a)
    if a.dtype.kind in "iub" and a.size:
        lo, hi = int(a.min()), int(a.max())
        for t in ("uint8", "uint16", "int32"):
            info = np.iinfo(t)
            if info.min <= lo and hi <= info.max:
                return a.astype(t)
    return a


def subsample(prep, limits: dict, where: str) -> list[str]:
    """Cut ``prep``'s splits to ``limits`` (``{"train": n}``; 0 = all) with a seeded
    random choice of rows (the prepared splits can be ordered by class); returns notes."""
    import numpy as np

    from specc.runtime.prepare import take
    notes = []
    for split, limit in limits.items():
        n = len(getattr(prep, f"y_{split}"))
        if limit and n > limit:
            keep = np.sort(np.random.default_rng(0).choice(n, limit, replace=False))
            setattr(prep, f"x_{split}", take(getattr(prep, f"x_{split}"), keep))
            setattr(prep, f"y_{split}", getattr(prep, f"y_{split}")[keep])
            notes.append(f"{split}: {limit} random rows of {n} ({where})")
    return notes


def save_prepared(path: Path, name: str, spec, prep, notes: list[str]) -> None:
    """Write ``prep``'s splits and the spec (text and resolved) to ``path`` (.npz)."""
    import numpy as np
    arrays, dtypes = {}, {}
    for split in SPLITS:
        x, y = getattr(prep, f"x_{split}"), getattr(prep, f"y_{split}")
        parts = x.items() if isinstance(x, dict) else [("", x)]
        for key, value in parts:
            k = f"x_{split}" + (f"__{key}" if key else "")
            dtypes[k] = str(np.asarray(value).dtype)
            arrays[k] = _small(value)
        dtypes[f"y_{split}"] = str(np.asarray(y).dtype)
        arrays[f"y_{split}"] = _small(y)
    meta = {"spec_name": name, "spec_text": spec.text, "resolved": spec.resolved,
            "class_names": prep.class_names, "dtypes": dtypes, "counts": prep.counts(),
            "notes": notes, "prepared_on": platform.node(),
            "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    arrays["meta"] = np.array(json.dumps(meta, default=str))
    np.savez_compressed(path, **arrays)


def half_preset(preset: str, out: Path) -> Path:
    """Copy a bundled preset's files to ``out/<preset>``, weights cast to float16."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    from specc.data.backbones import resolve_preset
    src, dst = resolve_preset(preset), out / preset
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.suffix in (".json", ".txt"):
            (dst / f.name).write_bytes(f.read_bytes())
    weights = load_file(str(src / "model.safetensors"))
    save_file({k: v.astype(np.float16) if v.dtype == np.float32 else v
               for k, v in weights.items()}, str(dst / "model.safetensors"))
    return dst


def presets_of(resolved: dict) -> set[str]:
    """Bundled preset names (``minilm-l6``) a resolved spec uses anywhere."""
    from specc.data.backbones import is_short_name
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "preset" and isinstance(v, str) and is_short_name(v):
                    found.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(resolved)
    return found


def prepare_cmd(args) -> int:
    """``prepare``: one .npz per spec (+ float16 presets) in ``args.out``."""
    from specc import load_spec
    from specc.data import load_dataset
    from specc.runtime.prepare import prepare
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.specs.split(","):
        t0 = time.perf_counter()
        spec = load_spec(SPECS / f"{name}.yaml")
        dataset = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
        prep = prepare(spec.resolved, dataset, spec.base_dir)
        notes = subsample(prep, {"train": args.max_train, "test": args.max_test},
                          "when prepared")
        path = out / f"{name}.npz"
        save_prepared(path, name, spec, prep, notes)
        c = prep.counts()
        print(f"prepared {name}: train {c['n_train']}, validation {c['n_validation']}, test "
              f"{c['n_test']} -> {path} ({path.stat().st_size / 2**20:.1f} MiB, "
              f"{time.perf_counter() - t0:.1f} s, cache hit {prep.cache_hit})"
              + (f"; {'; '.join(notes)}" if notes else ""), flush=True)
        for preset in sorted(presets_of(spec.resolved)):
            folder = half_preset(preset, out)
            size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
            print(f"preset {preset} -> {folder} ({size:.1f} MiB, weights as float16)",
                  flush=True)
    return 0


# --- train (GPU machine) ---------------------------------------------------------------

def load_prepared(path: Path):
    """``(meta, Prepared)`` from a .npz written by :func:`save_prepared`."""
    import numpy as np

    from specc.runtime.prepare import Prepared
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        data = {k: z[k].astype(meta["dtypes"][k]) for k in z.files if k != "meta"}
    xs = {}
    for split in SPLITS:
        keys = [k for k in data if k == f"x_{split}" or k.startswith(f"x_{split}__")]
        xs[split] = (data[f"x_{split}"] if keys == [f"x_{split}"]
                     else {k.split("__", 1)[1]: data[k] for k in keys})
    prep = Prepared(xs["train"], data["y_train"], xs["val"], data["y_val"], xs["test"],
                    data["y_test"], meta["class_names"], None)
    return meta, prep


def with_presets(node, folders: dict):
    """A copy of the spec mapping ``node`` with bundled preset names replaced by folders."""
    if isinstance(node, dict):
        return {k: (folders.get(v, v) if k == "preset" and isinstance(v, str)
                    else with_presets(v, folders)) for k, v in node.items()}
    if isinstance(node, list):
        return [with_presets(v, folders) for v in node]
    return node


def device_name(backend: str) -> str:
    """The accelerator's name as the backend reports it ("" when none). Never raises."""
    try:
        if backend == "jax":
            import jax
            d = jax.devices()[0]
            return f"{d.platform}: {getattr(d, 'device_kind', '')}"
        if backend == "torch":
            import torch
            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        if backend == "tensorflow":
            import tensorflow as tf
            return ", ".join(d.name for d in tf.config.list_physical_devices("GPU")) or "cpu"
    except Exception as e:  # noqa: BLE001 - a device probe must never stop the check
        return f"unknown ({type(e).__name__})"
    return ""


def accuracy(scores, y) -> float:
    """Share of ``y`` predicted right from model outputs (sigmoid column or softmax rows)."""
    import numpy as np
    scores = np.asarray(scores, dtype="float32")
    if scores.ndim == 2 and scores.shape[1] > 1:
        pred = scores.argmax(axis=1)
    else:
        pred = (scores.reshape(-1) > 0.5).astype("int64")
    return float((pred == np.asarray(y).reshape(-1)).mean())


def train_cmd(args) -> int:
    """``train``: fit one prepared spec on this process's Keras backend; print results."""
    from specc.core.quiet import import_keras
    keras = import_keras()
    backend = keras.backend.backend()
    import yaml

    from specc.compiler.batching import (
        eval_dataset,
        predict,
        steps_per_epoch,
        train_dataset,
    )
    from specc.loader.validate import load_spec
    from specc.runtime.device import describe_device, gpu_count
    from specc.runtime.fit_keras import NanGuard, compiled_model
    from specc.runtime.options import run_options
    path = Path(args.npz)
    meta, prep = load_prepared(path)
    notes = list(meta["notes"])
    raw = yaml.safe_load(meta["spec_text"])
    folders = {}
    for name in presets_of(meta["resolved"]):
        folder = path.parent / name
        if not (folder / "config.json").exists():
            print(f"error: {path.name} needs the backbone preset folder {folder} "
                  f"(bench/gpu_check.sh prepare writes it; carry it)", flush=True)
            return 2
        folders[name] = str(folder.resolve())
    raw = with_presets(raw, folders)
    if folders:
        notes.append("backbone weights carried as float16, loaded into float32 variables")
    if args.epochs:
        raw["train"]["epochs"] = args.epochs  # the learning-rate schedule follows
    spec = load_spec(raw, base_dir=SPECS, file=f"specs/{meta['spec_name']}.yaml")
    notes += subsample(prep, {"train": args.max_train, "val": args.max_val,
                              "test": args.max_test}, "here")
    train = spec.resolved["train"]
    epochs, batch_size = train["epochs"], train["batch_size"]
    keras.utils.set_random_seed(train["seed"])
    gpus = gpu_count()
    options = run_options(spec.resolved, gpus)
    device = describe_device()
    print(f"[{backend}] {meta['spec_name']}: device {device} ({device_name(backend)}); "
          f"train {len(prep.y_train)}, validation {len(prep.y_val)}, test {len(prep.y_test)}; "
          f"batch {batch_size}, {epochs} epoch(s); options {options.describe()}"
          + (f"; {'; '.join(notes)}" if notes else ""), flush=True)
    t0 = time.perf_counter()
    model = compiled_model(spec, prep, options)
    build_s = time.perf_counter() - t0
    plan = options.batching
    n = len(prep.y_train)
    steps = steps_per_epoch(n, batch_size)
    batches = train_dataset(prep.x_train, prep.y_train, batch_size, seed=train["seed"],
                            plan=plan)
    validation = eval_dataset(prep.x_val, prep.y_val, batch_size, plan)[0]

    class Clock(keras.callbacks.Callback):
        """Per epoch: training seconds (first batch start to last batch end) and the
        whole epoch (validation included)."""

        def __init__(self):
            super().__init__()
            self.train_s, self.epoch_s = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = self.t1 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.t1 = time.perf_counter()  # NanGuard reads the loss first: synchronized

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            self.train_s.append(self.t1 - self.t0)
            self.epoch_s.append(now - self.t0)
            logs = logs or {}
            shown = ", ".join(f"{k} {float(v):.4f}" for k, v in logs.items()
                              if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
            print(f"[{backend}] {meta['spec_name']} epoch {epoch + 1}/{epochs}: "
                  f"train {self.train_s[-1]:.2f} s ({n / self.train_s[-1]:.1f} samples/s), "
                  f"epoch with validation {self.epoch_s[-1]:.2f} s; {shown}", flush=True)

    import warnings  # as fit_keras: with cls pooling BERT's pooler gets no gradients
    warnings.filterwarnings("ignore", message=r"Gradients do not exist for variables "
                                              r"\['pooled_dense/kernel', 'pooled_dense/bias'\]")
    guard, clock = NanGuard(), Clock()
    model.fit(batches, validation_data=validation, epochs=epochs, steps_per_epoch=steps,
              shuffle=False, callbacks=[guard, clock], verbose=0)
    if guard.tripped:
        print(f"[{backend}] loss became NaN/inf at epoch {guard.tripped[0]}, batch "
              f"{guard.tripped[1]}", flush=True)
    predict_s = []
    for _ in range(2):  # the first call compiles (JAX: one program per bucket length)
        t1 = time.perf_counter()
        scores = predict(model, prep.x_test, batch_size, plan)
        predict_s.append(time.perf_counter() - t1)
    steady = clock.train_s[1:] or clock.train_s
    result = {
        "spec": meta["spec_name"], "backend": backend, "device": device,
        "device_name": device_name(backend), "gpus": gpus,
        "python": platform.python_version(), "keras": keras.__version__,
        "n_train": n, "n_validation": len(prep.y_val), "n_test": len(prep.y_test),
        "batch_size": batch_size, "epochs": len(clock.train_s),
        "train_samples_per_s": round(n / statistics.median(steady), 1),
        "train_samples_per_s_basis": ("median of epochs 2.." if len(clock.train_s) > 1
                                      else "epoch 1 only (includes compiling)"),
        "first_epoch_samples_per_s": round(n / clock.train_s[0], 1),
        "epoch_train_seconds": [round(t, 2) for t in clock.train_s],
        "epoch_seconds": [round(t, 2) for t in clock.epoch_s],
        "build_seconds": round(build_s, 2),
        "predict_samples_per_s": round(len(prep.y_test) / predict_s[1], 1),
        "predict_seconds": [round(t, 2) for t in predict_s],
        "test_accuracy": round(accuracy(scores, prep.y_test), 4),
        "nan": guard.tripped is not None, "options": options.describe(), "notes": notes,
    }
    print(MARK + json.dumps(result), flush=True)
    if args.results:
        with open(args.results, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prepare", help="CPU side: prepared arrays (+ float16 presets) to OUT")
    pp.add_argument("out")
    pp.add_argument("--specs", default="lstm,sst2_bert_finetune",
                    help="comma-separated spec names under specs/ (no .yaml)")
    pp.add_argument("--max-train", type=int, default=0, help="keep N random training rows")
    pp.add_argument("--max-test", type=int, default=0, help="keep N random test rows")
    pt = sub.add_parser("train", help="GPU side: train one .npz on $KERAS_BACKEND")
    pt.add_argument("npz")
    pt.add_argument("--epochs", type=int, default=0, help="instead of the spec's epochs")
    pt.add_argument("--max-train", type=int, default=0, help="N random training rows only")
    pt.add_argument("--max-val", type=int, default=0, help="N random validation rows only")
    pt.add_argument("--max-test", type=int, default=0, help="N random test rows only")
    pt.add_argument("--results", default="", help="append the JSON result to this file")
    args = p.parse_args(argv)
    return prepare_cmd(args) if args.cmd == "prepare" else train_cmd(args)


if __name__ == "__main__":
    sys.exit(main())
