"""Benchmark specc against hand-written Keras, in one process; print ratios, write JSON.

    SPECC_DATA_DIR=../shared/data .venv/bin/python bench/run.py [--quick] [--out FILE]

Sections (every ratio is specc / hand-written, measured in this run; > 1 = specc faster
for throughput, < 1 = specc faster for times):

* validate: ``load_spec`` (schema + semantic checks) per example spec, ms (median).
* build: ``compile_spec(load_spec(...))`` vs constructing the hand-written model.
* throughput: training samples/s, steady state (after one untimed warm-up epoch; the
  fastest of ``--repeats`` epochs, medians kept in the JSON), of the
  specc-compiled model in specc's runtime (tf.data pipeline, bucketing and XLA as the
  spec resolves them) vs the hand-written model fed padded numpy arrays to
  ``model.fit``; same real training examples, batch size and optimizer; specc's per-batch
  NaN check included. Variants run
  interleaved (bench/timing.py). Also specc with bucketing forced off (pad to max_len),
  and with XLA on, to show what each option does.
* preprocessing cache: ``prepare`` of specs/lstm.yaml with an empty vs a warm cache.
* predict (BERT not with --quick): texts/s, raw strings in -> class names out, of
  ``specc.load_run(...).predict`` vs the hand-written equivalent (bench/predict.py).
* end to end (not with --quick): ``specc train specs/lstm.yaml`` (tokenize, train,
  evaluate, report; empty cache) vs the tutorial script (bench/baselines.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import baselines  # noqa: E402
from bench.timing import best, epoch_timer, interleaved, machine, median, seconds  # noqa: E402

SPECS = ROOT / "specs"

THROUGHPUT = {  # spec -> (hand-written builder, training examples per timed epoch)
    "conv1d.yaml": (baselines.conv1d, 12800 + 64),
    "lstm.yaml": (baselines.lstm, 3200 + 32),
    "bilstm.yaml": (baselines.bilstm, 3200 + 32),
}
"""Sizes leave a half-full last batch, as the real training splits do (IMDB: 20,000
examples = 312.5 batches of 64 or 156.25 of 128)."""
BERT_FINETUNE_N = 256 + 16


def variant(spec, **train):
    """A copy of a loaded spec with ``train`` settings overridden (``Spec.replace``)."""
    return spec.replace({f"train.{k}": v for k, v in train.items()})


def load_prepared(spec, n_train: int | None = None):
    """specc's prepared splits of ``spec`` (real data), training part cut to ``n_train``."""
    from specc.data import load_dataset
    from specc.runtime.prepare import prepare, take
    dataset = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)
    prep = prepare(spec.resolved, dataset, spec.base_dir)
    if n_train:
        keep = list(range(min(n_train, len(prep.y_train))))
        prep.x_train, prep.y_train = take(prep.x_train, keep), prep.y_train[keep]
    return prep


def bench_validate(repeats: int = 20) -> list[dict]:
    """Median ``load_spec`` time per example spec, ms."""
    from specc import load_spec
    rows = []
    for path in sorted(SPECS.glob("*.yaml")):
        load_spec(path)
        times = [seconds(lambda: load_spec(path)) for _ in range(repeats)]
        rows.append({"spec": path.name, "validate_ms": round(1000 * median(times), 2)})
    return rows


def bench_build(repeats: int = 3) -> list[dict]:
    """specc build vs hand-written construction, seconds (median)."""
    from specc import load_spec
    from specc.compiler.model import compile_spec
    from specc.data.backbones import resolve_preset
    hand = {name: builder for name, (builder, _) in THROUGHPUT.items()}
    preset = str(resolve_preset("minilm-l6"))
    hand["sst2_bert_finetune.yaml"] = lambda: baselines.bert_classifier(preset)
    rows = []
    for name, builder in hand.items():
        times = interleaved({"specc": lambda: compile_spec(load_spec(SPECS / name)),
                             "hand": builder}, repeats)
        s, h = median(times["specc"]), median(times["hand"])
        rows.append({"spec": name, "specc_s": round(s, 3), "hand_s": round(h, 3),
                     "ratio": round(s / h, 2)})
    return rows


def specc_training(spec, prep):
    """``(model, epoch, options)``: the specc-compiled model in specc's runtime, a callable
    that fits it one epoch on ``prep``'s training part (returns its seconds), and the
    resolved run options (``RunOptions``)."""
    from specc.compiler.batching import steps_per_epoch, train_dataset
    from specc.runtime.device import gpu_count
    from specc.runtime.fit_keras import compiled_model
    from specc.runtime.options import run_options
    options = run_options(spec.resolved, gpu_count())
    model = compiled_model(spec, prep, options)
    train = spec.resolved["train"]
    batches = train_dataset(prep.x_train, prep.y_train, train["batch_size"], seed=train["seed"],
                            plan=options.batching)
    from specc.runtime.fit_keras import NanGuard
    steps = steps_per_epoch(len(prep.y_train), train["batch_size"])
    return (model, lambda: _epoch(model, batches, callbacks=[NanGuard()], shuffle=False,
                                  steps_per_epoch=steps), options)


def _specc_epoch(spec, prep):
    """One-epoch fit of the specc-compiled model in specc's runtime, as a callable."""
    _, epoch, options = specc_training(spec, prep)
    return epoch, options.describe()


def _epoch(model, *args, callbacks=(), **kwargs) -> float:
    """Seconds of one ``model.fit`` epoch, measured inside the epoch (bench/timing.py)."""
    timer = epoch_timer()
    model.fit(*args, epochs=1, verbose=0, callbacks=[*callbacks, timer], **kwargs)
    return timer.seconds


def _hand_epoch(model, spec, prep, loss="binary_crossentropy"):
    """One-epoch ``model.fit`` on padded numpy arrays, as the tutorials do, as a callable."""
    from specc.compiler.optimizers import build_optimizer
    train = spec.resolved["train"]
    steps = math.ceil(len(prep.y_train) / train["batch_size"]) * train["epochs"]
    model.compile(optimizer=build_optimizer(train["optimizer"], steps), loss=loss,
                  metrics=["accuracy"])
    return lambda: _epoch(model, prep.x_train, prep.y_train, batch_size=train["batch_size"],
                          shuffle=True)


def bench_throughput(repeats: int, bert: bool = True) -> list[dict]:
    """Training samples/s: hand-written vs specc (and its option variants), interleaved."""
    from specc import load_spec
    rows = []
    cases = {name: (lambda b=builder: b(), n) for name, (builder, n) in THROUGHPUT.items()}
    if bert:
        from specc.data.backbones import resolve_preset
        preset = str(resolve_preset("minilm-l6"))
        cases["sst2_bert_finetune.yaml"] = (lambda: baselines.bert_classifier(preset),
                                            BERT_FINETUNE_N)
    for name, (builder, n) in cases.items():
        spec = load_spec(SPECS / name)
        prep = load_prepared(spec, n)
        variants, described = {}, {}
        variants["hand"] = _hand_epoch(builder(), spec, prep)
        variants["specc"], described["specc"] = _specc_epoch(spec, prep)
        if described["specc"]["bucketing"]:
            variants["specc, bucketing off"], described["specc, bucketing off"] = _specc_epoch(
                variant(spec, bucketing=False), prep)
        if spec.kind == "keras" and described["specc"]["jit_compile"] is not True:
            variants["specc, jit_compile"], described["specc, jit_compile"] = _specc_epoch(
                variant(spec, jit_compile=True), prep)
        times = interleaved(variants, repeats)
        hand_rate, hand_median = n / best(times["hand"]), n / median(times["hand"])
        for label, t in times.items():
            rate = n / best(t)
            rows.append({"spec": name, "variant": label, "samples_per_s": round(rate, 1),
                         "ratio_to_hand": round(rate / hand_rate, 2),
                         "median_samples_per_s": round(n / median(t), 1),
                         "median_ratio_to_hand": round(n / median(t) / hand_median, 2),
                         "epoch_seconds": [round(x, 2) for x in t], "n_train": n,
                         **({"options": described[label]} if label in described else {})})
        print(f"  {name}: " + ", ".join(f"{r['variant']} {r['samples_per_s']:.0f}/s"
                                       for r in rows if r["spec"] == name), flush=True)
    return rows


def bench_features(repeats: int, n: int = 512) -> dict:
    """Frozen BERT mean features (sst2_bert_features_logreg): samples/s, specc vs hand."""
    from specc import load_spec
    from specc.compiler.features import BertFeatures
    from specc.data import load_dataset
    from specc.data.backbones import resolve_preset
    from specc.preprocessing.wordpiece import WordPieceEncoder
    spec = load_spec(SPECS / "sst2_bert_features_logreg.yaml")
    texts = load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task).train_texts[:n]
    ours = BertFeatures("minilm-l6", pooling="mean", max_len=64, base_dir=str(SPECS))
    hand = baselines.bert_mean_features(str(resolve_preset("minilm-l6")))
    x = WordPieceEncoder("minilm-l6", 64, SPECS).encode(texts)
    times = interleaved({"hand": lambda: hand.predict(x, batch_size=32, verbose=0),
                         "specc": lambda: ours._compute(texts)}, repeats)
    h, s = n / best(times["hand"]), n / best(times["specc"])
    return {"spec": "sst2_bert_features_logreg.yaml", "n": n, "hand_samples_per_s": round(h, 1),
            "specc_samples_per_s": round(s, 1), "ratio": round(s / h, 2),
            "note": "specc includes WordPiece tokenization; hand-written gets ids precomputed"}


@contextmanager
def empty_cache(folder: str):
    """Point specc's cache (``SPECC_CACHE_DIR``) at ``folder`` inside the block, then restore it."""
    before = os.environ.get("SPECC_CACHE_DIR")
    os.environ["SPECC_CACHE_DIR"] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SPECC_CACHE_DIR")
        else:
            os.environ["SPECC_CACHE_DIR"] = before


def bench_cache() -> dict:
    """``prepare`` of specs/lstm.yaml with an empty, then a warm preprocessing cache."""
    from specc import load_spec
    spec = load_spec(SPECS / "lstm.yaml")
    with tempfile.TemporaryDirectory() as tmp, empty_cache(tmp):
        hits = []
        cold = seconds(lambda: hits.append(load_prepared(spec).cache_hit))
        warm = seconds(lambda: hits.append(load_prepared(spec).cache_hit))
    return {"spec": "lstm.yaml", "cold_s": round(cold, 2), "warm_s": round(warm, 2),
            "saved_s": round(cold - warm, 2), "cache_hits": hits,
            "note": "read + split + tokenize + pad (IMDB 50k)"}


def bench_end_to_end() -> dict:
    """``specc train specs/lstm.yaml`` vs the hand-written tutorial script, wall seconds."""
    import specc
    from specc import load_spec
    from specc.data import load_dataset
    spec = load_spec(SPECS / "lstm.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        with empty_cache(f"{tmp}/cache"):  # cold: tokenization included
            t_specc = seconds(lambda: specc.train(spec, out=f"{tmp}/run"))
        specc_acc = json.loads(Path(f"{tmp}/run/metrics.json").read_text())["accuracy"]
        loaded = []
        read = seconds(lambda: loaded.append(
            load_dataset(spec.resolved["data"], spec.base_dir, task=spec.task)))
        data = loaded[0]
        hand = baselines.imdb_lstm_end_to_end(data.train_texts, data.train_labels,
                                              data.test_texts, data.test_labels, tmp)
    return {"spec": "lstm.yaml", "specc_s": round(t_specc, 1),
            "hand_s": round(hand["seconds"] + read, 1), "ratio": round(t_specc / (hand["seconds"] + read), 2),
            "specc_accuracy": specc_acc, "hand_accuracy": round(hand["accuracy"], 4),
            "note": "specc also writes plots, t-SNE, report.html; hand time includes reading the archive"}


def table(results: dict) -> str:
    """The Markdown tables the README shows."""
    lines = ["| benchmark | specc | hand-written Keras | ratio | goal |", "|---|---|---|---|---|"]
    v = results.get("validate")
    if v:
        lines.append(f"| validate, median over {len(v)} specs | "
                     f"{median([r['validate_ms'] for r in v]):.1f} ms (max "
                     f"{max(r['validate_ms'] for r in v):.1f}) | | | < 20 ms |")
    for r in results.get("build", []):
        lines.append(f"| build {r['spec']} | {r['specc_s']:.2f} s | {r['hand_s']:.2f} s | "
                     f"{r['ratio']:.2f}× time | < 2 s (non-BERT) |")
    for r in results.get("throughput", []):
        if r["variant"] == "hand":
            continue
        goal = "≥ 1.00×" if r["variant"] == "specc" else ""
        hand = next(h for h in results["throughput"] if h["spec"] == r["spec"] and h["variant"] == "hand")
        lines.append(f"| train {r['spec']} ({r['variant']}), samples/s | {r['samples_per_s']:.0f} | "
                     f"{hand['samples_per_s']:.0f} | {r['ratio_to_hand']:.2f}× (median "
                     f"{r['median_ratio_to_hand']:.2f}×) | {goal} |")
    for r in results.get("throughput", []):
        if r["variant"] == "specc, bucketing off":
            on = next(x for x in results["throughput"] if x["spec"] == r["spec"] and x["variant"] == "specc")
            lines.append(f"| bucketing gain {r['spec']} (on / off) | {on['samples_per_s']:.0f} | "
                         f"{r['samples_per_s']:.0f} (specc, pad to max_len) | "
                         f"{on['samples_per_s'] / r['samples_per_s']:.2f}× | ≥ 1.5× |")
    if "features" in results:
        f = results["features"]
        lines.append(f"| BERT features {f['spec']}, samples/s | {f['specc_samples_per_s']:.0f} | "
                     f"{f['hand_samples_per_s']:.0f} | {f['ratio']:.2f}× | ≥ 1.00× |")
    for r in results.get("predict", []):
        lines.append(f"| predict {r['spec']}, texts/s (strings -> class names) | "
                     f"{r['specc_texts_per_s']:.0f} | {r['hand_texts_per_s']:.0f} | "
                     f"{r['ratio']:.2f}× (median {r['median_ratio']:.2f}×) | ≥ 1.00× |")
    c = results.get("cache")
    if c is None:
        return "\n".join(lines)
    lines.append(f"| prepare {c['spec']}: warm / cold preprocessing cache | {c['warm_s']:.2f} s | "
                 f"{c['cold_s']:.2f} s (cold) | {c['warm_s'] / c['cold_s']:.2f}× time | |")
    if "end_to_end" in results:
        e = results["end_to_end"]
        lines.append(f"| end to end specc train {e['spec']} (acc {e['specc_accuracy']:.4f} vs "
                     f"{e['hand_accuracy']:.4f}) | {e['specc_s']:.0f} s | {e['hand_s']:.0f} s | "
                     f"{e['ratio']:.2f}× time | < 180 s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Run the benchmarks; print the table; write the JSON results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="skip the end-to-end run and the BERT parts (about 3 minutes)")
    ap.add_argument("--repeats", type=int, default=4, help="timed epochs per variant")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--only", metavar="SECTION,...", help="run only these sections: validate, "
                    "build, throughput, features, cache, predict, end_to_end")
    args = ap.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else None

    def want(section: str, full_only: bool = False) -> bool:
        if wanted is not None:
            return section in wanted
        return not (full_only and args.quick)
    from specc.core.quiet import import_keras
    import_keras()
    results = {"machine": machine(), "command": "python bench/run.py" + (" --quick" if args.quick else "")}
    from bench.predict import bench_predict
    sections = [("validate", bench_validate, False), ("build", bench_build, False),
                ("throughput", lambda: bench_throughput(args.repeats, bert=not args.quick), False),
                ("features", lambda: bench_features(args.repeats), True),
                ("cache", bench_cache, False),
                ("predict", lambda: bench_predict(3, bert=not args.quick), False),
                ("end_to_end", bench_end_to_end, True)]
    for name, run, full_only in sections:
        if want(name, full_only):
            print(f"{name} ...", flush=True)
            results[name] = run()
    m = results["machine"]
    print(f"\n{m['cores']} cores, {m['cpu']}; {m['device']}; TF {m['tensorflow']}, Keras "
          f"{m['keras']}, keras-hub {m['keras_hub']}, Python {m['python']}\n")
    print(table(results))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
